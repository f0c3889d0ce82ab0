package dev.nelbo.deploy.observability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Asserts that every query of a dashboard returns data from a live Prometheus: a dashboard whose queries
 * are wrong (misspelt metric, wrong label) shows empty panels that look like "all quiet".
 */
public final class DashboardCheck {

    private final DashboardQueries dashboard;
    private final PrometheusClient prometheus;

    /**
     * Outcome for one query.
     *
     * @param query the panel query
     * @param promql the query sent (variables substituted)
     * @param result what Prometheus answered last
     */
    public record QueryOutcome(PanelQuery query, String promql, PrometheusClient.Result result) {
    }

    /**
     * @param dashboard the dashboard's queries
     * @param prometheus where to run them
     */
    public DashboardCheck(final DashboardQueries dashboard, final PrometheusClient prometheus) {
        this.dashboard = dashboard;
        this.prometheus = prometheus;
    }

    /**
     * Re-runs the queries without data until all have data or the timeout passes: rates and histogram
     * quantiles need a few scrapes before they return anything.
     *
     * @param timeout how long to keep trying
     * @param pause pause between rounds
     * @param progress receives a line per round with the number of queries still without data
     * @return the last outcome of every query, in dashboard order
     */
    public List<QueryOutcome> run(final Duration timeout, final Duration pause, final Consumer<String> progress) {
        final Map<PanelQuery, QueryOutcome> outcomes = new LinkedHashMap<>();
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            int missing = 0;
            for (final PanelQuery query : dashboard.queries()) {
                final QueryOutcome previous = outcomes.get(query);
                if (previous != null && previous.result().hasData()) {
                    continue;
                }
                final String promql = dashboard.resolve(query);
                final QueryOutcome outcome = new QueryOutcome(query, promql, prometheus.query(promql));
                outcomes.put(query, outcome);
                if (!outcome.result().hasData()) {
                    missing++;
                }
            }
            if (missing == 0 || System.nanoTime() >= deadline) {
                return new ArrayList<>(outcomes.values());
            }
            progress.accept(missing + " of " + dashboard.queries().size() + " panel queries have no data yet");
            try {
                Thread.sleep(pause.toMillis());
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return new ArrayList<>(outcomes.values());
            }
        }
    }
}
