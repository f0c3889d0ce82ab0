package dev.nelbo.scorer.config;

import dev.nelbo.contract.TopicNames;
import dev.nelbo.contract.settings.Setting;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.registry.InputSetting;
import dev.nelbo.schemas.event.DecodeLimits;
import dev.nelbo.scorer.model.ModelPolicy;
import dev.nelbo.scorer.pipeline.PipelineSettings;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

import java.util.Arrays;
import java.util.Optional;

/**
 * The settings the scorer declares: each one's name, type, default, check and documentation, written once here.
 * {@link ScorerConfig} parses against them and the settings table of {@code docs/scorer.md} is rendered from them.
 */
public enum ScorerKey {
    BOOTSTRAP_SERVERS(Setting.of("bootstrap.servers", Type.STRING, Setting.REQUIRED, "Kafka brokers (a Kafka key)")
            .checked(new ConfigDef.NonEmptyString())),
    APPLICATION_ID(Setting.of("application.id", Type.STRING, "nelbo-scorer",
            "Kafka Streams application id: instances with the same id share the partitions").checked(new ConfigDef.NonEmptyString())),
    PROCESSING_GUARANTEE(Setting.of("processing.guarantee", Type.STRING, "exactly_once_v2",
            "Kafka Streams processing guarantee (`at_least_once` trades duplicates after a crash for throughput)")),
    MODEL_DIR(Setting.of("nelbo.model.dir", Type.STRING, null,
            "starting bundle; the registry's current version wins when it names one")),
    MODEL_LAST_GOOD_DIR(Setting.of("nelbo.model.last.good.dir", Type.STRING, null,
            "where the last model taken from the registry is kept, so a restarted instance serves it while the registry"
                    + " names a version it refuses").defaultShownAs("`<state.dir>/nelbo-last-good-model/<application.id>`")),
    TOPIC_EVENTS(Setting.topic("nelbo.topic.events", TopicNames.EVENTS, "input topic of JSON events")),
    TOPIC_SCORES(Setting.topic("nelbo.topic.scores", TopicNames.SCORES, "output topic of score records")),
    TOPIC_ALERTS(Setting.topic("nelbo.topic.alerts", TopicNames.ALERTS, "output topic of alerts")),
    TOPIC_DLQ(Setting.topic("nelbo.topic.dlq", TopicNames.DLQ, "dead-letter topic")),
    TOPIC_REGISTRY(Setting.topic("nelbo.topic.registry", TopicNames.REGISTRY, "compacted model registry topic")),
    TOPIC_RULES(Setting.topic("nelbo.topic.rules", TopicNames.RULES,
            "compacted topic of alert rules (`nelbo-scorer rules`), followed live by every instance; created at start if"
                    + " missing")),
    TOPIC_FEEDBACK(Setting.topic("nelbo.topic.feedback", TopicNames.FEEDBACK,
            "compacted topic of operators' labels of alerts (`nelbo-scorer feedback`, or any tool: key the event id, value"
                    + " `alert-feedback.schema.json`), followed live by every instance for the precision metrics; created at"
                    + " start if missing")),
    FEEDBACK_MAX_LABELS(positiveInt("nelbo.feedback.max.labels", 100_000,
            "alert labels each instance holds for the precision metrics; labels for further event ids are counted in"
                    + " `nelbo_alert_feedback_rejected_total{reason=\"over_limit\"}`")),
    TOPIC_STATUS(Setting.topic("nelbo.topic.status", TopicNames.STATUS,
            "compacted topic each instance reports its models to (what it serves, what it refused and why)")),
    INSTANCE_ID(Setting.of("nelbo.instance.id", Type.STRING, null, "this instance's name in those reports")
            .defaultShownAs("`$HOSTNAME` (a pod's name), else host-pid")),
    SCORES_ENABLED(Setting.of("nelbo.scores.enabled", Type.BOOLEAN, true,
            "`false`: no score records (alerts and dead letters still flow)")),
    SCORES_CONTRIBUTIONS(Setting.of("nelbo.scores.contributions", Type.BOOLEAN, false,
            "`true`: every score record carries each feature's contribution (alerts always carry their top features)")),
    // the events' wire format: declared once, in InputSetting, for the scorer and the retrain job
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
    EVENT_MAX_BYTES(positiveInt("nelbo.event.max.bytes", DecodeLimits.DEFAULT_MAX_BYTES,
            "larger event values are dead-lettered as `too_large`, unread")),
    EVENT_MAX_DEPTH(positiveInt("nelbo.event.max.depth", DecodeLimits.DEFAULT_MAX_DEPTH,
            "deeper nesting of objects and arrays: `too_deep`")),
    EVENT_MAX_NUMBER_LENGTH(positiveInt("nelbo.event.max.number.length", DecodeLimits.DEFAULT_MAX_NUMBER_LENGTH,
            "longer number literals: `number_too_long`")),
    EVENT_MAX_STRING_LENGTH(positiveInt("nelbo.event.max.string.length", DecodeLimits.DEFAULT_MAX_STRING_LENGTH,
            "longer strings or field names: `string_too_long`")),
    EVENT_TIME_MAX_SKEW_MS(Setting.of("nelbo.event.time.max.skew.ms", Type.LONG, 3_600_000L,
            "an event time further than this from the Kafka record timestamp is replaced by the record timestamp, for"
                    + " suppression and latency and for the time features (time of day, weekday: the context a per-context"
                    + " threshold follows); counted once per event in `nelbo_event_time_out_of_bounds_total`. Under"
                    + " `CreateTime` the record timestamp is the producer's too: set `message.timestamp.type=LogAppendTime` on"
                    + " the events topic for a context producers cannot choose. A backfill whose record timestamps are not its"
                    + " events' times should be scored offline (`nelbo-scorer score`), or run with a larger skew")
            .checked(Range.atLeast(0))),
    METRICS_PORT(Setting.of("nelbo.metrics.port", Type.INT, 9464,
            "port of `/metrics`, `/healthz`, `/readyz` (`0`: any free port; `/healthz` answers from the first second of"
                    + " start-up; `/readyz` says `starting` until the service is built)").checked(Range.between(0, 65535))),
    METRICS_BIND_ADDRESS(Setting.of("nelbo.metrics.bind.address", Type.STRING, "0.0.0.0",
            "address the endpoint binds (`0.0.0.0`: every interface, as a pod's probes need; `127.0.0.1` keeps it to the host)")),
    DEVICE(Setting.of("nelbo.device", Type.STRING, "cpu",
            "inference device: `cpu`, `cuda` or `cuda:N`; `cuda` falls back to CPU with a WARN unless strict")
            .checked((name, value) -> {
                if (!value.toString().matches("cpu|cuda|cuda:\\d+")) {
                    throw new ConfigException(name, value, "expected cpu, cuda or cuda:N");
                }
            })),
    DEVICE_STRICT(Setting.of("nelbo.device.strict", Type.BOOLEAN, false,
            "`true`: fail instead of falling back to CPU when the requested device is unavailable")),
    ENGINE_SAMPLES(positiveInt("nelbo.engine.samples", EngineOptions.DEFAULT_SAMPLES,
            "Monte Carlo samples per record (the L of the negative ELBO estimate)")),
    ENGINE_INTRA_OP_THREADS(positiveInt("nelbo.engine.intra.op.threads", 1, "ONNX Runtime intra-op threads per session")),
    BATCH_MAX_RECORDS(positiveInt("nelbo.batch.max.records", 256, "records per engine call")),
    ALERT_SUPPRESSION_WINDOW_MS(Setting.of("nelbo.alert.suppression.window.ms", Type.LONG, 60_000L,
            "at most one alert per entity key per window (event time, bounded as above); `0` turns suppression off")
            .checked(Range.atLeast(0))),
    ALERT_SUPPRESSION_RETENTION_MS(Setting.of("nelbo.alert.suppression.retention.ms", Type.LONG, 3_600_000L,
            "a key with alerts held back is remembered this long (at least the window), so the count reaches its next alert")
            .checked(Range.atLeast(0))),
    ALERT_SUPPRESSION_MAX_KEYS(positiveInt("nelbo.alert.suppression.max.keys", (int) PipelineSettings.DEFAULT_SUPPRESSION_MAX_KEYS,
            "most keys the suppression state holds per stream task; beyond it the least recently alerted keys are evicted"
                    + " (`nelbo_alert_suppression_evicted_total`), and their next alert passes")),
    ALERT_SUPPRESSION_MAX_BYTES(positiveLong("nelbo.alert.suppression.max.bytes", PipelineSettings.DEFAULT_SUPPRESSION_MAX_BYTES,
            "most estimated heap bytes the suppression state takes per stream task; evicts as above")),
    ALERT_TOP_FEATURES(positiveInt("nelbo.alert.top.features", 3, "top contributing features an alert lists")),
    HISTORY_RETENTION_MS(positiveLong("nelbo.history.retention.ms", PipelineSettings.DEFAULT_HISTORY_RETENTION_MS,
            "models with history features: a key not seen for this long (by record timestamp, never ahead of the scorer's"
                    + " clock, per key only forward) is forgotten")),
    HISTORY_MAX_KEYS(positiveLong("nelbo.history.max.keys", PipelineSettings.DEFAULT_HISTORY_MAX_KEYS,
            "most keys whose history is kept per stream task; beyond it the least recently seen keys are evicted"
                    + " (`nelbo_history_evicted_total`), and their next event is scored as a new entity's")),
    HISTORY_MAX_BYTES(positiveLong("nelbo.history.max.bytes", PipelineSettings.DEFAULT_HISTORY_MAX_BYTES,
            "most estimated heap bytes of history per stream task; evicts as above")),
    ENTITY_ENABLED(Setting.of("nelbo.entity.enabled", Type.BOOLEAN, true,
            "run the entity test of a model that has one (its calibration's `entity`): each key's evidence, entity alerts,"
                    + " `entity_evidence` and `entity_anomalous` in score records; `false`: per-event scoring only")),
    ENTITY_RETENTION_MS(positiveLong("nelbo.entity.retention.ms", PipelineSettings.DEFAULT_HISTORY_RETENTION_MS,
            "a key whose run of evidence has seen no event for this long (by record timestamp, never ahead of the"
                    + " scorer's clock) is forgotten; keys without a run hold no state")),
    ENTITY_MAX_KEYS(positiveLong("nelbo.entity.max.keys", PipelineSettings.DEFAULT_ENTITY_MAX_KEYS,
            "most keys with a run of evidence held per stream task; beyond it the least recently seen keys are evicted"
                    + " (`nelbo_entity_evicted_total`), and their evidence starts again")),
    ENTITY_MAX_BYTES(positiveLong("nelbo.entity.max.bytes", PipelineSettings.DEFAULT_ENTITY_MAX_BYTES,
            "most estimated heap bytes of entity state per stream task; evicts as above")),
    SILENCE_ENABLED(Setting.of("nelbo.silence.enabled", Type.BOOLEAN, true,
            "run the silence test of a model that has one (its calibration's `silence`): each key's cadence, and one"
                    + " `silence` alert when a regular key stays quiet for longer than the calibrated factor of its own"
                    + " interval; `false`: no cadence state, no silence alerts")),
    SILENCE_MIN_MS(positiveLong("nelbo.silence.min.ms", PipelineSettings.DEFAULT_SILENCE_MIN_MS,
            "the shortest silence alerted, however often a key sends")),
    SILENCE_RETENTION_MS(positiveLong("nelbo.silence.retention.ms", PipelineSettings.DEFAULT_HISTORY_RETENTION_MS,
            "a key not seen for this long (by record timestamp, never ahead of the scorer's clock) is forgotten, and is"
                    + " new when it comes back (a silence is alerted before this, or not at all)")),
    SILENCE_MAX_KEYS(positiveLong("nelbo.silence.max.keys", PipelineSettings.DEFAULT_SILENCE_MAX_KEYS,
            "most keys whose cadence is held per stream task; beyond it the least recently seen new keys are evicted"
                    + " first, keys with a known cadence only by each other (`nelbo_silence_evicted_total`)")),
    SILENCE_MAX_BYTES(positiveLong("nelbo.silence.max.bytes", PipelineSettings.DEFAULT_SILENCE_MAX_BYTES,
            "most estimated heap bytes of silence state per stream task; evicts as above")),
    SHADOW_TOPIC(Setting.topic("nelbo.shadow.topic", null,
            "when set, the registry's `shadow` model also scores every event to this topic (see docs/retraining.md)")),
    ALERTMANAGER_URL(Setting.of("nelbo.alertmanager.url", Type.LIST, "",
            "`nelbo-scorer alertmanager`: base URL of each Alertmanager instance (e.g. `http://alertmanager:9093`; every"
                    + " instance of an HA cluster, which deduplicates notifications among them); an alert batch is"
                    + " delivered once one instance accepts it")
            .defaultShownAs("unset (required by `alertmanager`)").checked((name, value) -> {
                for (final Object url : (java.util.List<?>) value) {
                    if (!url.toString().matches("https?://[^\\s/]+(/\\S*)?")) {
                        throw new ConfigException(name, url, "expected an http:// or https:// URL");
                    }
                }
            })),
    ALERTMANAGER_GROUP_ID(Setting.of("nelbo.alertmanager.group.id", Type.STRING, null,
            "consumer group of the bridge: its committed offsets are the alerts delivered; instances with the same group"
                    + " share the alerts topic's partitions").defaultShownAs("`<application.id>-alertmanager`")),
    ALERTMANAGER_OFFSET_RESET(Setting.of("nelbo.alertmanager.offset.reset", Type.STRING, "latest",
            "where a bridge with no committed offsets starts: `latest` (alerts from now on: a first start does not page"
                    + " for the topic's past) or `earliest`").checked(ConfigDef.ValidString.in("latest", "earliest"))),
    ALERTMANAGER_RESOLVE_MS(positiveLong("nelbo.alertmanager.resolve.ms", 300_000L,
            "an alert resolves in Alertmanager this long after it is sent (its `endsAt`): nelbo's alerts are points in"
                    + " time, with no later record that ends them")),
    ALERTMANAGER_LABELS(Setting.of("nelbo.alertmanager.labels", Type.LIST, "",
            "labels added to every alert, `name=value` separated by commas (e.g. `env=prod,team=payments`), to route on")
            .defaultShownAs("none").checked((name, value) -> {
                for (final Object label : (java.util.List<?>) value) {
                    if (!label.toString().matches("[a-zA-Z_][a-zA-Z0-9_]*=.+")) {
                        throw new ConfigException(name, label, "expected name=value with a Prometheus label name");
                    }
                }
            })),
    ALERTMANAGER_TIMEOUT_MS(positiveLong("nelbo.alertmanager.timeout.ms", 10_000L,
            "longest wait for one Alertmanager request before it counts as failed")),
    ALERTMANAGER_RETRY_MAX_MS(positiveLong("nelbo.alertmanager.retry.max.ms", 30_000L,
            "longest pause between two attempts while no Alertmanager accepts (the pause doubles from 250 ms); the bridge"
                    + " retries until one does, holding its offsets, and counts each failure in"
                    + " `nelbo_alertmanager_send_failures_total`")),
    ALERTMANAGER_USERNAME(Setting.of("nelbo.alertmanager.basic.auth.username", Type.STRING, null,
            "basic-auth user for Alertmanager (with the password)")),
    ALERTMANAGER_PASSWORD(Setting.of("nelbo.alertmanager.basic.auth.password", Type.PASSWORD, null,
            "basic-auth password (from the environment: `NELBO_ALERTMANAGER_BASIC_AUTH_PASSWORD`)")),
    ALERTMANAGER_BEARER_TOKEN(Setting.of("nelbo.alertmanager.bearer.token", Type.PASSWORD, null,
            "bearer token for Alertmanager behind an authenticating proxy (`NELBO_ALERTMANAGER_BEARER_TOKEN`)")),
    BUNDLE_TRUSTED_KEYS(Setting.of("nelbo.bundle.trusted.keys", Type.STRING, null,
            "Ed25519 public keys (PEM files separated by commas, or PEM text): only bundles signed by one of them serve;"
                    + " unset accepts unsigned bundles and says so at start (WARN)")),
    BUNDLE_AUDIENCE(Setting.of("nelbo.bundle.audience", Type.STRING, null,
            "with trusted keys: the deployment (e.g. `production`) bundles must be signed for (`--signing-audience`,"
                    + " `nelbo.bundle.signing.audience`); unset accepts any audience")),
    MODEL_MAX_GRAPH_BYTES(positiveLong("nelbo.model.max.graph.bytes", ModelPolicy.DEFAULT_MAX_GRAPH_BYTES,
            "an encoder or decoder graph larger than this is refused")),
    MODEL_WARMUP_TIMEOUT_MS(positiveLong("nelbo.model.warmup.timeout.ms", ModelPolicy.DEFAULT_WARMUP_TIMEOUT.toMillis(),
            "a model that does not open and warm up within this is refused"));

    /** Kafka's declaration of every setting above, in this order. */
    public static final ConfigDef CONFIG_DEF = dev.nelbo.contract.settings.Settings.define(
            Arrays.stream(values()).map(ScorerKey::setting).toList());

    private final Setting setting;

    ScorerKey(final Setting setting) {
        this.setting = setting;
    }

    /** @return the setting's name */
    public String key() {
        return setting.name();
    }

    /** @return its declaration */
    public Setting setting() {
        return setting;
    }

    /**
     * @param key a setting name
     * @return the matching key
     */
    public static Optional<ScorerKey> byKey(final String key) {
        return Arrays.stream(values()).filter(k -> k.key().equals(key)).findFirst();
    }

    private static Setting positiveInt(final String name, final int defaultValue, final String doc) {
        return Setting.of(name, Type.INT, defaultValue, doc).checked(Range.atLeast(1));
    }

    private static Setting positiveLong(final String name, final long defaultValue, final String doc) {
        return Setting.of(name, Type.LONG, defaultValue, doc).checked(Range.atLeast(1));
    }
}
