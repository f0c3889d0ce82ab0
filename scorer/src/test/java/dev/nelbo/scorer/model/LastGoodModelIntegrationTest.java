package dev.nelbo.scorer.model;

import dev.nelbo.registry.ModelRegistry;
import dev.nelbo.scorer.app.ScorerService;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.scorer.testkit.TestScorers;
import dev.nelbo.testkit.KafkaTestClients;
import dev.nelbo.testkit.SharedBroker;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bad {@code current} pointer cannot strand a restarted instance: it serves the last model it took from the
 * registry (kept on its volume, verified again), becomes ready and scores, as the instances that kept running do.
 */
class LastGoodModelIntegrationTest {

    @TempDir
    Path dir;

    @Test
    void a_restarted_instance_serves_its_last_known_good_model_while_the_registry_names_one_it_cannot_use() throws Exception {
        final Topics topics = TestScorers.freshTopics("last-good", 1);
        final String v1 = ScorerFixtures.writeModel(dir.resolve("v1"), 1);
        final Map<String, String> settings = TestScorers.settings(SharedBroker.uniqueName("last-good-app"), topics, null,
                Map.of());
        try (ModelRegistry registry = new ModelRegistry(Map.of("bootstrap.servers", SharedBroker.get().bootstrapServers()),
                topics.registry())) {
            registry.publish(dir.resolve("v1"), null);
        }
        try (ScorerService first = ScorerService.start(TestScorers.config(settings), new PrometheusRegistry(), false)) {
            LiveSwapIntegrationTest.awaitReady(first);
            assertEquals(v1, first.models().currentVersion().orElseThrow());
        }
        final Path kept = TestScorers.config(settings).lastGoodModelDir();
        assertTrue(Files.isRegularFile(kept.resolve(LastGoodModel.ARCHIVE)), "the model taken from the registry is kept");

        // whoever may write the registry topic points current at a version it does not hold
        final List<byte[][]> pointer = new ArrayList<>();
        pointer.add(new byte[][] {ModelRegistry.CURRENT_KEY.getBytes(StandardCharsets.UTF_8),
            "no-such-version".getBytes(StandardCharsets.UTF_8)});
        KafkaTestClients.produce(topics.registry(), pointer);

        try (ScorerService restarted = ScorerService.start(TestScorers.config(settings), new PrometheusRegistry(), false)) {
            LiveSwapIntegrationTest.awaitReady(restarted);
            assertEquals(v1, restarted.models().currentVersion().orElseThrow(), "the last-known-good model serves");
            final List<byte[][]> events = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                events.add(new byte[][] {("k" + i).getBytes(StandardCharsets.UTF_8), ScorerFixtures.normal(i)});
            }
            KafkaTestClients.produce(topics.events(), events);
            final List<ConsumerRecord<byte[], byte[]>> scores = KafkaTestClients.readCommitted(List.of(topics.scores()),
                    Duration.ofSeconds(60), l -> l.size() >= events.size());
            assertEquals(events.size(), scores.size());
            final Map<String, Integer> versions = new HashMap<>();
            scores.forEach(r -> versions.merge(new String(r.headers().lastHeader(Topics.MODEL_VERSION_HEADER).value(),
                    StandardCharsets.UTF_8), 1, Integer::sum));
            assertEquals(Map.of(v1, events.size()), versions);
        }

        // what the kept copy prevents: with none, a restart has nothing to serve and waits, not ready
        final Map<String, String> empty = new HashMap<>(settings);
        empty.put("nelbo.model.last.good.dir", dir.resolve("none").toString());
        try (ScorerService stranded = ScorerService.start(TestScorers.config(empty), new PrometheusRegistry(), false)) {
            Thread.sleep(2000);
            assertFalse(stranded.isReady());
            assertTrue(stranded.models().currentVersion().isEmpty());
        }
    }

    /**
     * The fleet does not split on a restart: the live instances refuse a current model whose input is incompatible
     * with theirs, and so does a restarted one, which checks it against its last-known-good model. (A pod on an empty
     * volume has nothing to check against and takes it: the documented limit.)
     */
    @Test
    void a_restarted_instance_refuses_an_incompatible_model_the_live_ones_refused() throws Exception {
        final Topics topics = TestScorers.freshTopics("last-good-spec", 1);
        final String v1 = ScorerFixtures.writeModel(dir.resolve("v1"), 1);
        final String v2 = ScorerFixtures.writeIncompatibleModel(dir.resolve("v2"));
        final Map<String, String> settings = TestScorers.settings(SharedBroker.uniqueName("last-good-spec-app"), topics, null,
                Map.of());
        try (ModelRegistry registry = new ModelRegistry(Map.of("bootstrap.servers", SharedBroker.get().bootstrapServers()),
                topics.registry())) {
            registry.publish(dir.resolve("v1"), null);
            try (ScorerService live = ScorerService.start(TestScorers.config(settings), new PrometheusRegistry(), false)) {
                LiveSwapIntegrationTest.awaitReady(live);
                registry.publish(dir.resolve("v2"), v1);
                LiveSwapIntegrationTest.awaitTrue(() -> String.valueOf(live.models().lastRefusal())
                        .contains("feature spec incompatible"), "the live instance refuses " + v2);
                assertEquals(v1, live.models().currentVersion().orElseThrow());
            }
        }
        try (ScorerService restarted = ScorerService.start(TestScorers.config(settings), new PrometheusRegistry(), false)) {
            LiveSwapIntegrationTest.awaitReady(restarted);
            LiveSwapIntegrationTest.awaitTrue(() -> String.valueOf(restarted.models().lastRefusal())
                    .contains("feature spec incompatible"), "the restarted instance refuses " + v2 + " too");
            assertEquals(v1, restarted.models().currentVersion().orElseThrow(), "the fleet does not split");
        }
        final Map<String, String> empty = new HashMap<>(settings);
        empty.put("nelbo.model.last.good.dir", dir.resolve("none").toString());
        try (ScorerService fresh = ScorerService.start(TestScorers.config(empty), new PrometheusRegistry(), false)) {
            LiveSwapIntegrationTest.awaitReady(fresh);
            assertEquals(v2, fresh.models().currentVersion().orElseThrow(), "with nothing kept, nothing to check against");
        }
    }
}
