package dev.nelbo.trainer.retrain;

import dev.nelbo.schemas.TopicNames;
import java.util.Arrays;
import java.util.Optional;

/** The nelbo settings of the {@code retrain}, {@code rollback}, {@code promote} and {@code publish} commands. */
public enum RetrainKey {
    /** Kafka bootstrap servers (required). */
    BOOTSTRAP_SERVERS("bootstrap.servers", null, "Kafka bootstrap servers (required)"),
    /** Events topic the window is read from. */
    TOPIC_EVENTS("nelbo.topic.events", TopicNames.EVENTS, "events topic the window is read from"),
    /** Alerts topic, read to leave out what the champion alerted on. */
    TOPIC_ALERTS("nelbo.topic.alerts", TopicNames.ALERTS, "alerts topic (records the champion alerted on are left out of training)"),
    /** Model registry topic. */
    TOPIC_REGISTRY("nelbo.topic.registry", TopicNames.REGISTRY, "model registry topic (compacted)"),
    /** Scorer status topic, read to report which instances took a version. */
    TOPIC_STATUS("nelbo.topic.status", TopicNames.STATUS, "scorer status topic (compacted): which instance serves or refused which version"),
    /** Key the bundles are signed with. */
    BUNDLE_SIGNING_KEY("nelbo.bundle.signing.key", null,
            "Ed25519 private key (PKCS#8 PEM text or file) every bundle written is signed with; unset: bundles are unsigned"),
    /** The deployment bundles are signed for. */
    BUNDLE_SIGNING_AUDIENCE("nelbo.bundle.signing.audience", null,
            "deployment the bundles written are signed for (the scorers' nelbo.bundle.audience, e.g. prod-eu); unset: any"),
    /** Keys whose signatures the commands accept. */
    BUNDLE_TRUSTED_KEYS("nelbo.bundle.trusted.keys", null,
            "Ed25519 public keys (PEM text, or PEM files separated by commas): bundles not signed by one are refused; unset: not checked"),
    /** Length of the window. */
    WINDOW("nelbo.retrain.window", "7d", "length of the window read from the events topic (90s, 30m, 12h, 7d)"),
    /** End of the window (exclusive); pin it for reruns. */
    WINDOW_END("nelbo.retrain.window.end", null, "end of the window, ISO-8601 instant (default: now); pin it to rerun a window"),
    /** Training sample cap. */
    MAX_ROWS("nelbo.retrain.max.rows", "200000", "most training rows (uniform sample of the window beyond)"),
    /** Share of the window, by time, held back for the comparison. */
    HOLDOUT_FRACTION("nelbo.retrain.holdout.fraction", "0.1", "most recent share of the window (by time) held back to compare the models"),
    /** Held-back sample cap. */
    HOLDOUT_MAX_ROWS("nelbo.retrain.holdout.max.rows", "20000", "most held-back rows scored by both models"),
    /** Training sample cap in bytes. */
    MAX_BYTES("nelbo.retrain.max.bytes", Long.toString(256L << 20),
            "most bytes of raw events (values and keys) the training sample holds; beyond, it holds fewer rows, still a uniform sample"),
    /** Held-back sample cap in bytes. */
    HOLDOUT_MAX_BYTES("nelbo.retrain.holdout.max.bytes", Long.toString(32L << 20),
            "most bytes of raw events the held-back sample holds"),
    /** Largest share of a sample one key may hold. */
    MAX_KEY_SHARE("nelbo.retrain.max.key.share", "0.1",
            "most share of either sample the events of one Kafka record key may hold, so a burst or flood under one key cannot choose the training set; 1: no cap"),
    /** Whether to leave out records the champion alerted on. */
    EXCLUDE_ALERTED("nelbo.retrain.exclude.alerted", "true", "leave records the champion alerted on out of training (joined by event id)"),
    /** Publish a passing challenger as current or as shadow. */
    PUBLISH_AS("nelbo.retrain.publish.as", "current", "how a passing challenger is published: current | shadow"),
    /** Sampling seed. */
    SAMPLE_SEED("nelbo.retrain.sample.seed", "1", "seed of the order-independent window sample"),
    /** A fixed set of normal events the challenger is also gated on. */
    REFERENCE("nelbo.retrain.reference", null,
            "JSONL file of events known to be normal (curated, refreshed deliberately): the challenger must also pass the gates on"
                    + " it, so a window that was poisoned or bursty cannot move the model away from it; unset: the window only"),
    /** Working directory. */
    WORK_DIR("nelbo.retrain.work.dir", null, "where the challenger bundle is written (default: a new temp directory)"),
    /** Report file. */
    REPORT("nelbo.retrain.report", null, "JSON report of the decision (default: retrain-report.json in the work dir)"),
    /** Bound on reading a topic window. */
    READ_TIMEOUT("nelbo.retrain.read.timeout", "10m", "longest time reading one topic window"),
    /** Mean-score gate. */
    GATE_MAX_MEAN_INCREASE_SD("nelbo.retrain.gate.max.mean.increase.sd", "0.25",
            "challenger mean score on the held-back slice may exceed the champion's by at most this many champion sd"),
    /** Alert-rate gate. */
    GATE_MAX_ALERT_RATE("nelbo.retrain.gate.max.alert.rate", "0.01",
            "challenger alert rate on the held-back slice at its own threshold, at most this or the champion's rate"),
    /** Drift gate. */
    GATE_MAX_CALIBRATION_SHIFT("nelbo.retrain.gate.max.calibration.shift", "0.15",
            "KS distance between the challenger's held-back scores and its own calibration, at most"),
    /** Fewest held-back rows to decide. */
    GATE_MIN_HOLDOUT_ROWS("nelbo.retrain.gate.min.holdout.rows", "200", "fewest held-back rows to decide on");

    private final String key;
    private final String defaultValue;
    private final String description;

    RetrainKey(final String key, final String defaultValue, final String description) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.description = description;
    }

    /** @return the property name */
    public String key() {
        return key;
    }

    /** @return the default, or null */
    public String defaultValue() {
        return defaultValue;
    }

    /** @return what it sets */
    public String description() {
        return description;
    }

    /**
     * @param key a property name
     * @return the setting it names, if any
     */
    public static Optional<RetrainKey> byKey(final String key) {
        return Arrays.stream(values()).filter(k -> k.key.equals(key)).findFirst();
    }
}
