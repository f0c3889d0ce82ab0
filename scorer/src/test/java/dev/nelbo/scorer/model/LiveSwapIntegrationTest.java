package dev.nelbo.scorer.model;

import dev.nelbo.registry.BundleArchive;
import dev.nelbo.registry.ModelRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.scorer.app.ScorerService;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.testkit.KafkaTestClients;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.testkit.SharedBroker;
import dev.nelbo.scorer.testkit.TestScorers;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Models published through the registry topic while events flow. */
class LiveSwapIntegrationTest {

    @TempDir
    Path dir;

    @Test
    void should_swap_models_under_load_without_losing_or_repeating_records_and_refuse_a_bad_bundle() throws Exception {
        final Topics topics = TestScorers.freshTopics("swap", 2);
        final String v1 = ScorerFixtures.writeModel(dir.resolve("v1"), 1);
        final String v2 = ScorerFixtures.writeModel(dir.resolve("v2"), 2);
        assertNotEquals(v1, v2);
        final Map<String, Object> client = Map.of("bootstrap.servers", SharedBroker.get().bootstrapServers());
        final PrometheusRegistry registry = new PrometheusRegistry();
        final Map<String, String> settings = TestScorers.settings(SharedBroker.uniqueName("swap-app"), topics, dir.resolve("v1"),
                Map.of());
        try (ScorerService service = ScorerService.start(TestScorers.config(settings), registry, false);
             ModelRegistry models = new ModelRegistry(client, topics.registry());
             KafkaProducer<byte[], byte[]> producer = KafkaTestClients.producer()) {
            awaitReady(service);
            final List<Future<RecordMetadata>> acks = new ArrayList<>();
            final int total = 6000;
            for (int i = 0; i < total; i++) {
                acks.add(producer.send(new ProducerRecord<>(topics.events(), ("k" + i).getBytes(StandardCharsets.UTF_8),
                        ScorerFixtures.normal(i))));
                if (i % 200 == 199) {
                    Thread.sleep(40);
                }
                if (i == total / 3) {
                    // a tampered bundle: the follower refuses it and v1 keeps serving
                    final Path bad = dir.resolve("bad");
                    ScorerFixtures.writeModel(bad, 9);
                    final Path onnx = bad.resolve("decoder.onnx");
                    final byte[] bytes = Files.readAllBytes(onnx);
                    bytes[bytes.length / 2] ^= 0x5a;
                    Files.write(onnx, bytes);
                    assertThrows(RuntimeException.class, () -> models.publish(bad), "publish verifies before writing");
                    rawPublish(topics.registry(), "tampered", BundleArchive.pack(bad));
                }
                if (i == total / 2) {
                    // swap only once v1 has visibly served (both partitions run by then)
                    producer.flush();
                    awaitScored(registry, total / 3);
                    assertEquals(v2, models.publish(dir.resolve("v2")));
                }
            }
            producer.flush();
            for (final Future<RecordMetadata> f : acks) {
                f.get();
            }
            final List<ConsumerRecord<byte[], byte[]>> out = KafkaTestClients.readCommitted(List.of(topics.scores()),
                    Duration.ofSeconds(60), l -> l.size() >= total);
            assertEquals(total, out.size(), "every record scored once across the swap");
            final Set<String> ids = new HashSet<>();
            final Map<Integer, List<String>> versionsByPartition = new HashMap<>();
            for (final ConsumerRecord<byte[], byte[]> r : out) {
                final JsonNode doc = ScorerFixtures.parse(r.value());
                assertTrue(ids.add(doc.get("event_id").asText()), "scored twice: " + doc.get("event_id"));
                final String header = new String(r.headers().lastHeader(Topics.MODEL_VERSION_HEADER).value(), StandardCharsets.UTF_8);
                assertEquals(doc.get("model_version").asText(), header);
                versionsByPartition.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(header);
            }
            for (final List<String> versions : versionsByPartition.values()) {
                assertEquals(v1, versions.get(0));
                assertEquals(v2, versions.get(versions.size() - 1));
                final int firstV2 = versions.indexOf(v2);
                assertFalse(versions.subList(firstV2, versions.size()).contains(v1), "v1 after v2 within a partition");
                assertTrue(versions.stream().allMatch(v -> v.equals(v1) || v.equals(v2)), "only v1 and v2 serve: " + Set.copyOf(versions));
            }
            assertEquals(v2, service.models().currentVersion().orElseThrow());
            assertEquals(1.0, rejected(registry));

            // rollback: pinning a stored version moves the service back
            final IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> models.pin("v-none"));
            assertTrue(unknown.getMessage().contains("v-none"), unknown.getMessage());
            // v1 came from nelbo.model.dir, so the registry has to be given its bundle before it can be pinned
            assertEquals(v1, models.store(dir.resolve("v1")));
            assertEquals(v2, models.read().current(), "storing does not change the current version");
            models.pin(v1);
            assertEquals(v1, models.read().current());
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!service.models().currentVersion().orElseThrow().equals(v1)) {
                assertTrue(System.nanoTime() < deadline, "service did not follow the rollback to " + v1);
                Thread.sleep(50);
            }
        }
    }

    private static double rejected(final PrometheusRegistry registry) {
        return counter(registry, "nelbo_model_rejected");
    }

    static double counter(final PrometheusRegistry registry, final String name) {
        return registry.scrape().stream().filter(s -> s.getMetadata().getName().equals(name))
                .map(s -> ((CounterSnapshot) s).getDataPoints().stream().mapToDouble(d -> d.getValue()).sum())
                .findFirst().orElseThrow();
    }

    static void awaitReady(final ScorerService service) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!service.isReady()) {
            assertTrue(System.nanoTime() < deadline, "service not ready in 30 s");
            Thread.sleep(50);
        }
    }

    private static void awaitScored(final PrometheusRegistry registry, final int n) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (counter(registry, "nelbo_records_scored") < n) {
            assertTrue(System.nanoTime() < deadline, "fewer than " + n + " records scored in 30 s");
            Thread.sleep(20);
        }
    }

    private static void rawPublish(final String topic, final String version, final byte[] archive) throws Exception {
        try (KafkaProducer<byte[], byte[]> p = KafkaTestClients.producer()) {
            p.send(new ProducerRecord<>(topic, (ModelRegistry.BUNDLE_PREFIX + version).getBytes(StandardCharsets.UTF_8), archive))
                    .get(10, TimeUnit.SECONDS);
            p.send(new ProducerRecord<>(topic, ModelRegistry.CURRENT_KEY.getBytes(StandardCharsets.UTF_8),
                    version.getBytes(StandardCharsets.UTF_8))).get(10, TimeUnit.SECONDS);
        }
    }
}
