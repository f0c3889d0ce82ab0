package dev.nelbo.scorer.topology;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.scorer.app.ScorerService;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.pipeline.PipelineSettings;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.scorer.testkit.TestScorers;
import dev.nelbo.testkit.SharedBroker;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shadow scoring: the shadow model scores the same events to the shadow topic (test driver), and a missing shadow topic fails the start. */
class ShadowScoringTest {

    private static final String SHADOW_TOPIC = "scores-shadow";

    @TempDir
    Path dir;

    @Test
    void should_score_every_event_with_the_shadow_too_and_count_both_models_anomalies_on_the_same_events() {
        final PrometheusRegistry registry = new PrometheusRegistry();
        final ScorerMetrics metrics = new ScorerMetrics(registry, false);
        final Topics topics = Topics.defaults();
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "shadow-ttd");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        try (ModelManager models = new ModelManager(EngineOptions.defaults().withMaxBatch(64), metrics)) {
            final String v1 = ScorerFixtures.writeModel(dir.resolve("v1"), 1);
            final String v2 = ScorerFixtures.writeModel(dir.resolve("v2"), 2);
            assertNotEquals(v1, v2);
            assertTrue(models.offer(dir.resolve("v1"), "test"));
            try (TopologyTestDriver driver = new TopologyTestDriver(ScorerTopology.build(
                    PipelineSettings.defaults(60_000), topics, SHADOW_TOPIC, models, metrics, OutputTimestamps.anyPast(), () -> dev.nelbo.scorer.rules.AlertRules.NONE), props)) {
                final TestInputTopic<byte[], byte[]> events = driver.createInputTopic(topics.events(), new ByteArraySerializer(),
                        new ByteArraySerializer());
                final TestOutputTopic<byte[], byte[]> scores = driver.createOutputTopic(topics.scores(),
                        new ByteArrayDeserializer(), new ByteArrayDeserializer());
                final TestOutputTopic<byte[], byte[]> shadow = driver.createOutputTopic(SHADOW_TOPIC,
                        new ByteArrayDeserializer(), new ByteArrayDeserializer());

                events.pipeInput(key(0), ScorerFixtures.normal(0));
                assertEquals(1, scores.getQueueSize());
                assertTrue(shadow.isEmpty(), "no shadow model, no shadow output");

                assertTrue(models.offerShadow(dir.resolve("v2"), "test", false));
                for (int i = 1; i <= 10; i++) {
                    events.pipeInput(key(i), ScorerFixtures.normal(i));
                }
                events.pipeInput(key(11), ScorerFixtures.anomaly(11, "svc-1", 1_700_000_000_000L));
                final List<TestRecord<byte[], byte[]>> champion = scores.readRecordsToList();
                final List<TestRecord<byte[], byte[]>> shadowed = shadow.readRecordsToList();
                assertEquals(12, champion.size());
                assertEquals(11, shadowed.size(), "every event after the shadow arrived, once");
                for (int i = 0; i < shadowed.size(); i++) {
                    final TestRecord<byte[], byte[]> r = shadowed.get(i);
                    final JsonNode body = ScorerFixtures.parse(r.value());
                    assertEquals("e-" + (i + 1), body.get("event_id").asText());
                    assertEquals(v2, body.get("model_version").asText());
                    assertEquals(v2, new String(r.headers().lastHeader(Topics.MODEL_VERSION_HEADER).value(), StandardCharsets.UTF_8));
                }
                assertEquals(v1, ScorerFixtures.parse(champion.get(11).value()).get("model_version").asText(), "the champion still serves");
                assertEquals(11.0, counter(registry, "nelbo_shadow_records_scored", null));
                assertEquals(1.0, counter(registry, "nelbo_shadow_anomalies", "champion"));
                assertEquals(1.0, counter(registry, "nelbo_shadow_anomalies", "shadow"), "the planted anomaly is far over both thresholds");
                assertEquals(1.0, shadowInfo(registry, v2));

                models.clearShadow();
                events.pipeInput(key(12), ScorerFixtures.normal(12));
                assertEquals(1, scores.readRecordsToList().size());
                assertTrue(shadow.isEmpty(), "shadow cleared, no shadow output");
                assertEquals(0.0, shadowInfo(registry, v2));
            }
        }
    }

    /**
     * A shadow with the champion's history definition reads each event's history as the champion did (so it scores
     * as it would as champion, from its first event on); a shadow whose history differs keeps its own, from the
     * event it arrived at. Each is checked against the shadow model serving as champion over the same events.
     */
    @Test
    void should_score_history_features_in_the_shadow_as_the_shadow_would_score_them_as_champion() {
        final String historyChampion = ScorerFixtures.writeHistoryModel(dir.resolve("h1"), 5);
        final String historyShadow = ScorerFixtures.writeHistoryModel(dir.resolve("h2"), 6);
        ScorerFixtures.writeModel(dir.resolve("p1"), 1);
        assertNotEquals(historyChampion, historyShadow);
        final int events = 60;
        final int shadowFrom = 30;
        final List<JsonNode> alone = scores(dir.resolve("h2"), null, 0, events, false);

        final List<JsonNode> shared = scores(dir.resolve("h1"), dir.resolve("h2"), shadowFrom, events, true);
        assertEquals(events - shadowFrom, shared.size());
        assertTrue(shared.get(0).get("history_events").asLong() > 0, "the champion's history, not a cold start: " + shared.get(0));
        for (int i = 0; i < shared.size(); i++) {
            final JsonNode asChampion = alone.get(shadowFrom + i);
            assertEquals(asChampion.get("event_id"), shared.get(i).get("event_id"));
            assertEquals(asChampion.get("history_events"), shared.get(i).get("history_events"));
            assertEquals(asChampion.get("score").asDouble(), shared.get(i).get("score").asDouble(), 0.0,
                    "shadow score of " + asChampion.get("event_id"));
        }

        final List<JsonNode> own = scores(dir.resolve("p1"), dir.resolve("h2"), shadowFrom, events, true);
        final List<JsonNode> fromThere = scores(dir.resolve("h2"), null, shadowFrom, events, false);
        assertEquals(fromThere.size(), own.size());
        assertEquals(0, own.get(0).get("history_events").asLong(), "the shadow's own history starts when it arrives");
        for (int i = 0; i < own.size(); i++) {
            assertEquals(fromThere.get(i).get("history_events"), own.get(i).get("history_events"));
            assertEquals(fromThere.get(i).get("score").asDouble(), own.get(i).get("score").asDouble(), 0.0);
        }
        assertTrue(own.get(own.size() - 1).get("history_events").asLong() > 0, "its own history grew");
    }

    /**
     * Feeds events {@code from..to} (events before {@code from} too when a shadow arrives at {@code from}) and returns
     * the shadow's score records, or the champion's from {@code from} on.
     */
    private List<JsonNode> scores(final Path champion, final Path shadowModel, final int from, final int to,
                                  final boolean readShadow) {
        final ScorerMetrics metrics = new ScorerMetrics(new PrometheusRegistry(), false);
        final Topics topics = Topics.defaults();
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "shadow-history-ttd");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        try (ModelManager models = new ModelManager(EngineOptions.defaults().withMaxBatch(8), metrics);
             TopologyTestDriver driver = new TopologyTestDriver(ScorerTopology.build(PipelineSettings.defaults(60_000),
                     topics, SHADOW_TOPIC, models, metrics, OutputTimestamps.anyPast(), () -> dev.nelbo.scorer.rules.AlertRules.NONE), props)) {
            assertTrue(models.offer(champion, "test"));
            final TestInputTopic<byte[], byte[]> in = driver.createInputTopic(topics.events(), new ByteArraySerializer(),
                    new ByteArraySerializer());
            final TestOutputTopic<byte[], byte[]> out = driver.createOutputTopic(readShadow ? SHADOW_TOPIC : topics.scores(),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer());
            for (int i = shadowModel == null ? from : 0; i < to; i++) {
                if (shadowModel != null && i == from) {
                    assertTrue(models.offerShadow(shadowModel, "test", false));
                }
                in.pipeInput(key(i), ScorerFixtures.normal(i));
            }
            return out.readRecordsToList().stream().map(r -> ScorerFixtures.parse(r.value())).toList();
        }
    }

    private static byte[] key(final int i) {
        return ("svc-" + (i % 5)).getBytes(StandardCharsets.UTF_8);
    }

    private static double counter(final PrometheusRegistry registry, final String name, final String role) {
        return registry.scrape().stream().filter(s -> s.getMetadata().getName().equals(name))
                .flatMap(s -> ((CounterSnapshot) s).getDataPoints().stream())
                .filter(d -> role == null || role.equals(d.getLabels().get("role")))
                .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
    }

    private static double shadowInfo(final PrometheusRegistry registry, final String version) {
        return registry.scrape().stream().filter(s -> s.getMetadata().getName().equals("nelbo_shadow_model"))
                .flatMap(s -> ((InfoSnapshot) s).getDataPoints().stream())
                .filter(d -> version.equals(d.getLabels().get("version"))).count();
    }

    @Test
    void should_refuse_to_start_with_a_shadow_topic_that_does_not_exist() {
        final Topics topics = TestScorers.freshTopics("shadow-missing", 1);
        ScorerFixtures.writeModel(dir.resolve("v1"), 1);
        final String missing = SharedBroker.uniqueName("no-such-shadow");
        final Map<String, String> settings = TestScorers.settings(SharedBroker.uniqueName("shadow-missing-app"), topics,
                dir.resolve("v1"), Map.of("nelbo.shadow.topic", missing));
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScorerService.start(TestScorers.config(settings), new PrometheusRegistry(), false));
        assertTrue(e.getMessage().contains("nelbo.shadow.topic") && e.getMessage().contains(missing), e.getMessage());
    }
}
