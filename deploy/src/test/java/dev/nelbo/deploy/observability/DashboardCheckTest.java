package dev.nelbo.deploy.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard check's query machinery against a real Prometheus that scrapes itself (no scorer needed):
 * a query on scraped series has data, a query on a missing metric has none, a malformed query is an error.
 */
class DashboardCheckTest {

    @TempDir
    Path dir;

    @Test
    void reports_data_no_data_and_errors_per_panel_query() throws Exception {
        final Optional<Path> binary = LocalPrometheus.binary();
        assumeTrue(binary.isPresent(), "prometheus binary not found on PATH (Debian package 'prometheus'): "
                + "the live dashboard query check is NOT exercised");
        try (LocalPrometheus prometheus = LocalPrometheus.start(binary.get(), dir,
                "  - job_name: self\n    static_configs:\n      - targets: [\"127.0.0.1:${PORT}\"]\n")) {
            final DashboardQueries queries = DashboardQueries.of(new ObjectMapper().readTree("""
                    {"templating": {"list": [{"name": "job", "allValue": ".+"}]},
                     "panels": [
                       {"title": "Rows", "type": "row", "panels": [
                         {"title": "Scrapes", "targets": [{"refId": "A", "expr": "sum(rate(prometheus_http_requests_total{job=~\\"$job\\"}[$__rate_interval]))"}]}]},
                       {"title": "Up", "targets": [{"refId": "A", "expr": "up{job=~\\"$job\\"}"},
                                                   {"refId": "B", "expr": "nelbo_records_in_total", "hide": true}]},
                       {"title": "Missing", "targets": [{"refId": "A", "expr": "nelbo_records_in_total{job=~\\"$job\\"}"}]},
                       {"title": "Broken", "targets": [{"refId": "A", "expr": "sum(up"}]}]}
                    """), "5s");
            assertEquals(4, queries.queries().size(), "hidden targets are skipped, rows' panels are included");

            final PrometheusClient client = new PrometheusClient(prometheus.url());
            // Wait (returning early) until the scraped series exist; then one short pass over everything.
            final DashboardQueries answerable = DashboardQueries.of(new ObjectMapper().readTree("""
                    {"panels": [{"title": "Scrapes", "targets": [{"refId": "A", "expr": "sum(rate(prometheus_http_requests_total[5s]))"}]}]}
                    """), "5s");
            assertTrue(new DashboardCheck(answerable, client).run(Duration.ofSeconds(60), Duration.ofMillis(250), line -> { })
                    .get(0).result().hasData(), prometheus.log());
            final List<String> progress = new ArrayList<>();
            final List<DashboardCheck.QueryOutcome> outcomes = new DashboardCheck(queries, client)
                    .run(Duration.ofSeconds(1), Duration.ofMillis(500), progress::add);
            assertEquals(List.of("Scrapes", "Up", "Missing", "Broken"), outcomes.stream().map(o -> o.query().panel()).toList());
            assertTrue(outcomes.get(0).result().hasData(), outcomes.get(0) + "\n" + prometheus.log());
            assertTrue(outcomes.get(1).result().hasData(), outcomes.get(1).toString());
            assertEquals("up{job=~\".+\"}", outcomes.get(1).promql());
            assertTrue(outcomes.get(2).result().ok());
            assertFalse(outcomes.get(2).result().hasData());
            assertFalse(outcomes.get(3).result().ok());
            assertTrue(outcomes.get(3).result().error().startsWith("bad_data"), outcomes.get(3).result().error());
            assertFalse(progress.isEmpty(), "queries without data are retried until the timeout");
        }
    }

    @Test
    void an_unreachable_prometheus_is_an_error_not_an_exception() {
        final PrometheusClient.Result result = new PrometheusClient("http://127.0.0.1:1").query("up");
        assertFalse(result.ok());
        assertTrue(result.error().startsWith("cannot reach Prometheus"), result.error());
    }
}
