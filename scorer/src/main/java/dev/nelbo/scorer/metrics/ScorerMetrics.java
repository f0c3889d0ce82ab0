package dev.nelbo.scorer.metrics;

import dev.nelbo.schemas.event.SchemaRegistryClient;
import dev.nelbo.schemas.feedback.AlertFeedback;
import dev.nelbo.scorer.feedback.AlertPrecision;
import dev.nelbo.scorer.feedback.FeedbackFollower;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

import java.util.Map;
import java.util.function.Supplier;

/**
 * The scorer's Prometheus metrics (names fixed by the project contract), all in one registry that
 * the caller owns so tests stay isolated.
 */
public final class ScorerMetrics {

    /** Quantiles of the training scores exposed for drift alerts. */
    public static final String[] TRAINING_QUANTILES = {"0.5", "0.9", "0.99", "0.999"};

    private final PrometheusRegistry registry;
    private final Counter recordsIn;
    private final Counter recordsScored;
    private final Counter deadLettered;
    private final Counter alerts;
    private final Counter alertsDropped;
    private final Gauge alertRules;
    private final java.util.concurrent.atomic.AtomicReference<AlertPrecision> alertPrecision =
            new java.util.concurrent.atomic.AtomicReference<>(new AlertPrecision(java.util.List.of()));
    private final Counter alertFeedbackRejected;
    private final Counter alertsSuppressed;
    private final Histogram score;
    private final Histogram batchSize;
    private final Histogram inferenceSeconds;
    private final Histogram endToEndLatency;
    private final Info modelInfo;
    private final Gauge modelLoadSeconds;
    private final Counter modelRejected;
    private final Gauge modelThreshold;
    private final Gauge trainingQuantile;
    private final Counter shadowScored;
    private final Counter shadowAnomalies;
    private final Info shadowInfo;
    private final Counter clamped;
    private final Counter eventTimeBounded;
    private final Counter recordTimestampInvalid;
    private final Counter outputTimestampAdjusted;
    private final Gauge suppressionKeys;
    private final Gauge suppressionBytes;
    private final Counter suppressionEvicted;
    private final Gauge historyKeys;
    private final Gauge historyBytes;
    private final Counter historyEvicted;
    private final Counter historyKeyMismatch;
    private final Counter entityAlerts;
    private final Gauge entitiesAnomalous;
    private final Gauge entityKeys;
    private final Gauge entityBytes;
    private final Counter entityEvicted;
    private final Counter silenceAlerts;
    private final Gauge silenceKeys;
    private final Gauge silenceBytes;
    private final Counter silenceEvicted;
    private final Counter outputsUnkeyed;
    private final Counter outputsTooLarge;
    private final Counter outputsDropped;
    private final Gauge followerUp;
    private final Gauge registryLastRead;
    private final Info registryCurrent;
    private final Gauge modelMatchesRegistry;
    private String shadowVersion;
    private String registryVersion;

    /**
     * Registers the metrics.
     *
     * @param registry   registry to register with
     * @param jvmMetrics whether to add the JVM metrics too (once per registry)
     */
    public ScorerMetrics(final PrometheusRegistry registry, final boolean jvmMetrics) {
        // exemplars are off: per-record observations would otherwise look up a tracing context every time; histograms
        // are classic only: the dashboards and alert rules read classic buckets, and native buckets cost a
        // logarithm per observation on the record path
        this.registry = registry;
        recordsIn = Counter.builder().name("nelbo_records_in_total").help("Events read from the input topic").withoutExemplars().register(registry);
        recordsScored = Counter.builder().name("nelbo_records_scored_total").help("Events scored by the model").withoutExemplars().register(registry);
        deadLettered = Counter.builder().name("nelbo_records_dead_lettered_total").help("Events sent to the dead-letter topic")
                .labelNames("reason").withoutExemplars().register(registry);
        alerts = Counter.builder().name("nelbo_alerts_total").help("Alerts written").withoutExemplars().register(registry);
        alertsDropped = Counter.builder().name("nelbo_alerts_dropped_total")
                .help("Alerts an alert rule dropped, by rule id (nelbo-scorer rules)").labelNames("rule").withoutExemplars()
                .register(registry);
        alertRules = Gauge.builder().name("nelbo_alert_rules").help("Alert rules in force (read from the rules topic)")
                .withoutExemplars().register(registry);
        // every instance follows the whole feedback topic: each reports the same figures (aggregate with max, not sum)
        GaugeWithCallback.builder().name("nelbo_alert_feedback")
                .help("Alerts labelled by operators (the feedback topic's latest label per event id), by the model version"
                        + " that raised them and label").labelNames("model_version", "label")
                .callback(cb -> alertPrecision.get().rows().stream().filter(r -> r.context() == null).forEach(r -> {
                    cb.call(r.truePositives(), r.modelVersion(), AlertFeedback.Label.TRUE_POSITIVE.wireName());
                    cb.call(r.falsePositives(), r.modelVersion(), AlertFeedback.Label.FALSE_POSITIVE.wireName());
                })).register(registry);
        GaugeWithCallback.builder().name("nelbo_alert_precision")
                .help("Share of the labelled alerts labelled true positive, by the model version that raised them")
                .labelNames("model_version")
                .callback(cb -> alertPrecision.get().rows().stream().filter(r -> r.context() == null)
                        .forEach(r -> cb.call(r.precision(), r.modelVersion()))).register(registry);
        GaugeWithCallback.builder().name("nelbo_alert_precision_by_context")
                .help("Share of the labelled alerts labelled true positive, by model version and the alert's value of a"
                        + " context feature (bounded: the rest under _other)").labelNames("model_version", "context", "value")
                .callback(cb -> alertPrecision.get().rows().stream().filter(r -> r.context() != null)
                        .forEach(r -> cb.call(r.precision(), r.modelVersion(), r.context(), r.value()))).register(registry);
        alertFeedbackRejected = Counter.builder().name("nelbo_alert_feedback_rejected_total")
                .help("Feedback records not counted: invalid, or over nelbo.feedback.max.labels").labelNames("reason")
                .withoutExemplars().register(registry);
        alertsSuppressed = Counter.builder().name("nelbo_alerts_suppressed_total")
                .help("Alerts held back by per-key suppression").withoutExemplars().register(registry);
        score = Histogram.builder().name("nelbo_score").help("Negative ELBO of scored events")
                .classicUpperBounds(1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000, 10000)
                .classicOnly().withoutExemplars().register(registry);
        batchSize = Histogram.builder().name("nelbo_batch_size_records").help("Records per engine call")
                .classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048).classicOnly().withoutExemplars()
                .register(registry);
        inferenceSeconds = Histogram.builder().name("nelbo_inference_seconds").unit(Unit.SECONDS)
                .help("Engine time per batch")
                .classicUpperBounds(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
                .classicOnly().withoutExemplars().register(registry);
        endToEndLatency = Histogram.builder().name("nelbo_end_to_end_latency_seconds").unit(Unit.SECONDS)
                .help("Event timestamp to output written")
                .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60).classicOnly()
                .withoutExemplars().register(registry);
        // an Info metric is exposed as the gauge nelbo_model_info{version} 1
        modelInfo = Info.builder().name("nelbo_model_info").help("The model version in use")
                .labelNames("version").register(registry);
        modelLoadSeconds = Gauge.builder().name("nelbo_model_load_seconds").unit(Unit.SECONDS)
                .help("Time to verify and warm up the model in use").register(registry);
        modelRejected = Counter.builder().name("nelbo_model_rejected_total").help("Model bundles refused").withoutExemplars().register(registry);
        modelThreshold = Gauge.builder().name("nelbo_model_threshold").help("Alert threshold of the model in use")
                .register(registry);
        trainingQuantile = Gauge.builder().name("nelbo_model_training_score_quantile")
                .help("Calibration quantiles of the training scores of the model in use").labelNames("quantile")
                .register(registry);
        shadowScored = Counter.builder().name("nelbo_shadow_records_scored_total")
                .help("Events scored by the shadow model as well (nelbo.shadow.topic)").withoutExemplars().register(registry);
        // role="shadow" and role="champion" count anomalies at each model's own threshold over the SAME events,
        // so their ratio compares the alert rates directly (before per-key suppression)
        shadowAnomalies = Counter.builder().name("nelbo_shadow_anomalies_total")
                .help("Anomalies at each model's threshold among the events the shadow model scored").labelNames("role")
                .withoutExemplars().register(registry);
        shadowInfo = Info.builder().name("nelbo_shadow_model_info").help("The shadow model version in use")
                .labelNames("version").register(registry);
        clamped = Counter.builder().name("nelbo_records_clamped_total")
                .help("Extreme feature values clamped into the model's range (each such event is an anomaly)")
                .labelNames("feature").withoutExemplars().register(registry);
        eventTimeBounded = Counter.builder().name("nelbo_event_time_out_of_bounds_total")
                .help("Events whose own time was further from the record timestamp than nelbo.event.time.max.skew.ms;"
                        + " the record timestamp was used").withoutExemplars().register(registry);
        recordTimestampInvalid = Counter.builder().name("nelbo_record_timestamp_invalid_total")
                .help("Input records with an invalid (negative) timestamp; each took its partition's time, or the wall clock")
                .withoutExemplars().register(registry);
        outputTimestampAdjusted = Counter.builder().name("nelbo_output_timestamp_adjusted_total")
                .help("Outputs stamped other than their input: its timestamp was ahead of the scorer's clock, or older than"
                        + " an output topic's message.timestamp.before.max.ms accepts").withoutExemplars().register(registry);
        suppressionKeys = Gauge.builder().name("nelbo_alert_suppression_keys")
                .help("Entity keys held in the alert-suppression state, per stream task").labelNames("task").register(registry);
        suppressionBytes = Gauge.builder().name("nelbo_alert_suppression_bytes").unit(Unit.BYTES)
                .help("Estimated heap taken by the alert-suppression state, per stream task (what nelbo.alert.suppression.max.bytes bounds)").labelNames("task").register(registry);
        suppressionEvicted = Counter.builder().name("nelbo_alert_suppression_evicted_total")
                .help("Keys evicted from the alert-suppression state, least recently alerted first, to stay within"
                        + " nelbo.alert.suppression.max.keys and .max.bytes: their next alert is not suppressed")
                .withoutExemplars().register(registry);
        historyKeys = Gauge.builder().name("nelbo_history_keys")
                .help("Entity keys held in the history state, per stream task").labelNames("task").register(registry);
        historyBytes = Gauge.builder().name("nelbo_history_bytes").unit(Unit.BYTES)
                .help("Estimated heap taken by the history state, per stream task (what nelbo.history.max.bytes bounds)").labelNames("task").register(registry);
        historyEvicted = Counter.builder().name("nelbo_history_evicted_total")
                .help("Keys whose history was evicted, least recently seen first, to stay within nelbo.history.max.keys"
                        + " and .max.bytes: their next event is scored as a new entity's")
                .withoutExemplars().register(registry);
        historyKeyMismatch = Counter.builder().name("nelbo_history_key_mismatch_total")
                .help("Events whose Kafka key is not their entity key (key_path): an entity's events may then be split"
                        + " over partitions and its history with them; key the events topic by the entity")
                .withoutExemplars().register(registry);
        entityAlerts = Counter.builder().name("nelbo_entity_alerts_total")
                .help("Entity alerts written: keys whose run of evidence reached the model's entity threshold (one per run)")
                .withoutExemplars().register(registry);
        entitiesAnomalous = Gauge.builder().name("nelbo_entities_anomalous")
                .help("Entity keys in the anomalous state (entity statistic at or above the threshold), per stream task")
                .labelNames("task").register(registry);
        entityKeys = Gauge.builder().name("nelbo_entity_keys")
                .help("Entity keys with a run of evidence held in the entity state, per stream task").labelNames("task")
                .register(registry);
        entityBytes = Gauge.builder().name("nelbo_entity_bytes").unit(Unit.BYTES)
                .help("Estimated heap taken by the entity state, per stream task (what nelbo.entity.max.bytes bounds)")
                .labelNames("task").register(registry);
        entityEvicted = Counter.builder().name("nelbo_entity_evicted_total")
                .help("Keys evicted from the entity state, least recently seen first, to stay within nelbo.entity.max.keys"
                        + " and .max.bytes: their evidence starts again").withoutExemplars().register(registry);
        silenceAlerts = Counter.builder().name("nelbo_silence_alerts_total")
                .help("Silence alerts written: regular keys quiet for longer than the model's factor of their own interval"
                        + " (one per silence)").withoutExemplars().register(registry);
        silenceKeys = Gauge.builder().name("nelbo_silence_keys")
                .help("Keys whose cadence the silence test follows, per stream task").labelNames("task").register(registry);
        silenceBytes = Gauge.builder().name("nelbo_silence_bytes").unit(Unit.BYTES)
                .help("Estimated heap taken by the silence state, per stream task (what nelbo.silence.max.bytes bounds)")
                .labelNames("task").register(registry);
        silenceEvicted = Counter.builder().name("nelbo_silence_evicted_total")
                .help("Keys evicted from the silence state to stay within nelbo.silence.max.keys and .max.bytes (new keys"
                        + " first; a key with a known cadence only by another): their cadence is learnt again")
                .withoutExemplars().register(registry);
        outputsUnkeyed = Counter.builder().name("nelbo_outputs_unkeyed_total")
                .help("Outputs sent without the input's Kafka key because key and value exceed max.request.size")
                .labelNames("output").withoutExemplars().register(registry);
        outputsTooLarge = Counter.builder().name("nelbo_outputs_too_large_total")
                .help("Outputs larger than max.request.size even without a key (a score becomes an output_too_large dead letter)")
                .labelNames("output").withoutExemplars().register(registry);
        outputsDropped = Counter.builder().name("nelbo_outputs_dropped_total")
                .help("Output records the producer refused and the production exception handler skipped")
                .labelNames("topic", "error").withoutExemplars().register(registry);
        followerUp = Gauge.builder().name("nelbo_registry_follower_up")
                .help("1 while the model registry follower reads the registry, 0 while it waits to start again after a failure")
                .register(registry);
        registryLastRead = Gauge.builder().name("nelbo_registry_last_read_timestamp_seconds").unit(Unit.SECONDS)
                .help("When the model registry follower last read the registry topic (epoch seconds)").register(registry);
        registryCurrent = Info.builder().name("nelbo_registry_current_info")
                .help("The version the model registry names current, as this instance last read it").labelNames("version")
                .register(registry);
        modelMatchesRegistry = Gauge.builder().name("nelbo_model_matches_registry")
                .help("0 when the registry names a current model and this instance serves another (or none)").register(registry);
        if (jvmMetrics) {
            JvmMetrics.builder().register(registry);
        }
    }

    /**
     * Exposes readiness: {@code nelbo_ready} (1 or 0) and, while not ready, {@code nelbo_not_ready{reason}} 1.
     *
     * @param readiness the current readiness, asked at every scrape
     */
    public void readiness(final Supplier<Readiness> readiness) {
        GaugeWithCallback.builder().name("nelbo_ready").help("1 when the scorer takes traffic (/readyz answers 200)")
                .callback(cb -> cb.call(readiness.get().ready() ? 1 : 0)).register(registry);
        GaugeWithCallback.builder().name("nelbo_not_ready").help("Why the scorer does not take traffic (1 for the reason)")
                .labelNames("reason").callback(cb -> {
                    final Readiness r = readiness.get();
                    if (!r.ready()) {
                        cb.call(1, r.code());
                    }
                }).register(registry);
    }

    /**
     * Exposes {@code nelbo_schema_registry_requests_total{outcome}}: the schema registry's answers to the lookups of
     * writer schemas ({@code found}, {@code not_found}, {@code failed}: unreachable, timed out, another status).
     *
     * @param stats the registry client's counts, read at every scrape
     */
    public void schemaRegistry(final SchemaRegistryClient.Stats stats) {
        CounterWithCallback.builder().name("nelbo_schema_registry_requests_total")
                .help("Schema registry requests for writer schemas, by outcome").labelNames("outcome").callback(cb -> {
                    cb.call(stats.found(), "found");
                    cb.call(stats.notFound(), "not_found");
                    cb.call(stats.failed(), "failed");
                }).register(registry);
    }

    /** @return the registry the metrics live in */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** Counts one input record. */
    public void recordIn() {
        recordsIn.inc();
    }

    /**
     * Counts a scored batch.
     *
     * @param records          batch size
     * @param inferenceSeconds engine time
     */
    public void batchScored(final int records, final double inferenceSeconds) {
        recordsScored.inc(records);
        batchSize.observe(records);
        this.inferenceSeconds.observe(inferenceSeconds);
    }

    /** @param value one record's score */
    public void score(final double value) {
        score.observe(value);
    }

    /** @param reason dead-letter reason code */
    public void deadLettered(final String reason) {
        deadLettered.labelValues(reason).inc();
    }

    /** @param rule the id of the alert rule that dropped an alert */
    public void alertDropped(final String rule) {
        alertsDropped.labelValues(rule).inc();
    }

    /** @param n alert rules in force */
    public void alertRules(final int n) {
        alertRules.set(n);
    }

    /** @param precision what the alert labels measure now */
    public void alertPrecision(final AlertPrecision precision) {
        alertPrecision.set(precision);
    }

    /** @param why why a feedback record was not counted */
    public void alertFeedbackRejected(final FeedbackFollower.Rejection why) {
        alertFeedbackRejected.labelValues(why.name().toLowerCase(java.util.Locale.ROOT)).inc();
    }

    /** Counts an alert written. */
    public void alert() {
        alerts.inc();
    }

    /** Counts an alert suppressed. */
    public void alertSuppressed() {
        alertsSuppressed.inc();
    }

    /** @param seconds event timestamp to output written */
    public void endToEndLatency(final double seconds) {
        endToEndLatency.observe(seconds);
    }

    /** Counts a refused bundle. */
    public void modelRejected() {
        modelRejected.inc();
    }

    /**
     * Publishes the model now in use.
     *
     * @param version     model version
     * @param loadSeconds time to verify and warm it up
     * @param threshold   its alert threshold
     * @param quantiles   its training score quantiles keyed by quantile label ("0.99")
     */
    public void modelInUse(final String version, final double loadSeconds, final double threshold,
                           final Map<String, Double> quantiles) {
        modelInfo.setLabelValues(version);
        modelLoadSeconds.set(loadSeconds);
        modelThreshold.set(threshold);
        trainingQuantile.clear();
        for (final Map.Entry<String, Double> q : quantiles.entrySet()) {
            trainingQuantile.labelValues(q.getKey()).set(q.getValue());
        }
    }

    /**
     * Counts events scored by the shadow model.
     *
     * @param records            events scored by both
     * @param shadowAnomalies    of those, over the shadow's threshold
     * @param championAnomalies  of those, over the champion's threshold
     */
    public void shadowScored(final int records, final int shadowAnomalies, final int championAnomalies) {
        shadowScored.inc(records);
        this.shadowAnomalies.labelValues("shadow").inc(shadowAnomalies);
        this.shadowAnomalies.labelValues("champion").inc(championAnomalies);
    }

    /** @param feature a feature whose value was clamped into the model's range */
    public void clamped(final String feature) {
        clamped.labelValues(feature).inc();
    }

    /** Counts an event whose time was replaced by its record timestamp. */
    public void eventTimeBounded() {
        eventTimeBounded.inc();
    }

    /** Counts an input record whose timestamp was invalid and was replaced. */
    public void recordTimestampInvalid() {
        recordTimestampInvalid.inc();
    }

    /** Counts an output stamped other than its input, so that its topic accepts it. */
    public void outputTimestampAdjusted() {
        outputTimestampAdjusted.inc();
    }

    /**
     * @param task  stream task
     * @param keys  keys held, or -1 when the task is gone
     * @param bytes bytes held
     */
    public void suppressionState(final String task, final long keys, final long bytes) {
        if (keys < 0) {
            suppressionKeys.remove(task);
            suppressionBytes.remove(task);
            return;
        }
        suppressionKeys.labelValues(task).set(keys);
        suppressionBytes.labelValues(task).set(bytes);
    }

    /**
     * @param task      stream task
     * @param keys      keys held, or -1 when the task is gone
     * @param bytes     bytes held
     */
    public void historyState(final String task, final long keys, final long bytes) {
        if (keys < 0) {
            historyKeys.remove(task);
            historyBytes.remove(task);
            return;
        }
        historyKeys.labelValues(task).set(keys);
        historyBytes.labelValues(task).set(bytes);
    }

    /** Counts an entity alert written. */
    public void entityAlert() {
        entityAlerts.inc();
    }

    /**
     * @param task  stream task
     * @param keys  keys with evidence held, or -1 when the task is gone
     * @param bytes bytes held
     * @param anomalous keys in the anomalous state
     */
    public void entityState(final String task, final long keys, final long bytes, final long anomalous) {
        if (keys < 0) {
            entityKeys.remove(task);
            entityBytes.remove(task);
            entitiesAnomalous.remove(task);
            return;
        }
        entityKeys.labelValues(task).set(keys);
        entityBytes.labelValues(task).set(bytes);
        entitiesAnomalous.labelValues(task).set(anomalous);
    }

    /** Counts a silence alert written. */
    public void silenceAlert() {
        silenceAlerts.inc();
    }

    /**
     * @param task  stream task
     * @param keys  keys followed, or -1 when the task is gone
     * @param bytes bytes held
     */
    public void silenceState(final String task, final long keys, final long bytes) {
        if (keys < 0) {
            silenceKeys.remove(task);
            silenceBytes.remove(task);
            return;
        }
        silenceKeys.labelValues(task).set(keys);
        silenceBytes.labelValues(task).set(bytes);
    }

    /** @param keys keys evicted from the silence state to stay within its bounds */
    public void silenceEvicted(final long keys) {
        silenceEvicted.inc(keys);
    }

    /** @param keys keys evicted from the entity state to stay within its bounds */
    public void entityEvicted(final long keys) {
        entityEvicted.inc(keys);
    }

    /** @param keys keys whose history was evicted to stay within the state's bounds */
    public void historyEvicted(final long keys) {
        historyEvicted.inc(keys);
    }

    /** Counts an event whose Kafka key differs from its entity key while the model keeps history. */
    public void historyKeyMismatch() {
        historyKeyMismatch.inc();
    }

    /** @param keys keys evicted from the suppression state to stay within its bounds */
    public void suppressionEvicted(final long keys) {
        suppressionEvicted.inc(keys);
    }

    /** @param output which output was sent without its key */
    public void outputUnkeyed(final String output) {
        outputsUnkeyed.labelValues(output).inc();
    }

    /** @param output which output did not fit */
    public void outputTooLarge(final String output) {
        outputsTooLarge.labelValues(output).inc();
    }

    /**
     * @param topic the output topic
     * @param error the producer's error class
     */
    public void outputDropped(final String topic, final String error) {
        outputsDropped.labelValues(topic, error).inc();
    }

    /** @param isUp whether the registry follower is reading */
    public void registryFollowerUp(final boolean isUp) {
        followerUp.set(isUp ? 1 : 0);
    }

    /**
     * @param epochSeconds when the registry was read
     * @param current      the version it names current, or null
     * @param serving      the version in use, or null
     */
    public synchronized void registryRead(final double epochSeconds, final String current, final String serving) {
        registryLastRead.set(epochSeconds);
        if (!java.util.Objects.equals(current, registryVersion)) {
            if (registryVersion != null) {
                registryCurrent.remove(registryVersion);
            }
            if (current != null) {
                registryCurrent.addLabelValues(current);
            }
            registryVersion = current;
        }
        modelMatchesRegistry.set(current == null || current.equals(serving) ? 1 : 0);
    }

    /** @param version the shadow model now in use, or null when there is none */
    public synchronized void shadowInUse(final String version) {
        if (shadowVersion != null) {
            shadowInfo.remove(shadowVersion);
        }
        shadowVersion = version;
        if (version != null) {
            shadowInfo.addLabelValues(version);
        }
    }
}
