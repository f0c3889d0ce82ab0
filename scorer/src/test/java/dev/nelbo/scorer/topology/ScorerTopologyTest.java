package dev.nelbo.scorer.topology;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.pipeline.PipelineSettings;
import dev.nelbo.schemas.output.DeadLetter;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.scorer.testkit.TestScorers;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The topology without a broker: batching, outputs, dead letters, suppression and model swaps. */
class ScorerTopologyTest {

    private static final long WINDOW_MS = 60_000;

    @TempDir
    Path dir;

    private ModelManager models;
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> events;
    private TestOutputTopic<byte[], byte[]> scores;
    private TestOutputTopic<byte[], byte[]> alerts;
    private TestOutputTopic<byte[], byte[]> dlq;
    private String v1;
    private PrometheusRegistry registry;

    @BeforeEach
    void setUp() {
        registry = new PrometheusRegistry();
        final ScorerMetrics metrics = new ScorerMetrics(registry, false);
        models = new ModelManager(EngineOptions.defaults().withMaxBatch(256), metrics);
        v1 = ScorerFixtures.writeModel(dir.resolve("v1"), 1);
        assertTrue(models.offer(dir.resolve("v1"), "test"));
        final Topics topics = Topics.defaults();
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "scorer-ttd");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(ScorerTopology.build(PipelineSettings.defaults(WINDOW_MS), topics, null, models,
                metrics, OutputTimestamps.anyPast(), () -> dev.nelbo.scorer.rules.AlertRules.NONE), props);
        events = driver.createInputTopic(topics.events(), new ByteArraySerializer(), new ByteArraySerializer());
        scores = driver.createOutputTopic(topics.scores(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        alerts = driver.createOutputTopic(topics.alerts(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        dlq = driver.createOutputTopic(topics.dlq(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
        models.close();
    }

    @Test
    void should_write_outputs_before_the_commit_that_follows_each_input_even_with_a_partial_batch() {
        // the test driver commits after every record and never advances wall-clock time here: only the
        // pre-commit flush can have produced these outputs
        for (int i = 0; i < 20; i++) {
            events.pipeInput(key(i), ScorerFixtures.normal(i));
            assertEquals(1, scores.getQueueSize(), "score of record " + i + " written before its commit");
            final TestRecord<byte[], byte[]> r = scores.readRecord();
            assertEquals(v1, header(r, Topics.MODEL_VERSION_HEADER));
            final JsonNode score = ScorerFixtures.parse(r.value());
            assertEquals(List.of(), Schemas.validate(SchemaDocument.SCORE, score));
            assertEquals("e-" + i, score.get("event_id").asText());
            assertEquals("svc-" + (i % 5), score.get("key").asText());
            assertFalse(score.get("anomaly").asBoolean(), "normal event scored " + score.get("score"));
        }
        assertTrue(dlq.isEmpty());
    }

    /**
     * Kafka Streams' default extractor throws on a negative timestamp, which stops every instance that takes the
     * partition; here the record takes the partition's time (or the wall clock before the partition has one).
     */
    @Test
    void should_score_a_record_without_a_valid_timestamp_at_its_partitions_time_and_count_it() {
        final long before = System.currentTimeMillis();
        events.pipeInput(withoutTimestamp(key(0), ScorerFixtures.normal(0)));
        final long after = System.currentTimeMillis();
        final long first = scores.readRecord().timestamp();
        assertTrue(first >= before && first <= after, "no partition time yet: the wall clock, got " + first);
        final long t = 1_700_000_000_000L;
        events.pipeInput(key(1), ScorerFixtures.normal(1), Instant.ofEpochMilli(t));
        events.pipeInput(withoutTimestamp(key(2), ScorerFixtures.normal(2)));
        events.pipeInput(key(3), ScorerFixtures.normal(3), Instant.ofEpochMilli(t + 5));
        final List<TestRecord<byte[], byte[]>> out = scores.readRecordsToList();
        assertEquals(3, out.size());
        assertEquals(List.of(t, first, t + 5), out.stream().map(TestRecord::timestamp).toList(),
                "the partition's time is the largest valid timestamp seen, here the first record's wall clock");
        assertEquals(2.0, TestScorers.metric(registry, "nelbo_record_timestamp_invalid"));
        assertTrue(dlq.isEmpty());
    }

    /** A record as a consumer receives it from the broker with timestamp -1 (TestRecord's own constructors refuse it). */
    private static TestRecord<byte[], byte[]> withoutTimestamp(final byte[] key, final byte[] value) {
        return new TestRecord<>(new org.apache.kafka.clients.consumer.ConsumerRecord<>("events", 0, 0L, -1L,
                org.apache.kafka.common.record.TimestampType.CREATE_TIME, 0, value.length, key, value,
                new org.apache.kafka.common.header.internals.RecordHeaders(), java.util.Optional.empty()));
    }

    @Test
    void should_dead_letter_every_bad_record_with_its_reason_and_original_bytes() {
        final List<ScorerFixtures.BadRecord> bad = ScorerFixtures.badRecords(100);
        int scoreable = 0;
        for (final ScorerFixtures.BadRecord b : bad) {
            events.pipeInput(null, b.value());
            if (b.expected() == null) {
                scoreable++;
                assertEquals(1, scores.getQueueSize(), b.name() + " should be scored");
                scores.readRecord();
                continue;
            }
            assertEquals(1, dlq.getQueueSize(), b.name() + " should be dead-lettered");
            final TestRecord<byte[], byte[]> r = dlq.readRecord();
            final JsonNode letter = ScorerFixtures.parse(r.value());
            assertEquals(List.of(), Schemas.validate(SchemaDocument.DEAD_LETTER, letter), b.name());
            assertEquals(b.expected().wireName(), letter.get("reason").asText(), b.name() + ": " + letter.get("message"));
            assertEquals("events", letter.at("/source/topic").asText());
            assertTrue(letter.at("/source/offset").isIntegralNumber());
            final DeadLetter parsed = ScorerFixtures.read(r.value(), DeadLetter.class);
            assertArrayEquals(java.util.Arrays.copyOf(b.value(), Math.min(b.value().length, DeadLetter.PAYLOAD_PREFIX_BYTES)),
                    parsed.payload(), b.name());
            assertEquals(b.value().length, parsed.payloadBytes(), b.name());
            assertEquals(DeadLetter.sha256(b.value()), parsed.payloadSha256(), b.name());
            assertTrue(r.value().length < 8 * 1024, b.name() + ": dead letter of " + r.value().length + " bytes");
            assertEquals(v1, header(r, Topics.MODEL_VERSION_HEADER));
        }
        assertTrue(scoreable > 0);
        assertTrue(scores.isEmpty());
    }

    @Test
    void should_alert_once_per_key_and_window_and_report_the_suppressed_count_with_the_next_alert() {
        final long t0 = 1_700_000_000_000L;
        events.pipeInput(key(1), ScorerFixtures.anomaly(1, "db-1", t0), Instant.ofEpochMilli(t0));
        events.pipeInput(key(2), ScorerFixtures.anomaly(2, "db-1", t0 + 1000), Instant.ofEpochMilli(t0 + 1000));
        events.pipeInput(key(3), ScorerFixtures.anomaly(3, "db-1", t0 + 2000), Instant.ofEpochMilli(t0 + 2000));
        events.pipeInput(key(4), ScorerFixtures.anomaly(4, "db-2", t0 + 2000), Instant.ofEpochMilli(t0 + 2000));
        events.pipeInput(key(5), ScorerFixtures.anomaly(5, "db-1", t0 + WINDOW_MS + 1), Instant.ofEpochMilli(t0 + WINDOW_MS + 1));
        final List<JsonNode> sent = alerts.readValuesToList().stream().map(ScorerFixtures::parse).toList();
        assertEquals(3, sent.size(), sent.toString());
        for (final JsonNode a : sent) {
            assertEquals(List.of(), Schemas.validate(SchemaDocument.ALERT, a));
            assertTrue(a.get("score").asDouble() > a.get("threshold").asDouble());
            assertEquals(3, a.get("top_features").size());
            assertEquals(v1, a.get("model_version").asText());
        }
        assertEquals("e-1", sent.get(0).get("event_id").asText());
        assertEquals(0, sent.get(0).get("suppressed_since_last").asLong());
        assertEquals("db-2", sent.get(1).get("key").asText());
        assertEquals("e-5", sent.get(2).get("event_id").asText());
        assertEquals(2, sent.get(2).get("suppressed_since_last").asLong());
        final JsonNode latency = sent.get(0).get("top_features").findParent("feature");
        assertTrue(sent.get(0).get("top_features").toString().contains("latency_ms"), latency.toString());
    }

    @Test
    void should_score_extreme_values_as_anomalies_naming_the_clamped_feature_and_its_raw_value() {
        for (final ScorerFixtures.Extreme x : ScorerFixtures.extremes(300)) {
            events.pipeInput(key(300), x.value());
            assertTrue(dlq.isEmpty(), x.name() + " dead-lettered: " + (dlq.isEmpty() ? "" : new String(dlq.readValue())));
            final JsonNode score = ScorerFixtures.parse(scores.readValue());
            assertEquals(List.of(), Schemas.validate(SchemaDocument.SCORE, score), x.name());
            assertTrue(score.get("anomaly").asBoolean(), x.name());
            assertTrue(Double.isFinite(score.get("score").asDouble()) && score.get("score").asDouble() > 1e6, x.name() + " " + score);
            assertEquals(x.feature(), score.at("/clamped/0/feature").asText(), x.name());
            assertEquals(x.observed(), score.at("/clamped/0/observed").asText(), x.name());
            final JsonNode alert = ScorerFixtures.parse(alerts.readValue());
            assertEquals(List.of(), Schemas.validate(SchemaDocument.ALERT, alert), x.name());
            assertEquals(x.feature(), alert.at("/clamped/0/feature").asText(), x.name());
            assertEquals(x.feature(), alert.at("/top_features/0/feature").asText(), x.name());
            // a fresh key per event, so suppression does not hold the next one back
            events.pipeInput(key(301), ScorerFixtures.normal(301));
            scores.readValue();
        }
    }

    @Test
    void should_write_contributions_only_when_asked_for() {
        events.pipeInput(key(1), ScorerFixtures.normal(1));
        assertFalse(ScorerFixtures.parse(scores.readValue()).has("contributions"));
        final ScorerMetrics metrics = new ScorerMetrics(new PrometheusRegistry(), false);
        final Topics topics = Topics.defaults();
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "scorer-ttd-contributions");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        try (TopologyTestDriver on = new TopologyTestDriver(ScorerTopology.build(
                PipelineSettings.defaults(WINDOW_MS).withContributions(true), topics, null, models, metrics, OutputTimestamps.anyPast(), () -> dev.nelbo.scorer.rules.AlertRules.NONE), props)) {
            on.createInputTopic(topics.events(), new ByteArraySerializer(), new ByteArraySerializer())
                    .pipeInput(key(1), ScorerFixtures.normal(1));
            final JsonNode score = ScorerFixtures.parse(on.createOutputTopic(topics.scores(), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer()).readValue());
            assertEquals(List.of(), Schemas.validate(SchemaDocument.SCORE, score));
            double sum = 0;
            for (final JsonNode c : score.get("contributions")) {
                sum += c.asDouble();
            }
            assertEquals(4, score.get("contributions").size());
            assertEquals(score.get("recon_nll").asDouble(), sum, 1e-9);
        }
    }

    @Test
    void should_not_let_a_forged_event_time_mute_a_key() {
        final long now = 1_700_000_000_000L;
        // the event claims 9e18: its record timestamp is now, so suppression uses now
        events.pipeInput(key(1), ScorerFixtures.anomaly(1, "db-1", 9_000_000_000_000_000_000L), Instant.ofEpochMilli(now));
        events.pipeInput(key(2), ScorerFixtures.anomaly(2, "db-1", now + WINDOW_MS + 1), Instant.ofEpochMilli(now + WINDOW_MS + 1));
        assertEquals(2, alerts.readValuesToList().size(), "the second alert, one window later, is sent");
    }

    @Test
    void should_never_suppress_events_without_a_key() {
        final long t0 = 1_700_000_000_000L;
        for (int i = 0; i < 5; i++) {
            final com.fasterxml.jackson.databind.node.ObjectNode e = (com.fasterxml.jackson.databind.node.ObjectNode)
                    ScorerFixtures.parse(ScorerFixtures.anomaly(i, "x", t0 + i));
            e.remove("key");
            events.pipeInput(null, ScorerFixtures.bytes(e), Instant.ofEpochMilli(t0 + i));
        }
        assertEquals(5, alerts.readValuesToList().size());
    }

    @Test
    void should_switch_models_between_batches_and_label_every_output_with_its_version() {
        events.pipeInput(key(1), ScorerFixtures.normal(1));
        final String v2 = ScorerFixtures.writeModel(dir.resolve("v2"), 2);
        assertNotEquals(v1, v2);
        assertTrue(models.offer(dir.resolve("v2"), "test"));
        events.pipeInput(key(2), ScorerFixtures.normal(2));
        final List<TestRecord<byte[], byte[]>> out = scores.readRecordsToList();
        assertEquals(List.of(v1, v2), out.stream().map(r -> header(r, Topics.MODEL_VERSION_HEADER)).toList());
        assertEquals(v2, ScorerFixtures.parse(out.get(1).value()).get("model_version").asText());
    }

    @Test
    void should_score_the_same_event_to_the_same_numbers_on_replay() {
        events.pipeInput(key(7), ScorerFixtures.normal(7), Instant.ofEpochMilli(1));
        events.pipeInput(key(7), ScorerFixtures.normal(7), Instant.ofEpochMilli(2));
        final List<JsonNode> out = scores.readValuesToList().stream().map(ScorerFixtures::parse).toList();
        assertEquals(out.get(0).get("score"), out.get(1).get("score"));
    }

    @Test
    void should_write_no_score_records_when_switched_off_but_still_alert() {
        final ScorerMetrics metrics = new ScorerMetrics(new PrometheusRegistry(), false);
        final Topics topics = Topics.defaults();
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "scorer-ttd-off");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        try (TopologyTestDriver off = new TopologyTestDriver(ScorerTopology.build(
                PipelineSettings.defaults(WINDOW_MS).withScores(false), topics, null, models, metrics, OutputTimestamps.anyPast(), () -> dev.nelbo.scorer.rules.AlertRules.NONE), props)) {
            final TestInputTopic<byte[], byte[]> in = off.createInputTopic(topics.events(), new ByteArraySerializer(),
                    new ByteArraySerializer());
            in.pipeInput(key(1), ScorerFixtures.normal(1));
            in.pipeInput(key(2), ScorerFixtures.anomaly(2, "db-9", 1_700_000_000_000L));
            assertTrue(off.createOutputTopic(topics.scores(), new ByteArrayDeserializer(), new ByteArrayDeserializer()).isEmpty());
            assertEquals(1, off.createOutputTopic(topics.alerts(), new ByteArrayDeserializer(), new ByteArrayDeserializer())
                    .getQueueSize());
        }
    }

    @Test
    void should_forward_batches_scored_in_the_background_before_the_commit_in_input_order() {
        // batches of one: every record fills its batch and is scored on the inference executor while the
        // task goes on; the commit after each record must still find all of them forwarded
        final ScorerMetrics metrics = new ScorerMetrics(new PrometheusRegistry(), false);
        final Topics topics = Topics.defaults();
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "scorer-ttd-pipelined");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        try (ModelManager single = new ModelManager(EngineOptions.defaults().withMaxBatch(1), metrics)) {
            assertTrue(single.offer(dir.resolve("v1"), "test"));
            try (TopologyTestDriver d = new TopologyTestDriver(ScorerTopology.build(
                    PipelineSettings.defaults(WINDOW_MS), topics, null, single, metrics, OutputTimestamps.anyPast(), () -> dev.nelbo.scorer.rules.AlertRules.NONE), props)) {
                final TestInputTopic<byte[], byte[]> in = d.createInputTopic(topics.events(), new ByteArraySerializer(),
                        new ByteArraySerializer());
                final TestOutputTopic<byte[], byte[]> out = d.createOutputTopic(topics.scores(), new ByteArrayDeserializer(),
                        new ByteArrayDeserializer());
                for (int i = 0; i < 50; i++) {
                    in.pipeInput(key(i), ScorerFixtures.normal(i));
                    assertEquals(1, out.getQueueSize(), "record " + i);
                    assertEquals("e-" + i, ScorerFixtures.parse(out.readValue()).get("event_id").asText());
                }
            }
        }
    }

    private static byte[] key(final int i) {
        return ("k" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static String header(final TestRecord<byte[], byte[]> r, final String name) {
        final Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
