package dev.nelbo.registry;

import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.testing.TestBundles;
import dev.nelbo.schemas.testing.TestData;
import dev.nelbo.testkit.SharedBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelRegistryIntegrationTest {

    @TempDir
    Path dir;

    private static Map<String, Object> client() {
        return Map.of("bootstrap.servers", SharedBroker.get().bootstrapServers());
    }

    private static String topic() {
        final String topic = SharedBroker.uniqueName("models");
        ModelRegistry.ensureTopic(SharedBroker.get().admin(), topic);
        ModelRegistry.ensureTopic(SharedBroker.get().admin(), topic); // idempotent
        return topic;
    }

    @Test
    void should_publish_shadow_promote_and_pin_versions_and_find_them_by_content_hash() {
        final String topic = topic();
        final FeatureEncoder encoder = TestData.fittedEncoder(11, 500);
        final Manifest m1 = TestBundles.writeRandom(dir.resolve("v1"), encoder, 1);
        final Manifest m2 = TestBundles.writeRandom(dir.resolve("v2"), encoder, 2);
        try (ModelRegistry registry = new ModelRegistry(client(), topic)) {
            assertEquals(m1.modelVersion(), registry.publish(dir.resolve("v1"), null));
            ModelRegistry.Snapshot s = registry.read();
            assertEquals(m1.modelVersion(), s.current());
            assertNull(s.shadow());
            assertThrows(IllegalStateException.class, () -> registry.promoteShadow(m1.modelVersion(), null));

            assertEquals(m2.modelVersion(), registry.publishShadow(dir.resolve("v2"), m1.modelVersion()));
            s = registry.read();
            assertEquals(m1.modelVersion(), s.current(), "a shadow does not replace the current model");
            assertEquals(m2.modelVersion(), s.shadow());
            assertEquals(Set.of(m1.modelVersion(), m2.modelVersion()), s.bundles().keySet());
            assertEquals(List.of(m1.modelVersion(), m2.modelVersion()), s.publishOrder());
            assertEquals(m2.modelVersion(), s.versionWithContentHash(m2.contentHash()).orElseThrow());
            assertTrue(s.versionWithContentHash("0".repeat(64)).isEmpty());

            // a shadow published after the caller checked m2 (a retrain finishing meanwhile) is not promoted
            final Manifest m3 = TestBundles.writeRandom(dir.resolve("v3"), encoder, 3);
            registry.publishShadow(dir.resolve("v3"), m1.modelVersion());
            final RegistryConflictException moved = assertThrows(RegistryConflictException.class,
                    () -> registry.promoteShadow(m1.modelVersion(), m2.modelVersion()));
            assertTrue(moved.getMessage().contains("shadow is " + m3.modelVersion()), moved.getMessage());
            assertEquals(m3.modelVersion(), moved.actual());
            assertEquals(m1.modelVersion(), registry.read().current(), "nothing written");
            assertEquals(m3.modelVersion(), registry.read().shadow());
            registry.publishShadow(dir.resolve("v2"), m1.modelVersion());
            assertEquals(m2.modelVersion(), registry.promoteShadow(m1.modelVersion(), m2.modelVersion()));
            s = registry.read();
            assertEquals(m2.modelVersion(), s.current());
            assertNull(s.shadow());

            registry.pin(m1.modelVersion(), m2.modelVersion());
            assertEquals(m1.modelVersion(), registry.read().current());
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> registry.pin("nope", m1.modelVersion()));
            assertTrue(e.getMessage().contains("nope") && e.getMessage().contains(m1.modelVersion()), e.getMessage());
        }
    }

    @Test
    void a_write_against_a_version_the_registry_no_longer_names_changes_nothing() {
        final String topic = topic();
        final FeatureEncoder encoder = TestData.fittedEncoder(11, 500);
        final Manifest m1 = TestBundles.writeRandom(dir.resolve("v1"), encoder, 1);
        final Manifest m2 = TestBundles.writeRandom(dir.resolve("v2"), encoder, 2);
        final Manifest m3 = TestBundles.writeRandom(dir.resolve("v3"), encoder, 3);
        try (ModelRegistry retrain = new ModelRegistry(client(), topic); ModelRegistry operator = new ModelRegistry(client(), topic)) {
            retrain.publish(dir.resolve("v1"), null);
            // a retrain run saw v1 as current when it started; meanwhile an operator moved the registry on
            operator.publish(dir.resolve("v2"), m1.modelVersion());
            final RegistryConflictException conflict = assertThrows(RegistryConflictException.class,
                    () -> retrain.publish(dir.resolve("v3"), m1.modelVersion()));
            assertEquals(m2.modelVersion(), conflict.actual());
            final ModelRegistry.Snapshot s = operator.read();
            assertEquals(m2.modelVersion(), s.current(), "the operator's change stands");
            assertTrue(!s.bundles().containsKey(m3.modelVersion()), "nothing of the refused write is visible");
            assertThrows(RegistryConflictException.class, () -> operator.pin(m1.modelVersion(), null));
        }
    }

    @Test
    void concurrent_writers_expecting_the_same_version_cannot_both_win() throws Exception {
        final String topic = topic();
        final FeatureEncoder encoder = TestData.fittedEncoder(11, 500);
        final Manifest base = TestBundles.writeRandom(dir.resolve("base"), encoder, 10);
        try (ModelRegistry r = new ModelRegistry(client(), topic)) {
            r.publish(dir.resolve("base"), null);
        }
        final int writers = 4;
        for (int i = 0; i < writers; i++) {
            TestBundles.writeRandom(dir.resolve("w" + i), encoder, 20 + i);
        }
        final ExecutorService pool = Executors.newFixedThreadPool(writers);
        final CountDownLatch go = new CountDownLatch(1);
        final List<Future<String>> results = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            final int w = i;
            results.add(pool.submit(() -> {
                try (ModelRegistry r = new ModelRegistry(client(), topic)) {
                    go.await();
                    return r.publish(dir.resolve("w" + w), base.modelVersion());
                } catch (final RegistryConflictException e) {
                    return null;
                }
            }));
        }
        go.countDown();
        final List<String> won = new ArrayList<>();
        for (final Future<String> f : results) {
            final String v = f.get();
            if (v != null) {
                won.add(v);
            }
        }
        pool.shutdown();
        assertEquals(1, won.size(), "exactly one of " + writers + " racing publishes wins: " + won);
        try (ModelRegistry r = new ModelRegistry(client(), topic)) {
            assertEquals(won.get(0), r.read().current());
        }
    }

    @Test
    void old_bundles_are_deleted_but_never_one_a_pointer_names() {
        final String topic = topic();
        final FeatureEncoder encoder = TestData.fittedEncoder(11, 500);
        final List<String> versions = new ArrayList<>();
        try (ModelRegistry r = new ModelRegistry(client(), topic, 2)) {
            String current = null;
            for (int i = 0; i < 5; i++) {
                versions.add(TestBundles.writeRandom(dir.resolve("v" + i), encoder, 30 + i).modelVersion());
                if (i == 1) {
                    r.publishShadow(dir.resolve("v" + i), current);
                } else {
                    current = r.publish(dir.resolve("v" + i), current);
                }
            }
            final ModelRegistry.Snapshot s = r.read();
            // the last two published, plus v1 that the shadow pointer still names
            assertEquals(Set.of(versions.get(1), versions.get(3), versions.get(4)), s.bundles().keySet());
            assertEquals(versions.get(4), s.current());
            assertEquals(versions.get(1), s.shadow());
        }
    }
}
