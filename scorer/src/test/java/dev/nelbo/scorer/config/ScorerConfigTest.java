package dev.nelbo.scorer.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScorerConfigTest {

    @Test
    void should_apply_contract_defaults() {
        final ScorerConfig c = ScorerConfig.of(Map.of("bootstrap.servers", "b:9092"));
        assertEquals(Topics.defaults(), c.topics());
        assertEquals("exactly_once_v2", c.streamsProperties().getProperty("processing.guarantee"));
        assertEquals("nelbo-scorer", c.streamsProperties().getProperty("application.id"));
        assertEquals(9464, c.intValue(ScorerKey.METRICS_PORT));
        assertEquals(256, c.intValue(ScorerKey.BATCH_MAX_RECORDS));
        assertEquals(60000L, c.longValue(ScorerKey.ALERT_SUPPRESSION_WINDOW_MS));
        assertEquals("cpu", c.require(ScorerKey.DEVICE));
        assertTrue(c.booleanValue(ScorerKey.SCORES_ENABLED));
        assertFalse(c.streamsProperties().containsKey("nelbo.topic.events"));
    }

    @Test
    void should_layer_file_then_environment_then_flags(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("scorer.properties");
        Files.writeString(file, "bootstrap.servers=file:9092\nnelbo.topic.events=from-file\nnelbo.topic.scores=s-file\n"
                + "nelbo.batch.max.records=64\n");
        final ScorerConfig c = ScorerConfig.load(file,
                Map.of("NELBO_TOPIC_SCORES", "s-env", "NELBO_MODEL_DIR", "/models/v1", "PATH", "/bin",
                        "NELBO_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
                Map.of("nelbo.batch.max.records", "32"));
        assertEquals("from-file", c.topics().events());
        assertEquals("s-env", c.topics().scores());
        assertEquals(Path.of("/models/v1"), c.modelDir().orElseThrow());
        assertEquals(32, c.intValue(ScorerKey.BATCH_MAX_RECORDS));
        assertEquals("SASL_SSL", c.streamsProperties().getProperty("security.protocol"));
        assertEquals("SASL_SSL", c.clientProperties().get("security.protocol"));
    }

    @Test
    void should_pass_kafka_and_prefixed_streams_keys_through() {
        final ScorerConfig c = ScorerConfig.of(Map.of("bootstrap.servers", "b:9092", "num.stream.threads", "2",
                "producer.linger.ms", "5", "consumer.max.poll.records", "1000", "commit.interval.ms", "50"));
        assertEquals("2", c.streamsProperties().getProperty("num.stream.threads"));
        assertEquals("5", c.streamsProperties().getProperty("producer.linger.ms"));
    }

    @Test
    void should_default_the_producer_to_small_latency_and_large_batches_and_keep_what_the_user_set() {
        final Properties defaults = ScorerConfig.of(Map.of("bootstrap.servers", "b:9092")).streamsProperties();
        assertEquals("10", defaults.getProperty("producer.linger.ms"));
        assertEquals("131072", defaults.getProperty("producer.batch.size"));
        assertEquals("lz4", defaults.getProperty("producer.compression.type"));
        final Properties mine = ScorerConfig.of(Map.of("bootstrap.servers", "b:9092", "batch.size", "16384",
                "producer.compression.type", "zstd")).streamsProperties();
        assertEquals("16384", mine.getProperty("batch.size"));
        assertEquals(null, mine.getProperty("producer.batch.size"));
        assertEquals("zstd", mine.getProperty("producer.compression.type"));
    }

    @Test
    void should_build_the_pipeline_settings_and_refuse_a_retention_shorter_than_the_window() {
        final ScorerConfig c = ScorerConfig.of(Map.of("bootstrap.servers", "b:9092", "nelbo.event.max.depth", "8",
                "nelbo.scores.contributions", "true", "producer.max.request.size", "2097152"));
        assertEquals(8, c.pipelineSettings().limits().maxDepth());
        assertTrue(c.pipelineSettings().contributions());
        assertEquals(2_097_152, c.pipelineSettings().maxOutputBytes());
        assertMessage("nelbo.alert.suppression.retention.ms", Map.of("nelbo.alert.suppression.window.ms", "60000",
                "nelbo.alert.suppression.retention.ms", "1000"));
    }

    @Test
    void should_fail_naming_an_unknown_key() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScorerConfig.of(Map.of("bootstrap.servers", "b:9092", "nelbo.topic.event", "x")));
        assertTrue(e.getMessage().contains("'nelbo.topic.event'"), e.getMessage());
        final IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                () -> ScorerConfig.of(Map.of("bootstrap.servers", "b:9092", "bootstrap.server", "x")));
        assertTrue(k.getMessage().contains("'bootstrap.server'"), k.getMessage());
        final IllegalArgumentException env = assertThrows(IllegalArgumentException.class,
                () -> ScorerConfig.load(null, Map.of("NELBO_MODEL_DIRECTORY", "/m"), Map.of("bootstrap.servers", "b:1")));
        assertTrue(env.getMessage().contains("NELBO_MODEL_DIRECTORY"), env.getMessage());
    }

    @Test
    void should_fail_naming_an_invalid_value() {
        assertMessage("nelbo.batch.max.records", Map.of("nelbo.batch.max.records", "0"));
        assertMessage("nelbo.metrics.port", Map.of("nelbo.metrics.port", "http"));
        assertMessage("nelbo.device", Map.of("nelbo.device", "tpu"));
        assertMessage("nelbo.scores.enabled", Map.of("nelbo.scores.enabled", "yes"));
        assertMessage("processing.guarantee", Map.of("processing.guarantee", "exactly_twice"));
        assertMessage("num.stream.threads", Map.of("num.stream.threads", "many"));
    }

    @Test
    void should_require_bootstrap_servers_and_an_existing_file(@TempDir final Path dir) {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ScorerConfig.of(Map.of()))
                .getMessage().contains("bootstrap.servers"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ScorerConfig.load(dir.resolve("nope.properties"), Map.of(), Map.of()))
                .getMessage().contains("nope.properties"));
    }

    @Test
    void should_read_the_schema_of_binary_input_and_say_what_is_wrong_with_it(@TempDir final Path dir) throws Exception {
        assertEquals(dev.nelbo.schemas.event.EventFormat.JSON, ScorerConfig.of(Map.of("bootstrap.servers", "k:9092"))
                .eventFormat(), "JSON by default");
        final Path good = java.nio.file.Files.writeString(dir.resolve("event.avsc"), dev.nelbo.schemas.testing.TestAvro.SCHEMA_JSON);
        final dev.nelbo.schemas.event.EventParser parser = ScorerConfig.of(Map.of("bootstrap.servers", "k:9092",
                "nelbo.input.format", "AVRO", "nelbo.input.avro.schema", good.toString())).eventFormat()
                .parser(dev.nelbo.schemas.testing.TestData.spec(), dev.nelbo.schemas.event.DecodeLimits.defaults());
        assertTrue(parser instanceof dev.nelbo.schemas.event.AvroEventReader);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ScorerConfig.of(Map.of("bootstrap.servers", "k:9092",
                "nelbo.input.format", "avro"))).getMessage().contains("'nelbo.input.avro.schema' is required"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ScorerConfig.of(Map.of("bootstrap.servers", "k:9092",
                "nelbo.input.format", "avro", "nelbo.input.avro.schema", dir.resolve("missing.avsc").toString())))
                .getMessage().contains("cannot read"));
        final Path notRecord = java.nio.file.Files.writeString(dir.resolve("string.avsc"), "\"string\"");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ScorerConfig.of(Map.of("bootstrap.servers", "k:9092",
                "nelbo.input.format", "avro", "nelbo.input.avro.schema", notRecord.toString()))).getMessage()
                .contains("the events must be records"));
        // a recursive schema fails here, at start, not at each model the scorer is offered
        final Path recursive = java.nio.file.Files.writeString(dir.resolve("node.avsc"), "{\"type\":\"record\","
                + "\"name\":\"Node\",\"fields\":[{\"name\":\"next\",\"type\":[\"null\",\"Node\"]}]}");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ScorerConfig.of(Map.of("bootstrap.servers", "k:9092",
                "nelbo.input.format", "avro", "nelbo.input.avro.schema", recursive.toString()))).getMessage()
                .contains("recursive"));
        final Path junk = java.nio.file.Files.writeString(dir.resolve("junk.avsc"), "{not json");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ScorerConfig.of(Map.of("bootstrap.servers", "k:9092",
                "nelbo.input.format", "avro", "nelbo.input.avro.schema", junk.toString()))).getMessage()
                .contains("not an Avro schema"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ScorerConfig.of(Map.of("bootstrap.servers", "k:9092",
                "nelbo.input.format", "thrift"))).getMessage().contains("nelbo.input.format"));
        final Path desc = java.nio.file.Files.write(dir.resolve("events.desc"), dev.nelbo.schemas.testing.TestProto.DESCRIPTOR_SET);
        assertTrue(ScorerConfig.of(Map.of("bootstrap.servers", "k:9092", "nelbo.input.format", "protobuf",
                "nelbo.input.protobuf.descriptor", desc.toString(), "nelbo.input.protobuf.message", "dev.nelbo.test.Event"))
                .eventFormat().parser(dev.nelbo.schemas.testing.TestData.spec(), dev.nelbo.schemas.event.DecodeLimits.defaults())
                instanceof dev.nelbo.schemas.event.ProtobufEventReader);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ScorerConfig.of(Map.of("bootstrap.servers", "k:9092",
                "nelbo.input.format", "protobuf", "nelbo.input.protobuf.descriptor", desc.toString()))).getMessage()
                .contains("'nelbo.input.protobuf.message' is required"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ScorerConfig.of(Map.of("bootstrap.servers", "k:9092",
                "nelbo.input.format", "protobuf", "nelbo.input.protobuf.descriptor", desc.toString(),
                "nelbo.input.protobuf.message", "dev.nelbo.test.Evnt"))).getMessage().contains("no message type"));
    }

    @Test
    void a_schema_registry_input_reads_its_reader_schema_at_start_and_names_what_is_wrong(@TempDir final Path dir)
            throws Exception {
        final Path schema = java.nio.file.Files.writeString(dir.resolve("event.avsc"), dev.nelbo.schemas.testing.TestAvro.SCHEMA_JSON);
        // with a schema file, nothing is fetched at start: the registry may be down
        final ScorerConfig withFile = ScorerConfig.of(Map.of("bootstrap.servers", "k:9092", "nelbo.input.format", "avro",
                "nelbo.input.schema.registry.url", "http://127.0.0.1:1/", "nelbo.input.avro.schema", schema.toString(),
                "nelbo.input.schema.registry.basic.auth.username", "nelbo",
                "nelbo.input.schema.registry.basic.auth.password", "s3cret"));
        final var format = (dev.nelbo.schemas.event.ConfluentAvroFormat) withFile.eventFormat();
        assertEquals("dev.nelbo.test.Event", format.readerSchema().getFullName());
        // without one, the subject's latest version is the reader schema: an unreachable registry fails the start,
        // naming the subject (the topic name strategy's by default)
        final String down = assertThrows(IllegalArgumentException.class, () -> ScorerConfig.of(Map.of("bootstrap.servers",
                "k:9092", "nelbo.input.format", "avro", "nelbo.input.schema.registry.url", "http://127.0.0.1:1",
                "nelbo.input.schema.registry.timeout.ms", "500", "nelbo.topic.events", "shop-events"))).getMessage();
        assertTrue(down.contains("subject 'shop-events-value'") && down.contains("cannot read"), down);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ScorerConfig.of(Map.of("bootstrap.servers", "k:9092",
                "nelbo.input.format", "protobuf", "nelbo.input.schema.registry.url", "http://r:8081"))).getMessage()
                .contains("is for nelbo.input.format=avro"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ScorerConfig.of(Map.of("bootstrap.servers", "k:9092",
                "nelbo.input.format", "avro", "nelbo.input.schema.registry.url", "http://user:pw@r:8081"))).getMessage()
                .contains("without credentials"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ScorerConfig.of(Map.of("bootstrap.servers", "k:9092",
                "nelbo.input.format", "avro", "nelbo.input.schema.registry.url", "http://r:8081", "nelbo.input.avro.schema",
                schema.toString(), "nelbo.input.schema.registry.basic.auth.username", "nelbo"))).getMessage()
                .contains("set both 'nelbo.input.schema.registry.basic.auth.username'"));
    }

    @Test
    void should_expose_every_contract_key() {
        assertEquals(java.util.Set.of("bootstrap.servers", "application.id", "processing.guarantee", "nelbo.model.dir",
                "nelbo.topic.events", "nelbo.topic.scores", "nelbo.topic.alerts", "nelbo.topic.dlq", "nelbo.topic.registry",
                "nelbo.history.retention.ms", "nelbo.history.max.keys", "nelbo.history.max.bytes",
                "nelbo.scores.enabled", "nelbo.metrics.port", "nelbo.device", "nelbo.device.strict", "nelbo.engine.samples",
                "nelbo.engine.intra.op.threads", "nelbo.batch.max.records", "nelbo.alert.suppression.window.ms",
                "nelbo.alert.top.features", "nelbo.shadow.topic", "nelbo.scores.contributions", "nelbo.event.max.bytes",
                "nelbo.event.max.depth", "nelbo.event.max.number.length", "nelbo.event.max.string.length",
                "nelbo.event.time.max.skew.ms", "nelbo.alert.suppression.retention.ms", "nelbo.alert.suppression.max.keys",
                "nelbo.alert.suppression.max.bytes",
                "nelbo.bundle.trusted.keys", "nelbo.bundle.audience", "nelbo.model.max.graph.bytes", "nelbo.model.warmup.timeout.ms", "nelbo.topic.status",
                "nelbo.instance.id", "nelbo.metrics.bind.address", "nelbo.model.last.good.dir", "nelbo.entity.enabled",
                "nelbo.entity.retention.ms", "nelbo.entity.max.keys", "nelbo.entity.max.bytes", "nelbo.silence.enabled",
                "nelbo.silence.min.ms", "nelbo.silence.retention.ms", "nelbo.silence.max.keys", "nelbo.silence.max.bytes",
                "nelbo.alertmanager.url", "nelbo.alertmanager.group.id", "nelbo.alertmanager.offset.reset",
                "nelbo.alertmanager.resolve.ms", "nelbo.alertmanager.labels", "nelbo.alertmanager.timeout.ms",
                "nelbo.alertmanager.retry.max.ms", "nelbo.alertmanager.basic.auth.username",
                "nelbo.alertmanager.basic.auth.password", "nelbo.alertmanager.bearer.token", "nelbo.topic.rules",
                "nelbo.topic.feedback", "nelbo.feedback.max.labels", "nelbo.input.format", "nelbo.input.avro.schema",
                "nelbo.input.protobuf.descriptor", "nelbo.input.protobuf.message", "nelbo.input.schema.registry.url",
                "nelbo.input.schema.registry.subject", "nelbo.input.schema.registry.basic.auth.username",
                "nelbo.input.schema.registry.basic.auth.password", "nelbo.input.schema.registry.timeout.ms",
                "nelbo.input.schema.registry.retry.ms", "nelbo.input.schema.registry.max.schemas"),
                ScorerConfig.knownNelboKeys());
    }

    @Test
    void the_alertmanager_bridge_reads_its_urls_labels_and_credentials_and_never_prints_them() {
        final ScorerConfig cfg = ScorerConfig.of(Map.of("bootstrap.servers", "b:9092", "application.id", "scorer-a",
                "nelbo.alertmanager.url", "http://am-0:9093/, http://am-1:9093", "nelbo.alertmanager.labels", "env=prod,team=sre",
                "nelbo.alertmanager.basic.auth.username", "nelbo", "nelbo.alertmanager.basic.auth.password", "s3cret"));
        final dev.nelbo.scorer.alertmanager.AlertmanagerSettings am = cfg.alertmanagerSettings();
        assertEquals(java.util.List.of(java.net.URI.create("http://am-0:9093"), java.net.URI.create("http://am-1:9093")), am.urls());
        assertEquals(Map.of("env", "prod", "team", "sre"), am.staticLabels());
        assertEquals("scorer-a-alertmanager", am.groupId());
        assertEquals("latest", am.offsetReset());
        assertEquals(java.util.Optional.of("Basic " + java.util.Base64.getEncoder().encodeToString(
                "nelbo:s3cret".getBytes(java.nio.charset.StandardCharsets.UTF_8))), am.authorization());
        assertFalse(am.toString().contains("s3cret") || am.toString().contains("bmVsYm86czNjcmV0"), am.toString());
        assertEquals(java.util.Optional.of("Bearer t0ken"), ScorerConfig.of(Map.of("bootstrap.servers", "b:9092",
                "nelbo.alertmanager.url", "https://am", "nelbo.alertmanager.bearer.token", "t0ken")).alertmanagerSettings()
                .authorization());
    }

    @Test
    void the_alertmanager_bridge_refuses_what_cannot_work_naming_the_setting() {
        assertMessage("nelbo.alertmanager.url", Map.of("nelbo.alertmanager.url", "am-0:9093"));
        assertMessage("nelbo.alertmanager.labels", Map.of("nelbo.alertmanager.labels", "bad-name=x"));
        assertMessage("nelbo.alertmanager.offset.reset", Map.of("nelbo.alertmanager.offset.reset", "none"));
        final IllegalArgumentException noUrl = assertThrows(IllegalArgumentException.class, () -> ScorerConfig.of(
                Map.of("bootstrap.servers", "b:9092")).alertmanagerSettings());
        assertTrue(noUrl.getMessage().contains("nelbo.alertmanager.url"), noUrl.getMessage());
        final IllegalArgumentException halfAuth = assertThrows(IllegalArgumentException.class, () -> ScorerConfig.of(
                Map.of("bootstrap.servers", "b:9092", "nelbo.alertmanager.url", "http://am:9093",
                        "nelbo.alertmanager.basic.auth.username", "nelbo")).alertmanagerSettings());
        assertTrue(halfAuth.getMessage().contains("password"), halfAuth.getMessage());
    }

    @Test
    void the_last_known_good_model_is_kept_per_application_under_the_state_directory_unless_named() {
        assertEquals(Path.of("/var/lib/nelbo/state/nelbo-last-good-model/scorer-a"), ScorerConfig.of(Map.of(
                "bootstrap.servers", "b:9092", "application.id", "scorer-a", "state.dir", "/var/lib/nelbo/state"))
                .lastGoodModelDir());
        assertEquals(Path.of("/models/kept"), ScorerConfig.of(Map.of("bootstrap.servers", "b:9092",
                "nelbo.model.last.good.dir", "/models/kept")).lastGoodModelDir());
    }

    private static void assertMessage(final String key, final Map<String, String> settings) {
        final Map<String, String> all = new java.util.HashMap<>(settings);
        all.put("bootstrap.servers", "b:9092");
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScorerConfig.of(all));
        assertTrue(e.getMessage().contains(key), e.getMessage());
    }
}
