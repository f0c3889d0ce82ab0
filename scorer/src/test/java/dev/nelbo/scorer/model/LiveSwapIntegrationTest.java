package dev.nelbo.scorer.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.registry.BundleArchive;
import dev.nelbo.registry.ModelRegistry;
import dev.nelbo.scorer.app.ScorerService;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.scorer.testkit.TestScorers;
import dev.nelbo.testkit.KafkaTestClients;
import dev.nelbo.testkit.SharedBroker;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
                    final Path bad = tamperedBundle(dir.resolve("bad"));
                    assertThrows(RuntimeException.class, () -> models.publish(bad, null), "publish verifies before writing");
                    rawPublish(topics.registry(), "tampered", BundleArchive.pack(bad));
                }
                if (i == total / 2) {
                    // swap only once v1 has visibly served (both partitions run by then)
                    producer.flush();
                    awaitScored(registry, total / 3);
                    assertEquals(v2, models.publish(dir.resolve("v2"), models.read().current()));
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
            final IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> models.pin("v-none", v2));
            assertTrue(unknown.getMessage().contains("v-none"), unknown.getMessage());
            // v1 came from nelbo.model.dir, so the registry has to be given its bundle before it can be pinned
            assertEquals(v1, models.store(dir.resolve("v1")));
            assertEquals(v2, models.read().current(), "storing does not change the current version");
            models.pin(v1, v2);
            assertEquals(v1, models.read().current());
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!service.models().currentVersion().orElseThrow().equals(v1)) {
                assertTrue(System.nanoTime() < deadline, "service did not follow the rollback to " + v1);
                Thread.sleep(50);
            }
        }
    }

    @Test
    void should_keep_only_the_unpacked_bundles_of_loaded_models_delete_all_on_close_and_never_touch_the_user_directory()
            throws Exception {
        final Topics topics = TestScorers.freshTopics("unpack", 1);
        final Path user = dir.resolve("user");
        final String u = ScorerFixtures.writeModel(user, 7);
        final String v1 = ScorerFixtures.writeModel(dir.resolve("v1"), 1);
        final String v2 = ScorerFixtures.writeModel(dir.resolve("v2"), 2);
        final String v3 = ScorerFixtures.writeModel(dir.resolve("v3"), 3);
        final Path bad = tamperedBundle(dir.resolve("bad"));
        final Map<String, String> userFiles = contents(user);
        final Path unpacked = Files.createDirectory(dir.resolve("unpacked"));
        final PrometheusRegistry registry = new PrometheusRegistry();
        final Map<String, Object> client = Map.of("bootstrap.servers", SharedBroker.get().bootstrapServers());
        final ScorerMetrics metrics = new ScorerMetrics(registry, false);
        try (ModelManager models = new ModelManager(EngineOptions.defaults().withMaxBatch(16), metrics);
             RegistryFollower follower = new RegistryFollower(client, topics.registry(), models, true, metrics, unpacked,
                     null);
             ModelRegistry reg = new ModelRegistry(client, topics.registry())) {
            assertNull(follower.catchUp(), "the registry is empty");
            // what the service does when the registry names nothing: start from nelbo.model.dir
            assertTrue(models.offer(user, "nelbo.model.dir"));
            assertEquals(u, models.currentVersion().orElseThrow());
            follower.start();

            reg.publish(dir.resolve("v1"), reg.read().current());
            awaitCurrent(models, v1);
            assertOnlyLoadedRemain(unpacked, models, 1);
            assertEquals(userFiles, contents(user), "the user's model directory outlives its model");

            reg.publish(dir.resolve("v2"), reg.read().current());
            awaitCurrent(models, v2);
            assertOnlyLoadedRemain(unpacked, models, 1);

            // refused after unpacking (checksum mismatch), and refused while unpacking (an entry escaping the bundle)
            rawPublish(topics.registry(), "tampered", BundleArchive.pack(bad));
            awaitRejected(registry, 1);
            rawPublish(topics.registry(), "escaping", escapingArchive());
            awaitRejected(registry, 2);
            assertEquals(v2, models.currentVersion().orElseThrow());
            assertOnlyLoadedRemain(unpacked, models, 1);
            assertFalse(Files.exists(unpacked.resolve("escape.txt")), "nothing is written outside the bundle");

            reg.publishShadow(dir.resolve("v3"), reg.read().current());
            awaitShadow(models, v3);
            assertOnlyLoadedRemain(unpacked, models, 2);

            assertEquals(v3, reg.promoteShadow(reg.read().current(), reg.read().shadow()));
            awaitCurrent(models, v3);
            awaitShadow(models, null);
            assertOnlyLoadedRemain(unpacked, models, 1);

            reg.pin(v1, reg.read().current());
            awaitCurrent(models, v1);
            assertOnlyLoadedRemain(unpacked, models, 1);
        }
        try (Stream<Path> left = Files.list(unpacked)) {
            assertEquals(List.of(), left.toList(), "nothing unpacked outlives the follower and the models");
        }
        assertEquals(userFiles, contents(user), "the user's model directory is never deleted");
    }

    /** Polls until the directories under {@code unpacked} are exactly the bundle directories of the loaded models. */
    private static void assertOnlyLoadedRemain(final Path unpacked, final ModelManager models, final int expected)
            throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            final Set<Path> loaded = new HashSet<>();
            for (final LoadedModel m : new LoadedModel[] {models.current(), models.shadow()}) {
                if (m != null && m.bundle().dir().startsWith(unpacked)) {
                    loaded.add(m.bundle().dir());
                }
            }
            final Set<Path> present;
            try (Stream<Path> list = Files.list(unpacked)) {
                present = list.collect(Collectors.toSet());
            }
            if (present.equals(loaded) && present.size() == expected) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "unpacked " + present + ", loaded " + loaded + ", expected " + expected);
            Thread.sleep(50);
        }
    }

    static void awaitCurrent(final ModelManager models, final String version) throws InterruptedException {
        awaitTrue(() -> version.equals(models.currentVersion().orElse(null)), "current model " + version);
    }

    private static void awaitShadow(final ModelManager models, final String version) throws InterruptedException {
        awaitTrue(() -> {
            final LoadedModel s = models.shadow();
            return version == null ? s == null : s != null && version.equals(s.version());
        }, "shadow model " + version);
    }

    private static void awaitRejected(final PrometheusRegistry registry, final int n) throws InterruptedException {
        awaitTrue(() -> rejected(registry) >= n, n + " refused bundles");
    }

    static void awaitTrue(final BooleanSupplier condition, final String what) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(50);
        }
    }

    /** @return every file under {@code bundle} (relative path) with its content as hex */
    private static Map<String, String> contents(final Path bundle) throws Exception {
        final Map<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(bundle)) {
            for (final Path f : walk.filter(Files::isRegularFile).toList()) {
                out.put(bundle.relativize(f).toString(), HexFormat.of().formatHex(Files.readAllBytes(f)));
            }
        }
        return out;
    }

    /** A zip whose only entry points outside the directory it is unpacked into. */
    private static byte[] escapingArchive() throws Exception {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("../escape.txt"));
            zip.write("outside".getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }
        return bytes.toByteArray();
    }

    private static double rejected(final PrometheusRegistry registry) {
        return TestScorers.metric(registry, "nelbo_model_rejected");
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
        while (TestScorers.metric(registry, "nelbo_records_scored") < n) {
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

    /** A model bundle whose decoder graph no longer matches its checksum: every loader must refuse it. */
    private static Path tamperedBundle(final Path bad) throws IOException {
        ScorerFixtures.writeModel(bad, 9);
        final Path onnx = bad.resolve("decoder.onnx");
        final byte[] bytes = Files.readAllBytes(onnx);
        bytes[bytes.length / 2] ^= 0x5a;
        Files.write(onnx, bytes);
        return bad;
    }
}
