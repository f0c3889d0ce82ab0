package dev.nelbo.trainer.retrain;

import dev.nelbo.contract.settings.SettingSources;
import dev.nelbo.contract.settings.Settings;
import dev.nelbo.registry.InputSetting;
import dev.nelbo.schemas.bundle.BundleSignature;
import dev.nelbo.schemas.event.EventFormat;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Validated settings of the retraining job and the registry commands: a properties file, then
 * {@code NELBO_*} environment variables ({@code NELBO_RETRAIN_WINDOW} is {@code nelbo.retrain.window},
 * {@code NELBO_KAFKA_SASL_JAAS_CONFIG} the Kafka key {@code sasl.jaas.config}), then command-line flags,
 * later ones winning. Kafka client keys pass through under their own names. An unknown key or a value
 * that does not parse fails with a message naming the key.
 */
public final class RetrainConfig {

    /** Environment variable prefix of nelbo keys. */
    public static final String ENV_PREFIX = SettingSources.ENV_PREFIX;
    /** Environment variable prefix of Kafka client keys. */
    public static final String ENV_KAFKA_PREFIX = SettingSources.ENV_KAFKA_PREFIX;

    private static final Set<String> KAFKA_KEYS = kafkaKeys();

    private final Settings settings;
    private EventFormat eventFormat;

    private RetrainConfig(final Settings settings) {
        this.settings = settings;
    }

    /**
     * @param file      properties file, or null
     * @param env       environment
     * @param overrides command-line settings
     * @return the validated configuration
     * @throws IllegalArgumentException naming the offending key, file or variable
     */
    public static RetrainConfig load(final Path file, final Map<String, String> env, final Map<String, String> overrides) {
        return of(SettingSources.layer(file, fromEnvironment(env), overrides));
    }

    /**
     * @param settings explicit settings (defaults fill the rest)
     * @return the validated configuration
     * @throws IllegalArgumentException naming the offending key
     */
    public static RetrainConfig of(final Map<String, String> settings) {
        final RetrainConfig c = new RetrainConfig(Settings.parse(RetrainKey.CONFIG_DEF, settings, KAFKA_KEYS::contains,
                "a Kafka client setting"));
        c.validateTogether();
        return c;
    }

    /** The checks that read a setting further than its type and range, so a bad value fails before the job starts. */
    private void validateTogether() {
        signingKey();
        trustedKeys();
        if ("protobuf".equalsIgnoreCase(require(RetrainKey.INPUT_FORMAT))) {
            throw new IllegalArgumentException("setting 'nelbo.input.format': the retrain job reads json and avro events;"
                    + " training on Protobuf events is not supported yet");
        }
        eventFormat = InputSetting.eventFormat(settings, require(RetrainKey.TOPIC_EVENTS));
        try {
            gates();
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid gate setting: " + e.getMessage(), e);
        }
    }

    /**
     * @return the events' wire format ({@code nelbo.input.*}, as the scorer's): the window's records are read as the
     * JSON events they are twins of
     */
    public EventFormat eventFormat() {
        return eventFormat;
    }

    /** @return the raw value of a key, if set */
    Optional<String> get(final RetrainKey key) {
        return settings.text(key.key());
    }

    /**
     * @param key a key
     * @return its value
     * @throws IllegalArgumentException when unset
     */
    public String require(final RetrainKey key) {
        return get(key).orElseThrow(() -> new IllegalArgumentException("setting '" + key.key() + "' is required"));
    }

    /** @return Kafka client settings (every non-nelbo key) */
    public Map<String, Object> clientProperties() {
        final Map<String, Object> out = new HashMap<>();
        out.put(RetrainKey.BOOTSTRAP_SERVERS.key(), require(RetrainKey.BOOTSTRAP_SERVERS));
        settings.given().forEach((k, v) -> {
            if (!k.startsWith("nelbo.")) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** @return the window length */
    public Duration window() {
        return Durations.parse(require(RetrainKey.WINDOW), RetrainKey.WINDOW.key());
    }

    /** @return the pinned window end, if any */
    public Optional<Instant> windowEnd() {
        return get(RetrainKey.WINDOW_END).map(Instant::parse);
    }

    /**
     * @param now the current time
     * @return the window to read: pinned end or now (whole seconds), minus the window length
     */
    public RetrainWindow resolveWindow(final Instant now) {
        final Instant end = windowEnd().orElse(now.truncatedTo(ChronoUnit.SECONDS));
        return RetrainWindow.of(end.minus(window()), end, number(RetrainKey.HOLDOUT_FRACTION));
    }

    /** @return bound on reading one topic window */
    public Duration readTimeout() {
        return Durations.parse(require(RetrainKey.READ_TIMEOUT), RetrainKey.READ_TIMEOUT.key());
    }

    /** @return what the training sample may hold */
    public BottomKSample.Bounds trainBounds() {
        return bounds(RetrainKey.MAX_ROWS, RetrainKey.MAX_BYTES);
    }

    /** @return what the held-back sample may hold */
    public BottomKSample.Bounds holdoutBounds() {
        return bounds(RetrainKey.HOLDOUT_MAX_ROWS, RetrainKey.HOLDOUT_MAX_BYTES);
    }

    private BottomKSample.Bounds bounds(final RetrainKey rows, final RetrainKey bytes) {
        final int n = intValue(rows);
        final long b = longValue(bytes);
        final double share = number(RetrainKey.MAX_KEY_SHARE);
        return new BottomKSample.Bounds(n, b, (int) Math.max(1, Math.ceil(share * n)));
    }

    /** @return whether alerted records are left out of training */
    public boolean excludeAlerted() {
        return bool(RetrainKey.EXCLUDE_ALERTED);
    }

    /** @return whether a passing challenger is published as shadow rather than current */
    public boolean publishAsShadow() {
        return require(RetrainKey.PUBLISH_AS).equalsIgnoreCase("shadow");
    }

    /** @return sampling seed */
    public long sampleSeed() {
        return longValue(RetrainKey.SAMPLE_SEED);
    }

    /** @return the key bundles are signed with, if configured */
    public Optional<PrivateKey> signingKey() {
        return settings.converted(RetrainKey.BUNDLE_SIGNING_KEY.key(), v -> BundleSignature.privateKey(BundleSignature.pemText(v)));
    }

    /** @return the deployment bundles are signed for, if configured */
    public Optional<String> signingAudience() {
        return get(RetrainKey.BUNDLE_SIGNING_AUDIENCE);
    }

    /**
     * Signs a bundle with the configured key for the configured audience.
     *
     * @param bundleDir  the bundle
     * @param rollbackAt the time of a rollback to it, or null for a new bundle
     * @return whether it was signed (false: no signing key is configured)
     */
    public boolean sign(final Path bundleDir, final Instant rollbackAt) {
        final Optional<PrivateKey> key = signingKey();
        key.ifPresent(k -> BundleSignature.sign(bundleDir, k, signingAudience().orElse(null), rollbackAt));
        return key.isPresent();
    }

    /** @return the public keys whose bundle signatures are accepted (empty: signatures are not checked) */
    public List<PublicKey> trustedKeys() {
        return settings.converted(RetrainKey.BUNDLE_TRUSTED_KEYS.key(), BundleSignature::trustedKeys).orElse(List.of());
    }

    /** @return the work directory, if configured */
    public Optional<Path> workDir() {
        return get(RetrainKey.WORK_DIR).map(Path::of);
    }

    /** @return the reference set of normal events, if configured */
    public Optional<Path> reference() {
        return get(RetrainKey.REFERENCE).map(Path::of);
    }

    /** @return the report file, if configured */
    public Optional<Path> reportFile() {
        return get(RetrainKey.REPORT).map(Path::of);
    }

    /** @return the gates */
    public Gates gates() {
        return new Gates(number(RetrainKey.GATE_MAX_MEAN_INCREASE_SD), number(RetrainKey.GATE_MAX_ALERT_RATE),
                number(RetrainKey.GATE_MAX_CALIBRATION_SHIFT), intValue(RetrainKey.GATE_MIN_HOLDOUT_ROWS),
                number(RetrainKey.GATE_MAX_FALSE_POSITIVE_REFLAG), number(RetrainKey.GATE_MAX_TRUE_POSITIVE_MISSED));
    }

    /** @return whether the operators' alert labels are read (trained on and judged) */
    public boolean useFeedback() {
        return settings.value(RetrainKey.FEEDBACK.key(), Boolean.class);
    }

    /** @return how many times each event labelled false positive joins the training data */
    public int falsePositiveCopies() {
        return intValue(RetrainKey.FEEDBACK_FALSE_POSITIVE_COPIES);
    }

    private double number(final RetrainKey key) {
        return settings.value(key.key(), Double.class);
    }

    private int intValue(final RetrainKey key) {
        return settings.value(key.key(), Integer.class);
    }

    private long longValue(final RetrainKey key) {
        return settings.value(key.key(), Long.class);
    }

    private boolean bool(final RetrainKey key) {
        return settings.value(key.key(), Boolean.class);
    }

    static Map<String, String> fromEnvironment(final Map<String, String> env) {
        // the scorer's variables may share the environment: only retrain keys are taken
        return SettingSources.fromEnvironment(env, KAFKA_KEYS::contains, k -> RetrainKey.byKey(k).isPresent(), false);
    }

    private static Set<String> kafkaKeys() {
        final Set<String> keys = new HashSet<>();
        keys.addAll(ConsumerConfig.configNames());
        keys.addAll(ProducerConfig.configNames());
        keys.addAll(AdminClientConfig.configNames());
        return Collections.unmodifiableSet(keys);
    }
}
