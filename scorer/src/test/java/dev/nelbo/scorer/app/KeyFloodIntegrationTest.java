package dev.nelbo.scorer.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.scorer.testkit.TestScorers;
import dev.nelbo.testkit.KafkaTestClients;
import dev.nelbo.testkit.SharedBroker;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
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
 * A producer that writes a fresh, long key per event cannot push a real entity out of the per-key state, nor the
 * state past its byte bound: on a real broker, the least recently seen keys are evicted (counted), the entity that
 * keeps sending keeps its history, and after a restart with a lower bound the restored state is cut to it at once.
 */
class KeyFloodIntegrationTest {

    private static final long MAX_BYTES = 48 * 1024;

    @TempDir
    Path dir;

    @Test
    void a_flood_of_long_fresh_keys_evicts_the_least_recently_seen_and_the_state_stays_within_its_bytes() throws Exception {
        final Topics topics = TestScorers.freshTopics("key-flood", 1);
        ScorerFixtures.writeHistoryModel(dir.resolve("model"), 5);
        final String appId = SharedBroker.uniqueName("key-flood-app");
        final long now = System.currentTimeMillis();
        final List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        int real = 0;
        for (int i = 0; i < 800; i++) {
            // the real entity sends every fourth event; the flood a fresh key of the longest length kept
            final String key = i % 4 == 0 ? "svc-0" : String.format("%0256d", i);
            real += key.equals("svc-0") ? 1 : 0;
            records.add(new ProducerRecord<>(topics.events(), null, now + i, key.getBytes(StandardCharsets.UTF_8),
                    ScorerFixtures.normal(i, key)));
        }
        final PrometheusRegistry registry = new PrometheusRegistry();
        try (ScorerService service = ScorerService.start(TestScorers.config(settings(appId, topics, MAX_BYTES)), registry,
                false)) {
            KafkaTestClients.send(records);
            final List<ConsumerRecord<byte[], byte[]>> scores = KafkaTestClients.readCommitted(List.of(topics.scores()),
                    Duration.ofSeconds(60), l -> l.size() >= records.size());
            assertEquals(records.size(), scores.size());
            assertEquals(real - 1, lastHistoryEvents(scores, "svc-0"), "svc-0 kept its history through the flood");
            final double evicted = TestScorers.metric(registry, "nelbo_history_evicted");
            assertTrue(evicted > 500, "most flood keys evicted, counted: " + evicted);
            awaitPurge(registry);
            final double bytes = TestScorers.metric(registry, "nelbo_history_bytes");
            assertTrue(bytes > 0 && bytes <= MAX_BYTES, "history state within its bound: " + bytes);
            assertEquals(KafkaStreams.State.RUNNING, service.state());
        }
        // restarted with half the bound: the changelog restores the state, which is cut to the new bound at once, the
        // flood's keys first, and svc-0 goes on from its history
        final PrometheusRegistry again = new PrometheusRegistry();
        try (ScorerService service = ScorerService.start(TestScorers.config(settings(appId, topics, MAX_BYTES / 2)), again,
                false)) {
            KafkaTestClients.send(List.of(new ProducerRecord<>(topics.events(), null, System.currentTimeMillis(),
                    "svc-0".getBytes(StandardCharsets.UTF_8), ScorerFixtures.normal(900, "svc-0"))));
            final List<ConsumerRecord<byte[], byte[]>> scores = KafkaTestClients.readCommitted(List.of(topics.scores()),
                    Duration.ofSeconds(60), l -> l.size() >= records.size() + 1);
            assertEquals(real, lastHistoryEvents(scores, "svc-0"), "restored, with every past event of svc-0");
            assertTrue(TestScorers.metric(again, "nelbo_history_evicted") > 0, "the lower bound evicted at restore");
            awaitPurge(again);
            final double bytes = TestScorers.metric(again, "nelbo_history_bytes");
            assertTrue(bytes > 0 && bytes <= MAX_BYTES / 2, "restored state within the new bound: " + bytes);
            assertEquals(KafkaStreams.State.RUNNING, service.state());
        }
    }

    private Map<String, String> settings(final String appId, final Topics topics, final long maxBytes) {
        final Map<String, String> overrides = new HashMap<>();
        overrides.put("nelbo.history.max.bytes", Long.toString(maxBytes));
        // the purge that reports the state's size runs every max(1 s, window)
        overrides.put("nelbo.alert.suppression.window.ms", "1000");
        return TestScorers.settings(appId, topics, dir.resolve("model"), overrides);
    }

    /** The state gauges are set by the purge (no data point: 0). */
    private static void awaitPurge(final PrometheusRegistry registry) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (TestScorers.metric(registry, "nelbo_history_bytes") == 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    private static long lastHistoryEvents(final List<ConsumerRecord<byte[], byte[]>> scores, final String key) {
        long events = -1;
        for (final ConsumerRecord<byte[], byte[]> r : scores) {
            final JsonNode score = ScorerFixtures.parse(r.value());
            if (key.equals(score.get("key").asText())) {
                events = score.get("history_events").asLong();
            }
        }
        return events;
    }
}
