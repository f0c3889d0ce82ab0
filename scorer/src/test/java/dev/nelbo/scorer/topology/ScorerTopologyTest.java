package dev.nelbo.scorer.topology;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.testkit.ScorerFixtures;
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

    @BeforeEach
    void setUp() {
        final ScorerMetrics metrics = new ScorerMetrics(new PrometheusRegistry(), false);
        models = new ModelManager(EngineOptions.defaults().withMaxBatch(256), metrics);
        v1 = ScorerFixtures.writeModel(dir.resolve("v1"), 1);
        assertTrue(models.offer(dir.resolve("v1"), "test"));
        final Topics topics = Topics.defaults();
        final ScoringProcessor.Settings settings = new ScoringProcessor.Settings(topics, true, WINDOW_MS, 3);
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "scorer-ttd");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(ScorerTopology.build(settings, models, metrics), props);
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
            assertEquals(java.util.Base64.getEncoder().encodeToString(b.value()), letter.get("payload_base64").asText(), b.name());
            assertEquals(v1, header(r, Topics.MODEL_VERSION_HEADER));
        }
        assertTrue(scoreable > 0);
        assertTrue(scores.isEmpty());
    }

    @Test
    void should_alert_once_per_key_and_window_and_report_the_suppressed_count_with_the_next_alert() {
        final long t0 = 1_800_000_000_000L;
        events.pipeInput(key(1), ScorerFixtures.anomaly(1, "db-1", t0));
        events.pipeInput(key(2), ScorerFixtures.anomaly(2, "db-1", t0 + 1000));
        events.pipeInput(key(3), ScorerFixtures.anomaly(3, "db-1", t0 + 2000));
        events.pipeInput(key(4), ScorerFixtures.anomaly(4, "db-2", t0 + 2000));
        events.pipeInput(key(5), ScorerFixtures.anomaly(5, "db-1", t0 + WINDOW_MS + 1));
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
                new ScoringProcessor.Settings(topics, false, WINDOW_MS, 3), models, metrics), props)) {
            final TestInputTopic<byte[], byte[]> in = off.createInputTopic(topics.events(), new ByteArraySerializer(),
                    new ByteArraySerializer());
            in.pipeInput(key(1), ScorerFixtures.normal(1));
            in.pipeInput(key(2), ScorerFixtures.anomaly(2, "db-9", 1_800_000_000_000L));
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
                    new ScoringProcessor.Settings(topics, true, WINDOW_MS, 3), single, metrics), props)) {
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
