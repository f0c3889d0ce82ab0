package dev.nelbo.scorer.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.scorer.testkit.TestScorers;
import dev.nelbo.testkit.KafkaTestClients;
import dev.nelbo.testkit.SharedBroker;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A record is its value and its metadata: on a real broker, a record timestamp the broker accepts but Kafka Streams'
 * default extractor refuses (-1), and input timestamps an output topic refuses, leave the scorer running with every
 * input scored, good events before and after included, and are counted.
 */
class RecordMetadataIntegrationTest {

    @TempDir
    Path dir;

    @Test
    void a_record_without_a_valid_timestamp_is_scored_with_its_partitions_time_and_counted() throws Exception {
        final Topics topics = TestScorers.freshTopics("no-ts", 1);
        ScorerFixtures.writeModel(dir.resolve("model"), 1);
        final long base = System.currentTimeMillis() - 60_000;
        final List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            final byte[] key = ("k-" + i).getBytes(StandardCharsets.UTF_8);
            records.add(i == 20 ? KafkaTestClients.withoutTimestamp(topics.events(), key, ScorerFixtures.normal(i))
                    : new ProducerRecord<>(topics.events(), null, base + i, key, ScorerFixtures.normal(i)));
        }
        final PrometheusRegistry registry = new PrometheusRegistry();
        final Map<String, String> settings = TestScorers.settings(SharedBroker.uniqueName("no-ts-app"), topics,
                dir.resolve("model"), Map.of());
        try (ScorerService service = ScorerService.start(TestScorers.config(settings), registry, false)) {
            final List<RecordMetadata> sent = KafkaTestClients.send(records);
            assertEquals(-1L, sent.get(20).timestamp(), "the broker stored the record without a timestamp");
            final Map<Long, ConsumerRecord<byte[], byte[]>> scores = byOffset(KafkaTestClients.readCommitted(
                    List.of(topics.scores()), Duration.ofSeconds(60), l -> l.size() >= records.size()));
            assertEquals(records.size(), scores.size(), "every input scored once");
            assertEquals(base + 19, scores.get(sent.get(20).offset()).timestamp(), "the partition's time");
            assertEquals(base + 21, scores.get(sent.get(21).offset()).timestamp());
            assertEquals(1.0, TestScorers.metric(registry, "nelbo_record_timestamp_invalid"));
            assertEquals(KafkaStreams.State.RUNNING, service.state());
            assertTrue(service.isReady());
        }
    }

    @Test
    void outputs_are_stamped_within_what_their_topics_accept_and_nothing_is_lost() throws Exception {
        final Topics topics = TestScorers.freshTopics("old-ts", 1);
        final long day = Duration.ofDays(1).toMillis();
        // a scores topic that keeps a day: the broker refuses older CreateTime records
        SharedBroker.get().admin().incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC,
                topics.scores()), List.of(new AlterConfigOp(new ConfigEntry(TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG,
                Long.toString(day)), AlterConfigOp.OpType.SET)))).all().get();
        ScorerFixtures.writeModel(dir.resolve("model"), 1);
        final long now = System.currentTimeMillis();
        final List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            // a replay of a month-old backlog, with current events before and after it and one stamped ahead
            final long ts = i < 10 || i >= 50 ? now - 1000 + i : i == 30 ? now + 20 * 60_000 : now - 30 * day + i;
            records.add(new ProducerRecord<>(topics.events(), null, ts, ("k-" + i).getBytes(StandardCharsets.UTF_8),
                    ScorerFixtures.normal(i)));
        }
        final PrometheusRegistry registry = new PrometheusRegistry();
        final Map<String, String> settings = TestScorers.settings(SharedBroker.uniqueName("old-ts-app"), topics,
                dir.resolve("model"), Map.of());
        try (ScorerService service = ScorerService.start(TestScorers.config(settings), registry, false)) {
            final List<RecordMetadata> sent = KafkaTestClients.send(records);
            final Map<Long, ConsumerRecord<byte[], byte[]>> scores = byOffset(KafkaTestClients.readCommitted(
                    List.of(topics.scores()), Duration.ofSeconds(60), l -> l.size() >= records.size()));
            assertEquals(records.size(), scores.size(), "every input scored once");
            final long after = System.currentTimeMillis();
            for (int i = 0; i < records.size(); i++) {
                final ConsumerRecord<byte[], byte[]> score = scores.get(sent.get(i).offset());
                final long in = records.get(i).timestamp();
                if (i < 10 || i >= 50) {
                    assertEquals(in, score.timestamp(), "a current event keeps its timestamp");
                } else {
                    assertTrue(score.timestamp() > after - day && score.timestamp() <= after, "output " + i + " at "
                            + score.timestamp());
                }
            }
            assertEquals(40.0, TestScorers.metric(registry, "nelbo_output_timestamp_adjusted"), "39 old, one ahead");
            assertEquals(KafkaStreams.State.RUNNING, service.state());
        }
    }

    /**
     * Per-key state on a real broker: a record stamped 40 days back keeps its key's history alive (it used to make the key
     * expire), and an anomaly stamped 50 minutes ahead (event time 110 minutes ahead) mutes its key for one window of
     * the scorer's clock (it used to mute it for the forged time plus the window).
     */
    @Test
    void record_timestamps_neither_erase_a_keys_history_nor_mute_it_for_longer_than_a_window() throws Exception {
        final Topics topics = TestScorers.freshTopics("state-clock", 1);
        ScorerFixtures.writeHistoryModel(dir.resolve("model"), 5);
        final PrometheusRegistry registry = new PrometheusRegistry();
        final Map<String, String> settings = TestScorers.settings(SharedBroker.uniqueName("state-clock-app"), topics,
                dir.resolve("model"), Map.of("nelbo.alert.suppression.window.ms", "2000",
                        "nelbo.alert.suppression.retention.ms", "2000", "nelbo.history.retention.ms", "600000"));
        try (ScorerService service = ScorerService.start(TestScorers.config(settings), registry, false)) {
            final long now = System.currentTimeMillis();
            final long day = Duration.ofDays(1).toMillis();
            KafkaTestClients.send(List.of(
                    new ProducerRecord<>(topics.events(), null, now - 1000, key("svc-0"), ScorerFixtures.normal(0)),
                    new ProducerRecord<>(topics.events(), null, now - 40 * day, key("svc-0"), ScorerFixtures.normal(5)),
                    new ProducerRecord<>(topics.events(), null, now, key("svc-1"), ScorerFixtures.normal(1)),
                    new ProducerRecord<>(topics.events(), null, now + 50 * 60_000L, key("db-1"),
                            ScorerFixtures.anomaly(100, "db-1", now + 110 * 60_000L))));
            KafkaTestClients.readCommitted(List.of(topics.scores()), Duration.ofSeconds(60), l -> l.size() >= 4);
            // past the window by the scorer's clock, and past a purge (every 2 s with this window)
            Thread.sleep(4500);
            final long later = System.currentTimeMillis();
            KafkaTestClients.send(List.of(new ProducerRecord<>(topics.events(), null, later, key("db-1"),
                    ScorerFixtures.anomaly(101, "db-1", later))));
            final List<ConsumerRecord<byte[], byte[]>> alerts = KafkaTestClients.readCommitted(List.of(topics.alerts()),
                    Duration.ofSeconds(30), l -> l.size() >= 2);
            assertEquals(List.of("e-100", "e-101"), alerts.stream()
                    .map(r -> ScorerFixtures.parse(r.value()).get("event_id").asText()).toList(),
                    "the real anomaly one window later is alerted");
            assertEquals(3.0, TestScorers.metric(registry, "nelbo_history_keys"), "svc-0, svc-1 and db-1 all kept");
            assertEquals(KafkaStreams.State.RUNNING, service.state());
        }
    }

    private static byte[] key(final String k) {
        return k.getBytes(StandardCharsets.UTF_8);
    }

    private static Map<Long, ConsumerRecord<byte[], byte[]>> byOffset(final List<ConsumerRecord<byte[], byte[]>> out) {
        final Map<Long, ConsumerRecord<byte[], byte[]>> m = new HashMap<>();
        for (final ConsumerRecord<byte[], byte[]> r : out) {
            final JsonNode doc = ScorerFixtures.parse(r.value());
            final long offset = doc.at("/source/offset").asLong();
            assertEquals(null, m.put(offset, r), "two outputs for input " + offset);
        }
        return m;
    }
}
