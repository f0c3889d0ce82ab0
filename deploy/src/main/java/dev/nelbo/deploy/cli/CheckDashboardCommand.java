package dev.nelbo.deploy.cli;

import dev.nelbo.deploy.observability.DashboardCheck;
import dev.nelbo.deploy.observability.DashboardCheck.QueryOutcome;
import dev.nelbo.deploy.observability.DashboardQueries;
import dev.nelbo.deploy.observability.PrometheusClient;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Runs every query of a Grafana dashboard against a live Prometheus and fails if any returns no data. */
@Command(name = "check-dashboard", mixinStandardHelpOptions = true,
        description = "Run every panel query of a Grafana dashboard against Prometheus; exit 1 if any returns no data.")
public final class CheckDashboardCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--dashboard", required = true, description = "Dashboard JSON file.")
    private Path dashboard;

    @Option(names = "--prometheus", defaultValue = "http://127.0.0.1:9090", description = "Prometheus base URL. Default: ${DEFAULT-VALUE}")
    private String prometheus;

    @Option(names = "--rate-interval", defaultValue = "1m",
            description = "Value of $__rate_interval (at least 4 scrape intervals). Default: ${DEFAULT-VALUE}")
    private String rateInterval;

    @Option(names = "--timeout", defaultValue = "120", description = "Seconds to keep retrying queries without data. Default: ${DEFAULT-VALUE}")
    private int timeoutSeconds;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final List<QueryOutcome> outcomes = new DashboardCheck(DashboardQueries.load(dashboard, rateInterval),
                new PrometheusClient(prometheus)).run(Duration.ofSeconds(timeoutSeconds), Duration.ofSeconds(5), line -> {
                    err.println(line);
                    err.flush();
                });
        long failed = 0;
        for (final QueryOutcome outcome : outcomes) {
            final PrometheusClient.Result result = outcome.result();
            final String status = result.hasData() ? "ok      " : result.ok() ? "NO DATA " : "ERROR   ";
            out.printf("%s %-45.45s %-2s %s%n", status, outcome.query().panel(), outcome.query().refId(),
                    result.ok() ? result.series() + " series" : result.error());
            if (!result.hasData()) {
                failed++;
            }
        }
        out.printf("%d of %d panel queries returned data%n", outcomes.size() - failed, outcomes.size());
        return failed == 0 ? 0 : 1;
    }
}
