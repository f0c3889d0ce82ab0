package dev.nelbo.registry;

import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.testing.TestBundles;
import dev.nelbo.schemas.testing.TestData;
import dev.nelbo.testkit.SharedBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelRegistryIntegrationTest {

    @TempDir
    Path dir;

    @Test
    void should_publish_shadow_promote_and_pin_versions_and_find_them_by_content_hash() {
        final String topic = SharedBroker.uniqueName("models");
        ModelRegistry.ensureTopic(SharedBroker.get().admin(), topic);
        ModelRegistry.ensureTopic(SharedBroker.get().admin(), topic); // idempotent
        final FeatureEncoder encoder = TestData.fittedEncoder(11, 500);
        final Manifest m1 = TestBundles.writeRandom(dir.resolve("v1"), encoder, 1);
        final Manifest m2 = TestBundles.writeRandom(dir.resolve("v2"), encoder, 2);
        try (ModelRegistry registry = new ModelRegistry(Map.of("bootstrap.servers", SharedBroker.get().bootstrapServers()), topic)) {
            assertEquals(m1.modelVersion(), registry.publish(dir.resolve("v1")));
            ModelRegistry.Snapshot s = registry.read();
            assertEquals(m1.modelVersion(), s.current());
            assertNull(s.shadow());
            assertThrows(IllegalStateException.class, registry::promoteShadow);

            assertEquals(m2.modelVersion(), registry.publishShadow(dir.resolve("v2")));
            s = registry.read();
            assertEquals(m1.modelVersion(), s.current(), "a shadow does not replace the current model");
            assertEquals(m2.modelVersion(), s.shadow());
            assertEquals(Set.of(m1.modelVersion(), m2.modelVersion()), s.bundles().keySet());
            assertEquals(m2.modelVersion(), s.versionWithContentHash(m2.contentHash()).orElseThrow());
            assertTrue(s.versionWithContentHash("0".repeat(64)).isEmpty());

            assertEquals(m2.modelVersion(), registry.promoteShadow());
            s = registry.read();
            assertEquals(m2.modelVersion(), s.current());
            assertNull(s.shadow());

            registry.pin(m1.modelVersion());
            assertEquals(m1.modelVersion(), registry.read().current());
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> registry.pin("nope"));
            assertTrue(e.getMessage().contains("nope") && e.getMessage().contains(m1.modelVersion()), e.getMessage());
        }
    }
}
