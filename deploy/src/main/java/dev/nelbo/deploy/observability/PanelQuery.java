package dev.nelbo.deploy.observability;

/**
 * One query of one dashboard panel.
 *
 * @param panel panel title
 * @param refId the query's refId within the panel
 * @param expr the PromQL as written in the dashboard (with Grafana variables)
 */
public record PanelQuery(String panel, String refId, String expr) {
}
