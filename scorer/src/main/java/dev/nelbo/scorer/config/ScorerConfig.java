package dev.nelbo.scorer.config;

import dev.nelbo.contract.settings.SettingSources;
import dev.nelbo.contract.settings.Settings;
import dev.nelbo.registry.InputSetting;
import dev.nelbo.schemas.bundle.BundleSignature;
import dev.nelbo.schemas.bundle.BundleTrust;
import dev.nelbo.schemas.event.DecodeLimits;
import dev.nelbo.schemas.event.EventFormat;
import dev.nelbo.schemas.state.BoundedKeyedStore;
import dev.nelbo.scorer.alertmanager.AlertmanagerSettings;
import dev.nelbo.scorer.model.ModelPolicy;
import dev.nelbo.scorer.pipeline.PipelineSettings;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The scorer's validated configuration: nelbo's own {@code nelbo.*} settings plus Kafka client and
 * Streams settings, which pass through under their own names.
 *
 * <p>Sources, later ones winning: a properties file, environment variables, then command-line
 * settings. {@code NELBO_MODEL_DIR} maps to {@code nelbo.model.dir}; {@code NELBO_KAFKA_SASL_JAAS_CONFIG}
 * maps to the Kafka key {@code sasl.jaas.config}, so secrets can come from the environment. Any key that
 * is neither a nelbo key nor a Kafka/Streams key, and any value that does not parse, fails at start with
 * a message naming the key.
 */
public final class ScorerConfig {

    /** Environment variable prefix of nelbo keys. */
    public static final String ENV_PREFIX = SettingSources.ENV_PREFIX;
    /** Environment variable prefix of Kafka/Streams keys ({@code NELBO_KAFKA_BOOTSTRAP_SERVERS}). */
    public static final String ENV_KAFKA_PREFIX = SettingSources.ENV_KAFKA_PREFIX;

    private static final Set<String> KAFKA_PREFIXES = Set.of(
            StreamsConfig.CONSUMER_PREFIX, StreamsConfig.PRODUCER_PREFIX, StreamsConfig.ADMIN_CLIENT_PREFIX,
            StreamsConfig.MAIN_CONSUMER_PREFIX, StreamsConfig.RESTORE_CONSUMER_PREFIX,
            StreamsConfig.GLOBAL_CONSUMER_PREFIX, StreamsConfig.TOPIC_PREFIX);

    private static final Set<String> KAFKA_KEYS = kafkaKeys();

    private final Settings settings;
    private final EventFormat eventFormat;

    private ScorerConfig(final Settings settings) {
        this.settings = settings;
        // read once: the schema or descriptor file backs the model policy and every task's pipeline
        this.eventFormat = readEventFormat();
    }

    /**
     * @return every key the scorer declares, its nelbo.* keys and the Kafka keys it sets defaults for (the deploy
     *         manifests are checked against it)
     */
    public static Set<String> knownNelboKeys() {
        return Collections.unmodifiableSet(new TreeSet<>(ScorerKey.CONFIG_DEF.names()));
    }

    /**
     * @param key any key
     * @return whether the key is a Kafka client/Streams key the scorer passes through
     */
    public static boolean isKafkaKey(final String key) {
        if (KAFKA_KEYS.contains(key)) {
            return true;
        }
        for (final String prefix : KAFKA_PREFIXES) {
            if (key.startsWith(prefix) && key.length() > prefix.length()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Loads the configuration from its three sources.
     *
     * @param file      properties file, or null for none
     * @param env       environment (normally {@link System#getenv()})
     * @param overrides command-line settings
     * @return the validated configuration
     * @throws IllegalArgumentException naming the offending key, file or variable
     */
    public static ScorerConfig load(final Path file, final Map<String, String> env, final Map<String, String> overrides) {
        return of(SettingSources.layer(file, fromEnvironment(env), overrides));
    }

    /**
     * Validates an explicit set of settings (defaults fill the rest).
     *
     * @param settings key/value settings
     * @return the validated configuration
     * @throws IllegalArgumentException naming the offending key
     */
    public static ScorerConfig of(final Map<String, String> settings) {
        final ScorerConfig config = new ScorerConfig(Settings.parse(ScorerKey.CONFIG_DEF, settings, ScorerConfig::isKafkaKey,
                "a Kafka client/Streams setting"));
        config.validateTogether();
        return config;
    }

    /** The checks that span settings, after each has passed its own. */
    private void validateTogether() {
        modelPolicy();
        if (longValue(ScorerKey.ALERT_SUPPRESSION_RETENTION_MS) < longValue(ScorerKey.ALERT_SUPPRESSION_WINDOW_MS)) {
            throw new IllegalArgumentException("setting 'nelbo.alert.suppression.retention.ms' ("
                    + require(ScorerKey.ALERT_SUPPRESSION_RETENTION_MS) + ") must be at least 'nelbo.alert.suppression.window.ms' ("
                    + require(ScorerKey.ALERT_SUPPRESSION_WINDOW_MS) + ")");
        }
        try {
            new StreamsConfig(streamsProperties());
        } catch (final ConfigException e) {
            throw new IllegalArgumentException("invalid Kafka setting: " + e.getMessage(), e);
        }
    }

    /**
     * Maps {@code NELBO_*} environment variables to keys; other variables are ignored.
     *
     * @param env the environment
     * @return key/value settings
     * @throws IllegalArgumentException for a NELBO_ variable that names no known setting
     */
    static Map<String, String> fromEnvironment(final Map<String, String> env) {
        return SettingSources.fromEnvironment(env, ScorerConfig::isKafkaKey, k -> ScorerKey.byKey(k).isPresent(), true);
    }

    /**
     * @param key a nelbo key
     * @return its value (default applied), or empty when unset and without default
     */
    public Optional<String> get(final ScorerKey key) {
        return settings.text(key.key());
    }

    /**
     * @param key a nelbo key
     * @return its value
     * @throws IllegalArgumentException when the key is unset
     */
    public String require(final ScorerKey key) {
        return get(key).orElseThrow(() -> new IllegalArgumentException("setting '" + key.key() + "' is required"));
    }

    /**
     * @param key an integer-valued key
     * @return its value
     */
    public int intValue(final ScorerKey key) {
        return settings.value(key.key(), Integer.class);
    }

    /**
     * @param key a long-valued key
     * @return its value
     */
    public long longValue(final ScorerKey key) {
        return settings.value(key.key(), Long.class);
    }

    /**
     * @param key a boolean key
     * @return its value
     */
    public boolean booleanValue(final ScorerKey key) {
        return settings.value(key.key(), Boolean.class);
    }

    /** @return the model directory, if configured */
    public Optional<Path> modelDir() {
        return get(ScorerKey.MODEL_DIR).map(Path::of);
    }

    /**
     * @return where the last model taken from the registry is kept: {@code nelbo.model.last.good.dir}, else
     *         {@code nelbo-last-good-model/<application.id>} under Kafka Streams' state directory (the pod's volume)
     */
    public Path lastGoodModelDir() {
        return get(ScorerKey.MODEL_LAST_GOOD_DIR).map(Path::of).orElseGet(() -> {
            final Object stateDir = streamsProperties().get(org.apache.kafka.streams.StreamsConfig.STATE_DIR_CONFIG);
            final Path base = stateDir != null ? Path.of(stateDir.toString())
                    : Path.of(System.getProperty("java.io.tmpdir"), "kafka-streams");
            return base.resolve("nelbo-last-good-model").resolve(require(ScorerKey.APPLICATION_ID));
        });
    }

    /**
     * @return what a bundle must satisfy to serve
     * @throws IllegalArgumentException when the trusted keys cannot be read
     */
    public ModelPolicy modelPolicy() {
        final List<PublicKey> keys = settings.converted(ScorerKey.BUNDLE_TRUSTED_KEYS.key(), BundleSignature::trustedKeys)
                .orElse(List.of());
        final BundleTrust trust;
        try {
            trust = new BundleTrust(keys, get(ScorerKey.BUNDLE_AUDIENCE).orElse(null));
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("setting '" + ScorerKey.BUNDLE_AUDIENCE.key() + "': " + e.getMessage(), e);
        }
        return new ModelPolicy(trust, longValue(ScorerKey.MODEL_MAX_GRAPH_BYTES),
                Duration.ofMillis(longValue(ScorerKey.MODEL_WARMUP_TIMEOUT_MS)), eventFormat());
    }

    /** @return this instance's name in status reports: nelbo.instance.id, else HOSTNAME (a pod's name), else host-pid */
    public String instanceId() {
        return get(ScorerKey.INSTANCE_ID).orElseGet(() -> {
            final String host = System.getenv("HOSTNAME");
            if (host != null && !host.isBlank()) {
                return host;
            }
            try {
                return java.net.InetAddress.getLocalHost().getHostName() + "-" + ProcessHandle.current().pid();
            } catch (final java.net.UnknownHostException e) {
                return "pid-" + ProcessHandle.current().pid();
            }
        });
    }

    /**
     * @return the input events' wire format ({@code nelbo.input.format}, with the Avro schema or the Protobuf descriptor
     * set read)
     * @throws IllegalArgumentException naming the setting when the schema or descriptor set is missing, unreadable, or
     *                                  lacks the events' type
     */
    public EventFormat eventFormat() {
        return eventFormat;
    }

    private EventFormat readEventFormat() {
        return InputSetting.eventFormat(settings, require(ScorerKey.TOPIC_EVENTS));
    }

    /** @return what the scoring pipeline needs from the settings */
    public PipelineSettings pipelineSettings() {
        return new PipelineSettings(booleanValue(ScorerKey.SCORES_ENABLED), booleanValue(ScorerKey.SCORES_CONTRIBUTIONS),
                intValue(ScorerKey.ALERT_TOP_FEATURES), longValue(ScorerKey.ALERT_SUPPRESSION_WINDOW_MS),
                longValue(ScorerKey.ALERT_SUPPRESSION_RETENTION_MS), new BoundedKeyedStore.Bound(
                        intValue(ScorerKey.ALERT_SUPPRESSION_MAX_KEYS), longValue(ScorerKey.ALERT_SUPPRESSION_MAX_BYTES)),
                longValue(ScorerKey.EVENT_TIME_MAX_SKEW_MS), new DecodeLimits(intValue(ScorerKey.EVENT_MAX_BYTES),
                        intValue(ScorerKey.EVENT_MAX_DEPTH), intValue(ScorerKey.EVENT_MAX_NUMBER_LENGTH),
                        intValue(ScorerKey.EVENT_MAX_STRING_LENGTH)), maxRequestSize(),
                longValue(ScorerKey.HISTORY_RETENTION_MS), new BoundedKeyedStore.Bound(longValue(ScorerKey.HISTORY_MAX_KEYS),
                        longValue(ScorerKey.HISTORY_MAX_BYTES)), new PipelineSettings.Entity(booleanValue(ScorerKey.ENTITY_ENABLED),
                        longValue(ScorerKey.ENTITY_RETENTION_MS), new BoundedKeyedStore.Bound(longValue(ScorerKey.ENTITY_MAX_KEYS),
                        longValue(ScorerKey.ENTITY_MAX_BYTES)), new PipelineSettings.Silence(booleanValue(ScorerKey.SILENCE_ENABLED),
                        longValue(ScorerKey.SILENCE_MIN_MS), longValue(ScorerKey.SILENCE_RETENTION_MS),
                        new BoundedKeyedStore.Bound(longValue(ScorerKey.SILENCE_MAX_KEYS), longValue(ScorerKey.SILENCE_MAX_BYTES)))), eventFormat());
    }

    /** @return what the Alertmanager bridge needs from the settings */
    public AlertmanagerSettings alertmanagerSettings() {
        final List<java.net.URI> urls = settings.urls(ScorerKey.ALERTMANAGER_URL.key());
        final Map<String, String> labels = new TreeMap<>();
        for (final Object label : settings.value(ScorerKey.ALERTMANAGER_LABELS.key(), List.class)) {
            final String l = label.toString();
            labels.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1));
        }
        final Optional<String> token = get(ScorerKey.ALERTMANAGER_BEARER_TOKEN);
        final Optional<String> basic;
        try {
            basic = settings.basicAuthorization(ScorerKey.ALERTMANAGER_USERNAME.key(), ScorerKey.ALERTMANAGER_PASSWORD.key());
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("Alertmanager authentication: " + e.getMessage(), e);
        }
        if (token.isPresent() && basic.isPresent()) {
            throw new IllegalArgumentException("Alertmanager authentication: set both 'nelbo.alertmanager.basic.auth.username'"
                    + " and its password, or 'nelbo.alertmanager.bearer.token', not both");
        }
        final Optional<String> authorization = token.map(t -> "Bearer " + t).or(() -> basic);
        return new AlertmanagerSettings(urls, get(ScorerKey.ALERTMANAGER_GROUP_ID).orElseGet(() ->
                require(ScorerKey.APPLICATION_ID) + "-alertmanager"), require(ScorerKey.ALERTMANAGER_OFFSET_RESET),
                Duration.ofMillis(longValue(ScorerKey.ALERTMANAGER_RESOLVE_MS)), labels,
                Duration.ofMillis(longValue(ScorerKey.ALERTMANAGER_TIMEOUT_MS)),
                Duration.ofMillis(longValue(ScorerKey.ALERTMANAGER_RETRY_MAX_MS)), authorization);
    }

    /** The producer's {@code max.request.size} as Streams will configure it (producer prefix first). */
    private int maxRequestSize() {
        final String v = settings.given().getOrDefault(StreamsConfig.PRODUCER_PREFIX + ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                settings.given().get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG));
        return v == null ? PipelineSettings.DEFAULT_MAX_OUTPUT_BYTES : Integer.parseInt(v.trim());
    }

    /** @return the topic names in use */
    public Topics topics() {
        return new Topics(require(ScorerKey.TOPIC_EVENTS), require(ScorerKey.TOPIC_SCORES), require(ScorerKey.TOPIC_ALERTS),
                require(ScorerKey.TOPIC_DLQ), require(ScorerKey.TOPIC_REGISTRY));
    }

    /** A producer default of nelbo's, unless the user set the key, plainly or with the producer prefix. */
    private void producerDefault(final Properties props, final String key, final String value) {
        if (!settings.given().containsKey(key) && !settings.given().containsKey(StreamsConfig.PRODUCER_PREFIX + key)) {
            props.put(StreamsConfig.PRODUCER_PREFIX + key, value);
        }
    }

    /**
     * @return the Kafka Streams properties: every non-nelbo setting plus nelbo's defaults for
     * {@code application.id} and {@code processing.guarantee}
     */
    public Properties streamsProperties() {
        final Properties props = new Properties();
        // Kafka Streams lingers 100 ms on the producer by default, which would dominate end-to-end latency with
        // outputs flushed every few ms. 5 ms, nelbo's default until 2026-12-07, sent small batches under load and held
        // at_least_once at 0.83 of the plain app; 20 ms reached 0.89 but a p99 latency of 59 ms; 10 ms gives 0.86 and
        // 44 ms (exactly_once_v2: 0.92, p99 149 ms). Overridable either way; figures in docs/performance.md
        producerDefault(props, "linger.ms", "10");
        // a score record is ~300 bytes: Kafka's default batch.size of 16 KiB would cap a batch at ~50 of them and
        // multiply the producer's and the broker's per-request work; 128 KiB lets the 5 ms linger fill a batch
        producerDefault(props, "batch.size", "131072");
        // score records are repetitive JSON: lz4 shrinks what the broker copies, stores and replicates (its CPU per
        // record fell by a third in the benchmark) for little producer CPU
        producerDefault(props, "compression.type", "lz4");
        // a stream thread blocks in poll() for up to poll.ms (Streams default 100 ms) when no input arrives,
        // and a punctuation cannot flush the batch meanwhile: keep the wait close to the 10 ms flush interval
        if (!settings.given().containsKey(StreamsConfig.POLL_MS_CONFIG)) {
            props.put(StreamsConfig.POLL_MS_CONFIG, "10");
        }
        // the scorer has no global stores; setting this only silences Streams' start-up warning about it
        props.put("processing.exception.handler.global.enabled", "true");
        // the Kafka keys the scorer declares (with its defaults), then every one passed through
        for (final ScorerKey key : ScorerKey.values()) {
            if (!key.key().startsWith("nelbo.")) {
                get(key).ifPresent(v -> props.put(key.key(), v));
            }
        }
        for (final Map.Entry<String, String> e : settings.given().entrySet()) {
            if (!e.getKey().startsWith("nelbo.")) {
                props.put(e.getKey(), e.getValue());
            }
        }
        return props;
    }

    /**
     * @return client properties (connection and security settings) for the plain producer/consumer the
     * model registry uses, without Streams-only settings
     */
    public Map<String, Object> clientProperties() {
        final Set<String> clientKeys = new TreeSet<>(ConsumerConfig.configNames());
        clientKeys.retainAll(ProducerConfig.configNames());
        final Map<String, Object> out = new TreeMap<>();
        for (final Map.Entry<String, String> e : settings.given().entrySet()) {
            if (clientKeys.contains(e.getKey()) && !e.getKey().equals(ProducerConfig.CLIENT_ID_CONFIG)) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /**
     * @param more settings to apply on top
     * @return a copy with the settings applied (validated again)
     */
    public ScorerConfig with(final Map<String, String> more) {
        final Map<String, String> merged = new LinkedHashMap<>(settings.given());
        merged.putAll(more);
        return of(merged);
    }

    private static Set<String> kafkaKeys() {
        final Set<String> keys = new TreeSet<>();
        keys.addAll(StreamsConfig.configDef().names());
        keys.addAll(ConsumerConfig.configNames());
        keys.addAll(ProducerConfig.configNames());
        keys.addAll(AdminClientConfig.configNames());
        return Collections.unmodifiableSet(keys);
    }
}
