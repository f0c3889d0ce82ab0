package dev.nelbo.deploy.manifests;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The scorer's Prometheus metric names as fixed by the cross-module contract. (Its configuration keys come
 * from the scorer's own code, see {@link ScorerSettings}; that the names below are what the scorer really
 * exposes is checked live by DemoIT, where every dashboard query must return data.)
 */
public final class ScorerContract {

    /** Metric names (histograms without their _bucket/_sum/_count suffixes). */
    public static final Set<String> METRICS = Set.of(
            "nelbo_records_in_total", "nelbo_records_scored_total", "nelbo_records_dead_lettered_total",
            "nelbo_alerts_total", "nelbo_alerts_suppressed_total", "nelbo_score", "nelbo_batch_size_records",
            "nelbo_inference_seconds", "nelbo_end_to_end_latency_seconds", "nelbo_model_info", "nelbo_model_load_seconds",
            "nelbo_model_rejected_total", "nelbo_model_threshold", "nelbo_model_training_score_quantile",
            "nelbo_kafka_consumer_lag_records", "nelbo_kafka_process_rate", "nelbo_kafka_commit_latency_seconds",
            "nelbo_ready", "nelbo_not_ready", "nelbo_registry_follower_up", "nelbo_registry_last_read_timestamp_seconds",
            "nelbo_registry_current_info", "nelbo_model_matches_registry", "nelbo_alert_suppression_keys",
            "nelbo_alert_suppression_evicted_total", "nelbo_history_keys", "nelbo_history_evicted_total",
            "nelbo_history_key_mismatch_total", "nelbo_entity_alerts_total", "nelbo_entities_anomalous", "nelbo_entity_keys",
            "nelbo_entity_bytes", "nelbo_entity_evicted_total", "nelbo_silence_alerts_total", "nelbo_silence_keys",
            "nelbo_silence_bytes", "nelbo_silence_evicted_total",
            "nelbo_alerts_dropped_total", "nelbo_alert_rules", "nelbo_alert_feedback", "nelbo_alert_precision",
            "nelbo_alert_precision_by_context", "nelbo_alert_feedback_rejected_total",
            "nelbo_schema_registry_requests_total",
            // the alert bridge (nelbo-scorer alertmanager)
            "nelbo_alertmanager_alerts_sent_total", "nelbo_alertmanager_alerts_rejected_total",
            "nelbo_alertmanager_send_failures_total", "nelbo_alertmanager_up");

    private static final Pattern NELBO_METRIC = Pattern.compile("\\bnelbo_[a-z0-9_]+");
    private static final Pattern HISTOGRAM_SUFFIX = Pattern.compile("_(bucket|sum|count)$");

    private ScorerContract() {
    }

    /**
     * @param text PromQL, rule files or dashboards
     * @return every nelbo_* name in the text that is not a scorer metric (nor a histogram series of one)
     */
    public static Set<String> unknownMetrics(final String text) {
        final Set<String> unknown = new TreeSet<>();
        final Matcher matcher = NELBO_METRIC.matcher(text);
        while (matcher.find()) {
            final String name = matcher.group();
            final String base = HISTOGRAM_SUFFIX.matcher(name).replaceFirst("");
            if (!METRICS.contains(name) && !METRICS.contains(base)) {
                unknown.add(name);
            }
        }
        return unknown;
    }
}
