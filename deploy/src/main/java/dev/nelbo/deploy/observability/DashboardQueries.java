package dev.nelbo.deploy.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PromQL queries of a Grafana dashboard, and their translation into plain PromQL that the Prometheus
 * HTTP API accepts (Grafana's variables substituted).
 */
public final class DashboardQueries {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)(?::\\w+)?}|\\[\\[(\\w+)]]|\\$(\\w+)");

    private final List<PanelQuery> queries;
    private final Map<String, String> variables;

    private DashboardQueries(final List<PanelQuery> queries, final Map<String, String> variables) {
        this.queries = List.copyOf(queries);
        this.variables = Map.copyOf(variables);
    }

    /**
     * @param dashboardJson a dashboard JSON file as Grafana exports/provisions it
     * @param rateInterval what {@code $__rate_interval} and {@code $__interval} stand for, e.g. "1m"
     * @return its queries
     * @throws UncheckedIOException when the file cannot be read or parsed
     */
    public static DashboardQueries load(final Path dashboardJson, final String rateInterval) {
        try {
            return of(MAPPER.readTree(dashboardJson.toFile()), rateInterval);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read dashboard " + dashboardJson + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param dashboard a parsed dashboard
     * @param rateInterval what {@code $__rate_interval} and {@code $__interval} stand for, e.g. "1m"
     * @return its queries: every non-hidden target with an {@code expr}, rows' nested panels included
     */
    public static DashboardQueries of(final JsonNode dashboard, final String rateInterval) {
        final List<PanelQuery> found = new ArrayList<>();
        collect(dashboard.path("panels"), found);
        final Map<String, String> vars = new HashMap<>();
        vars.put("__rate_interval", rateInterval);
        vars.put("__interval", rateInterval);
        vars.put("__range", "5m");
        for (final JsonNode variable : dashboard.path("templating").path("list")) {
            final String name = variable.path("name").asText();
            // A query/custom variable in "All" mode expands to its allValue; without one, match everything.
            final String allValue = variable.path("allValue").asText("");
            vars.put(name, allValue.isBlank() ? ".+" : allValue);
        }
        return new DashboardQueries(found, vars);
    }

    private static void collect(final JsonNode panels, final List<PanelQuery> found) {
        for (final JsonNode panel : panels) {
            final String title = panel.path("title").asText("(untitled)");
            for (final JsonNode target : panel.path("targets")) {
                final String expr = target.path("expr").asText("");
                if (!expr.isBlank() && !target.path("hide").asBoolean(false)) {
                    found.add(new PanelQuery(title, target.path("refId").asText("?"), expr));
                }
            }
            collect(panel.path("panels"), found);
        }
    }

    /** @return every panel query in dashboard order */
    public List<PanelQuery> queries() {
        return queries;
    }

    /**
     * @param query a query of this dashboard
     * @return its PromQL with every Grafana variable substituted
     * @throws IllegalArgumentException when the query uses a variable the dashboard does not define
     */
    public String resolve(final PanelQuery query) {
        final Matcher matcher = VARIABLE.matcher(query.expr());
        final StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            final String name = matcher.group(1) != null ? matcher.group(1)
                    : matcher.group(2) != null ? matcher.group(2) : matcher.group(3);
            final String value = variables.get(name);
            if (value == null) {
                throw new IllegalArgumentException("panel '" + query.panel() + "' query " + query.refId()
                        + " uses undefined variable $" + name);
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        matcher.appendTail(out);
        return out.toString();
    }
}
