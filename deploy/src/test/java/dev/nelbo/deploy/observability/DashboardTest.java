package dev.nelbo.deploy.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nelbo.deploy.DeployFiles;
import dev.nelbo.deploy.manifests.ScorerContract;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The provisioned Grafana dashboard, checked without Grafana: structure, queries, metric names. */
class DashboardTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static JsonNode dashboard() throws Exception {
        return MAPPER.readTree(DeployFiles.resolve("grafana/dashboards/nelbo-scorer.json").toFile());
    }

    @Test
    void has_the_panels_operators_need_each_with_a_query() throws Exception {
        final DashboardQueries queries = DashboardQueries.of(dashboard(), "1m");
        final Set<String> titles = queries.queries().stream().map(PanelQuery::panel).collect(Collectors.toSet());
        for (final String needed : List.of("Throughput", "Consumer lag", "End-to-end latency p50 / p99", "Score distribution",
                "Alert rate", "Dead letters by reason", "Model version in use", "Keys held: entity history, alert suppression, entity evidence and cadence",
                "Keys evicted, key mismatches", "Entities in anomalous state", "Entity alerts", "Silence alerts",
                "Alert precision from operators' labels")) {
            assertTrue(titles.contains(needed), "missing panel '" + needed + "' in " + titles);
        }
        final Set<Integer> ids = new HashSet<>();
        for (final JsonNode panel : dashboard().path("panels")) {
            assertTrue(ids.add(panel.path("id").asInt()), "duplicate panel id " + panel.path("id"));
            for (final String pos : List.of("x", "y", "w", "h")) {
                // a gridPos that is not four integers is a broken layout (a fieldConfig once ended up in gridPos.w)
                assertTrue(panel.path("gridPos").path(pos).isInt(), "gridPos." + pos + " of '" + panel.path("title") + "' is "
                        + panel.path("gridPos").path(pos));
            }
            if (!"row".equals(panel.path("type").asText())) {
                assertFalse(panel.path("targets").isEmpty(), "panel without query: " + panel.path("title"));
            }
        }
        final String heatmap = queries.queries().stream().filter(q -> q.panel().equals("Score distribution"))
                .findFirst().orElseThrow().expr();
        assertTrue(heatmap.contains("nelbo_score_bucket") && heatmap.contains("by (le)"), heatmap);
    }

    @Test
    void every_query_resolves_to_plain_promql_and_uses_only_scorer_metrics() throws Exception {
        final DashboardQueries queries = DashboardQueries.of(dashboard(), "1m");
        assertTrue(queries.queries().size() >= 15, "queries found: " + queries.queries().size());
        for (final PanelQuery query : queries.queries()) {
            final String promql = queries.resolve(query);
            assertFalse(promql.contains("$"), "unresolved variable in " + promql);
            assertTrue(promql.contains("[1m]") || !query.expr().contains("$__rate_interval"), promql);
            assertTrue(promql.contains("job=~\".+\""), "every query filters by the job variable: " + promql);
        }
        final String text = Files.readString(DeployFiles.resolve("grafana/dashboards/nelbo-scorer.json"), StandardCharsets.UTF_8);
        assertEquals(Set.of(), ScorerContract.unknownMetrics(text), "dashboard uses metrics the scorer does not expose");
    }

    @Test
    void an_undefined_variable_is_reported_with_its_panel() throws Exception {
        final JsonNode broken = MAPPER.readTree("{\"panels\":[{\"title\":\"Lag\",\"targets\":[{\"refId\":\"A\","
                + "\"expr\":\"sum(nelbo_kafka_consumer_lag_records{instance=~\\\"$instance\\\"})\"}]}]}");
        final DashboardQueries queries = DashboardQueries.of(broken, "1m");
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> queries.resolve(queries.queries().get(0)));
        assertEquals("panel 'Lag' query A uses undefined variable $instance", e.getMessage());
    }

    @Test
    void alert_rules_use_only_scorer_metrics() throws Exception {
        final String rules = Files.readString(DeployFiles.resolve("prometheus/rules/nelbo-alerts.yml"), StandardCharsets.UTF_8);
        assertEquals(Set.of(), ScorerContract.unknownMetrics(rules), "alert rules use metrics the scorer does not expose");
        assertEquals(Set.of("nelbo_records_in_totl"), ScorerContract.unknownMetrics("rate(nelbo_records_in_totl[5m]) + nelbo_score_bucket"));
    }
}
