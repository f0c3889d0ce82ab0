package dev.nelbo.scorer.config;

import dev.nelbo.schemas.TopicNames;
import dev.nelbo.schemas.event.DecodeLimits;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** The settings the scorer defines itself (names fixed by the project contract), with defaults and checks. */
public enum ScorerKey {
    /** Kafka bootstrap servers (a Kafka key, required). */
    BOOTSTRAP_SERVERS("bootstrap.servers", null, Type.STRING),
    /** Kafka Streams application id; instances sharing it share partitions. */
    APPLICATION_ID("application.id", "nelbo-scorer", Type.STRING),
    /** Kafka Streams processing guarantee. */
    PROCESSING_GUARANTEE("processing.guarantee", "exactly_once_v2", Type.STRING),
    /** Directory of the bundle to start from (optional when the registry topic already has a current model). */
    MODEL_DIR("nelbo.model.dir", null, Type.STRING),
    /**
     * Where the last model taken from the registry is kept, so a restarted instance serves it while the registry names
     * a version it refuses (default: {@code nelbo-last-good-model/<application.id>} under Kafka Streams' state.dir).
     */
    MODEL_LAST_GOOD_DIR("nelbo.model.last.good.dir", null, Type.STRING),
    /** Input topic of JSON events. */
    TOPIC_EVENTS("nelbo.topic.events", TopicNames.EVENTS, Type.TOPIC),
    /** Output topic of score records. */
    TOPIC_SCORES("nelbo.topic.scores", TopicNames.SCORES, Type.TOPIC),
    /** Output topic of alerts. */
    TOPIC_ALERTS("nelbo.topic.alerts", TopicNames.ALERTS, Type.TOPIC),
    /** Dead-letter topic. */
    TOPIC_DLQ("nelbo.topic.dlq", TopicNames.DLQ, Type.TOPIC),
    /** Compacted model registry topic. */
    TOPIC_REGISTRY("nelbo.topic.registry", TopicNames.REGISTRY, Type.TOPIC),
    /** Compacted topic each instance reports its models to (what it serves, what it refused). */
    TOPIC_STATUS("nelbo.topic.status", TopicNames.STATUS, Type.TOPIC),
    /** This instance's name in the status reports (default: the HOSTNAME variable, a pod's name, else host and pid). */
    INSTANCE_ID("nelbo.instance.id", null, Type.STRING),
    /** Whether a score record is written for every scored event. */
    SCORES_ENABLED("nelbo.scores.enabled", "true", Type.BOOLEAN),
    /** Whether score records carry every feature's contribution (alerts always carry their top features). */
    SCORES_CONTRIBUTIONS("nelbo.scores.contributions", "false", Type.BOOLEAN),
    /** Largest event value; larger ones are dead-lettered as too_large unread. */
    EVENT_MAX_BYTES("nelbo.event.max.bytes", Integer.toString(DecodeLimits.DEFAULT_MAX_BYTES), Type.POSITIVE_INT),
    /** Deepest nesting of objects and arrays in an event (too_deep). */
    EVENT_MAX_DEPTH("nelbo.event.max.depth", Integer.toString(DecodeLimits.DEFAULT_MAX_DEPTH), Type.POSITIVE_INT),
    /** Longest number literal in an event (number_too_long). */
    EVENT_MAX_NUMBER_LENGTH("nelbo.event.max.number.length", Integer.toString(DecodeLimits.DEFAULT_MAX_NUMBER_LENGTH),
            Type.POSITIVE_INT),
    /** Longest string or field name in an event (string_too_long). */
    EVENT_MAX_STRING_LENGTH("nelbo.event.max.string.length", Integer.toString(DecodeLimits.DEFAULT_MAX_STRING_LENGTH),
            Type.POSITIVE_INT),
    /** Largest trusted distance between an event's own time and its Kafka record timestamp. */
    EVENT_TIME_MAX_SKEW_MS("nelbo.event.time.max.skew.ms", "3600000", Type.NON_NEGATIVE_LONG),
    /** Port of the /metrics, /healthz and /readyz endpoint (0 = any free port). */
    METRICS_PORT("nelbo.metrics.port", "9464", Type.PORT),
    /**
     * Address the /metrics, /healthz and /readyz endpoint binds (0.0.0.0: every interface, as a pod's probes need;
     * 127.0.0.1 keeps it to the host).
     */
    METRICS_BIND_ADDRESS("nelbo.metrics.bind.address", "0.0.0.0", Type.STRING),
    /** Inference device: cpu, cuda or cuda:N. */
    DEVICE("nelbo.device", "cpu", Type.DEVICE),
    /** Fail instead of falling back to CPU when the requested device is unavailable. */
    DEVICE_STRICT("nelbo.device.strict", "false", Type.BOOLEAN),
    /** Monte Carlo samples per record. */
    ENGINE_SAMPLES("nelbo.engine.samples", dev.nelbo.engine.EngineOptions.DEFAULT_SAMPLES_TEXT, Type.POSITIVE_INT),
    /** ONNX Runtime intra-op threads per session. */
    ENGINE_INTRA_OP_THREADS("nelbo.engine.intra.op.threads", "1", Type.POSITIVE_INT),
    /** Largest number of records scored in one engine call. */
    BATCH_MAX_RECORDS("nelbo.batch.max.records", "256", Type.POSITIVE_INT),
    /** Alert suppression window per entity key. */
    ALERT_SUPPRESSION_WINDOW_MS("nelbo.alert.suppression.window.ms", "60000", Type.NON_NEGATIVE_LONG),
    /** How long a key that has suppressed alerts to report is remembered (at least the window). */
    ALERT_SUPPRESSION_RETENTION_MS("nelbo.alert.suppression.retention.ms", "3600000", Type.NON_NEGATIVE_LONG),
    /** Most entity keys the suppression state holds per task; the least recently alerted are evicted beyond it. */
    ALERT_SUPPRESSION_MAX_KEYS("nelbo.alert.suppression.max.keys", Long.toString(dev.nelbo.scorer.pipeline.PipelineSettings
            .DEFAULT_SUPPRESSION_MAX_KEYS), Type.POSITIVE_INT),
    /** Most estimated heap bytes the suppression state takes per task; the least recently alerted keys are evicted beyond it. */
    ALERT_SUPPRESSION_MAX_BYTES("nelbo.alert.suppression.max.bytes", Long.toString(dev.nelbo.scorer.pipeline.PipelineSettings
            .DEFAULT_SUPPRESSION_MAX_BYTES), Type.POSITIVE_LONG),
    /** How long the history of an idle entity key is kept (models with history features), by record time. */
    HISTORY_RETENTION_MS("nelbo.history.retention.ms", Long.toString(dev.nelbo.scorer.pipeline.PipelineSettings
            .DEFAULT_HISTORY_RETENTION_MS), Type.POSITIVE_LONG),
    /** Most entity keys whose history is kept per task; the least recently seen are evicted beyond it. */
    HISTORY_MAX_KEYS("nelbo.history.max.keys", Long.toString(dev.nelbo.scorer.pipeline.PipelineSettings
            .DEFAULT_HISTORY_MAX_KEYS), Type.POSITIVE_LONG),
    /** Most estimated heap bytes of history per task; the least recently seen keys are evicted beyond it. */
    HISTORY_MAX_BYTES("nelbo.history.max.bytes", Long.toString(dev.nelbo.scorer.pipeline.PipelineSettings
            .DEFAULT_HISTORY_MAX_BYTES), Type.POSITIVE_LONG),
    /** Number of top contributing features an alert lists. */
    ALERT_TOP_FEATURES("nelbo.alert.top.features", "3", Type.POSITIVE_INT),
    /** Shadow output topic for a candidate model (unset = off). */
    SHADOW_TOPIC("nelbo.shadow.topic", null, Type.TOPIC),
    /** Public keys whose bundle signatures are accepted: PEM files (comma-separated) or PEM text; unset accepts unsigned. */
    BUNDLE_TRUSTED_KEYS("nelbo.bundle.trusted.keys", null, Type.STRING),
    /** The deployment bundles must be signed for (with nelbo.bundle.trusted.keys); unset accepts any audience. */
    BUNDLE_AUDIENCE("nelbo.bundle.audience", null, Type.STRING),
    /** Largest encoder or decoder graph a bundle may bring. */
    MODEL_MAX_GRAPH_BYTES("nelbo.model.max.graph.bytes", Long.toString(dev.nelbo.scorer.model.ModelPolicy.DEFAULT_MAX_GRAPH_BYTES),
            Type.POSITIVE_LONG),
    /** Longest time to open and warm up a model before it is refused. */
    MODEL_WARMUP_TIMEOUT_MS("nelbo.model.warmup.timeout.ms",
            Long.toString(dev.nelbo.scorer.model.ModelPolicy.DEFAULT_WARMUP_TIMEOUT.toMillis()), Type.POSITIVE_LONG);

    private final String key;
    private final String defaultValue;
    private final Type type;

    ScorerKey(final String key, final String defaultValue, final Type type) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.type = type;
    }

    /** @return the setting's name */
    public String key() {
        return key;
    }

    /** @return the default value, or null when there is none */
    public String defaultValue() {
        return defaultValue;
    }

    /**
     * @param key a setting name
     * @return the matching key
     */
    public static Optional<ScorerKey> byKey(final String key) {
        return Arrays.stream(values()).filter(k -> k.key.equals(key)).findFirst();
    }

    /**
     * @param value a value for this key
     * @throws IllegalArgumentException naming the key when the value does not parse
     */
    void validate(final String value) {
        if (value.isEmpty()) {
            if (defaultValue != null && type != Type.STRING) {
                throw invalid(value, "must not be empty");
            }
            return;
        }
        switch (type) {
            case BOOLEAN -> {
                final String v = value.toLowerCase(Locale.ROOT);
                if (!Set.of("true", "false").contains(v)) {
                    throw invalid(value, "expected true or false");
                }
            }
            case POSITIVE_INT -> {
                if (parseLong(value) < 1 || parseLong(value) > Integer.MAX_VALUE) {
                    throw invalid(value, "expected a positive integer");
                }
            }
            case POSITIVE_LONG -> {
                if (parseLong(value) < 1) {
                    throw invalid(value, "expected a positive integer");
                }
            }
            case NON_NEGATIVE_LONG -> {
                if (parseLong(value) < 0) {
                    throw invalid(value, "expected a non-negative integer");
                }
            }
            case PORT -> {
                final long port = parseLong(value);
                if (port < 0 || port > 65535) {
                    throw invalid(value, "expected a port 0..65535");
                }
            }
            case DEVICE -> {
                if (!value.matches("cpu|cuda|cuda:\\d+")) {
                    throw invalid(value, "expected cpu, cuda or cuda:N");
                }
            }
            case TOPIC -> {
                if (!value.matches("[a-zA-Z0-9._-]{1,249}")) {
                    throw invalid(value, "not a valid topic name");
                }
            }
            case STRING -> { }
            default -> throw new IllegalStateException("unhandled type " + type);
        }
    }

    private long parseLong(final String value) {
        try {
            return Long.parseLong(value);
        } catch (final NumberFormatException e) {
            throw invalid(value, "expected an integer");
        }
    }

    private IllegalArgumentException invalid(final String value, final String why) {
        return new IllegalArgumentException("invalid value '" + value + "' for setting '" + key + "': " + why);
    }

    private enum Type { STRING, BOOLEAN, POSITIVE_INT, POSITIVE_LONG, NON_NEGATIVE_LONG, PORT, DEVICE, TOPIC }
}
