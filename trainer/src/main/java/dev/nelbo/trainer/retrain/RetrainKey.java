package dev.nelbo.trainer.retrain;

import dev.nelbo.contract.TopicNames;
import dev.nelbo.contract.settings.Setting;
import dev.nelbo.contract.settings.Settings;
import dev.nelbo.registry.InputSetting;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.DoublePredicate;

/**
 * The settings of the {@code retrain}, {@code rollback}, {@code promote} and {@code publish} commands: each one's name,
 * type, default, check and documentation, written once here. {@link RetrainConfig} parses against them and the
 * settings table of {@code docs/retraining.md} is rendered from them.
 */
public enum RetrainKey {
    BOOTSTRAP_SERVERS(Setting.of("bootstrap.servers", Type.STRING, Setting.REQUIRED, "Kafka brokers")
            .checked(new ConfigDef.NonEmptyString())),
    TOPIC_EVENTS(Setting.topic("nelbo.topic.events", TopicNames.EVENTS, "events topic the window is read from")),
    TOPIC_ALERTS(Setting.topic("nelbo.topic.alerts", TopicNames.ALERTS,
            "alerts topic (the events the champion alerted on are left out of training)")),
    TOPIC_REGISTRY(Setting.topic("nelbo.topic.registry", TopicNames.REGISTRY, "model registry topic (compacted)")),
    TOPIC_FEEDBACK(Setting.topic("nelbo.topic.feedback", TopicNames.FEEDBACK,
            "operators' labels of alerts (compacted, keyed by event id; `nelbo-scorer feedback`)")),
    TOPIC_STATUS(Setting.topic("nelbo.topic.status", TopicNames.STATUS,
            "the scorers' status topic (compacted): which instance serves or refused which version")),
    // the events' wire format, as the scorer reads it (one declaration, in InputSetting): the window is read in it
    INPUT_FORMAT(InputSetting.FORMAT.setting()),
    INPUT_AVRO_SCHEMA(InputSetting.AVRO_SCHEMA.setting()),
    INPUT_SCHEMA_REGISTRY_URL(InputSetting.SCHEMA_REGISTRY_URL.setting()),
    INPUT_SCHEMA_REGISTRY_SUBJECT(InputSetting.SCHEMA_REGISTRY_SUBJECT.setting()),
    INPUT_SCHEMA_REGISTRY_USERNAME(InputSetting.SCHEMA_REGISTRY_USERNAME.setting()),
    INPUT_SCHEMA_REGISTRY_PASSWORD(InputSetting.SCHEMA_REGISTRY_PASSWORD.setting()),
    INPUT_SCHEMA_REGISTRY_TIMEOUT_MS(InputSetting.SCHEMA_REGISTRY_TIMEOUT_MS.setting()),
    INPUT_SCHEMA_REGISTRY_RETRY_MS(InputSetting.SCHEMA_REGISTRY_RETRY_MS.setting()),
    INPUT_SCHEMA_REGISTRY_MAX_SCHEMAS(InputSetting.SCHEMA_REGISTRY_MAX_SCHEMAS.setting()),
    INPUT_PROTOBUF_DESCRIPTOR(InputSetting.PROTOBUF_DESCRIPTOR.setting()),
    INPUT_PROTOBUF_MESSAGE(InputSetting.PROTOBUF_MESSAGE.setting()),
    BUNDLE_SIGNING_KEY(Setting.of("nelbo.bundle.signing.key", Type.PASSWORD, null,
            "Ed25519 private key (PKCS#8 PEM text or file) every bundle written is signed with; unset: bundles are unsigned")),
    BUNDLE_SIGNING_AUDIENCE(Setting.of("nelbo.bundle.signing.audience", Type.STRING, null,
            "deployment the bundles written are signed for (the scorers' `nelbo.bundle.audience`, e.g. `prod-eu`); unset: any")),
    BUNDLE_TRUSTED_KEYS(Setting.of("nelbo.bundle.trusted.keys", Type.STRING, null,
            "Ed25519 public keys (PEM files separated by commas, or PEM text): the champion and published bundles must be"
                    + " signed by one; unset: not checked")),
    WINDOW(duration("nelbo.retrain.window", "7d", "window length: `90s`, `30m`, `12h`, `7d` or ISO-8601 (`PT12H`)")),
    WINDOW_END(Setting.of("nelbo.retrain.window.end", Type.STRING, null,
            "end of the window (exclusive), an ISO-8601 instant; pin it to rerun a window").defaultShownAs("now")
            .checked(Setting.parsedBy(v -> {
                try {
                    Instant.parse(v);
                } catch (final DateTimeParseException e) {
                    throw new IllegalArgumentException("not an ISO-8601 instant such as 2026-11-21T12:00:00Z");
                }
            }))),
    MAX_ROWS(Setting.of("nelbo.retrain.max.rows", Type.INT, 200_000, "most training rows (a uniform sample of the window beyond)")
            .checked(Range.atLeast(1))),
    HOLDOUT_FRACTION(Setting.of("nelbo.retrain.holdout.fraction", Type.DOUBLE, 0.1,
            "most recent share of the window (by time) held back to compare the models")
            .checked(number(f -> f > 0 && f < 1, "must be in (0, 1)"))),
    HOLDOUT_MAX_ROWS(Setting.of("nelbo.retrain.holdout.max.rows", Type.INT, 20_000, "most held-back rows scored by both models")
            .checked(Range.atLeast(1))),
    MAX_BYTES(Setting.of("nelbo.retrain.max.bytes", Type.LONG, 256L << 20,
            "most bytes of raw events (values and keys) the training sample holds; beyond, it holds fewer rows, still a"
                    + " uniform sample").checked(Range.atLeast(1))),
    HOLDOUT_MAX_BYTES(Setting.of("nelbo.retrain.holdout.max.bytes", Type.LONG, 32L << 20,
            "most bytes of raw events the held-back sample holds").checked(Range.atLeast(1))),
    MAX_KEY_SHARE(Setting.of("nelbo.retrain.max.key.share", Type.DOUBLE, 0.1,
            "most share of either sample the events of one Kafka record key may hold, so a burst or flood under one key"
                    + " cannot choose the training set; `1`: no cap").checked(number(s -> s > 0 && s <= 1, "must be in (0, 1]"))),
    REFERENCE(Setting.of("nelbo.retrain.reference", Type.STRING, null,
            "JSONL file of events known to be normal (curated, refreshed deliberately): the challenger must also pass the"
                    + " gates on it, so a window that was poisoned or bursty cannot move the model away from it; unset: the"
                    + " window only")),
    EXCLUDE_ALERTED(Setting.of("nelbo.retrain.exclude.alerted", Type.BOOLEAN, true,
            "leave the events the champion alerted on out of training (joined by event id)")),
    FEEDBACK(Setting.of("nelbo.retrain.feedback", Type.BOOLEAN, true,
            "use the operators' labels in the feedback topic: events labelled false positive are trained on (their pattern"
                    + " is learnt), events labelled true positive are left out of training, calibration and the held-back"
                    + " slice, and the challenger is judged on both (the feedback gates); `false`: labels are ignored")),
    FEEDBACK_FALSE_POSITIVE_COPIES(Setting.of("nelbo.retrain.feedback.false.positive.copies", Type.INT, 10,
            "how many times each window event labelled false positive joins the training data: a pattern seen a few times"
                    + " among many thousand rows would not be learnt otherwise; `0`: judged on, not trained on")
            .checked(Range.between(0, 1000))),
    PUBLISH_AS(Setting.of("nelbo.retrain.publish.as", Type.STRING, "current",
            "how a passing challenger is published: `current` or `shadow`")
            .checked(ConfigDef.CaseInsensitiveValidString.in("current", "shadow"))),
    SAMPLE_SEED(Setting.of("nelbo.retrain.sample.seed", Type.LONG, 1L, "seed of the order-independent window sample")),
    WORK_DIR(Setting.of("nelbo.retrain.work.dir", Type.STRING, null, "where the champion and challenger bundles are written")
            .defaultShownAs("a new temp directory")),
    REPORT(Setting.of("nelbo.retrain.report", Type.STRING, null, "JSON report of the decision")
            .defaultShownAs("`retrain-report.json` in the work dir")),
    READ_TIMEOUT(duration("nelbo.retrain.read.timeout", "10m", "longest time reading one topic window")),
    GATE_MAX_MEAN_INCREASE_SD(gate("nelbo.retrain.gate.max.mean.increase.sd", 0.25,
            "the challenger's mean score on the held-back slice may exceed the champion's by at most this many champion"
                    + " standard deviations (see Gates)")),
    GATE_MAX_ALERT_RATE(gate("nelbo.retrain.gate.max.alert.rate", 0.01,
            "the challenger's alert rate on the held-back slice at its own threshold: at most this, or the champion's rate"
                    + " (see Gates)")),
    GATE_MAX_CALIBRATION_SHIFT(gate("nelbo.retrain.gate.max.calibration.shift", 0.15,
            "largest KS distance between the challenger's held-back scores and its own calibration (see Gates)")),
    GATE_MIN_HOLDOUT_ROWS(Setting.of("nelbo.retrain.gate.min.holdout.rows", Type.INT, 200, "fewest held-back rows to decide on")
            .checked(Range.atLeast(1))),
    GATE_MAX_FALSE_POSITIVE_REFLAG(share("nelbo.retrain.gate.max.false.positive.reflag", 0.5,
            "share of the window's events labelled false positive the challenger may still flag (see Gates)")),
    GATE_MAX_TRUE_POSITIVE_MISSED(share("nelbo.retrain.gate.max.true.positive.missed", 0.0,
            "share of the window's events labelled true positive, of those the champion flags, the challenger may miss"
                    + " (see Gates)"));

    /** Kafka's declaration of every setting above, in this order. */
    public static final ConfigDef CONFIG_DEF = Settings.define(Arrays.stream(values()).map(RetrainKey::setting).toList());

    private final Setting setting;

    RetrainKey(final Setting setting) {
        this.setting = setting;
    }

    /** @return the property name */
    public String key() {
        return setting.name();
    }

    /** @return its declaration */
    public Setting setting() {
        return setting;
    }

    /**
     * @param key a property name
     * @return the setting it names, if any
     */
    public static Optional<RetrainKey> byKey(final String key) {
        return Arrays.stream(values()).filter(k -> k.key().equals(key)).findFirst();
    }

    private static Setting duration(final String name, final String defaultValue, final String doc) {
        return Setting.of(name, Type.STRING, defaultValue, doc).checked(Setting.parsedBy(v -> Durations.parse(v, name)));
    }

    private static Setting gate(final String name, final double defaultValue, final String doc) {
        return Setting.of(name, Type.DOUBLE, defaultValue, doc).checked(number(d -> d >= 0, "must be a number, at least 0"));
    }

    private static Setting share(final String name, final double defaultValue, final String doc) {
        return Setting.of(name, Type.DOUBLE, defaultValue, doc).checked(number(d -> d >= 0 && d <= 1, "must be in [0, 1]"));
    }

    private static ConfigDef.Validator number(final DoublePredicate valid, final String rule) {
        return (name, value) -> {
            final double d = ((Number) value).doubleValue();
            if (!Double.isFinite(d) || !valid.test(d)) {
                throw new ConfigException(name, value, rule);
            }
        };
    }
}
