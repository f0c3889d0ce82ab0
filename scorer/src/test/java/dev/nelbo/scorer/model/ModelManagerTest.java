package dev.nelbo.scorer.model;

import dev.nelbo.engine.EngineOptions;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;
import dev.nelbo.schemas.testing.TestData;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelManagerTest {

    @TempDir
    Path dir;

    @Test
    void should_keep_the_serving_model_when_a_candidate_is_tampered_or_missing() throws Exception {
        final PrometheusRegistry registry = new PrometheusRegistry();
        try (ModelManager models = new ModelManager(EngineOptions.defaults().withMaxBatch(16), new ScorerMetrics(registry, false))) {
            final String v1 = ScorerFixtures.writeModel(dir.resolve("v1"), 1);
            assertTrue(models.offer(dir.resolve("v1"), "test"));
            ScorerFixtures.writeModel(dir.resolve("v2"), 2);
            Files.writeString(dir.resolve("v2").resolve("encoder.onnx"), "not a graph");
            assertFalse(models.offer(dir.resolve("v2"), "test"));
            assertFalse(models.offer(dir.resolve("missing"), "test"));
            assertEquals(v1, models.currentVersion().orElseThrow());
            assertEquals(2.0, LiveSwapIntegrationTest.counter(registry, "nelbo_model_rejected"));
        }
    }

    @Test
    void should_delete_an_owned_directory_once_no_model_needs_it_and_never_a_users_and_lend_nothing_once_retired()
            throws Exception {
        final Path user = dir.resolve("user");
        final String u = ScorerFixtures.writeModel(user, 1);
        final Path copy = dir.resolve("copy");
        final String v2 = ScorerFixtures.writeModel(copy, 2);
        final Path sameAgain = dir.resolve("same-again");
        ScorerFixtures.writeModel(sameAgain, 2);
        final Path tampered = dir.resolve("tampered");
        ScorerFixtures.writeModel(tampered, 3);
        Files.writeString(tampered.resolve("encoder.onnx"), "not a graph");
        final Path shadowCopy = dir.resolve("shadow");
        ScorerFixtures.writeModel(shadowCopy, 4);
        try (ModelManager models = new ModelManager(EngineOptions.defaults().withMaxBatch(16),
                new ScorerMetrics(new PrometheusRegistry(), false))) {
            assertTrue(models.offer(user, "nelbo.model.dir"));
            final LoadedModel first = models.current();
            assertEquals(u, first.version());

            assertTrue(models.offer(copy, "registry", true));
            assertTrue(Files.isRegularFile(user.resolve("encoder.onnx")), "the user's directory outlives its model");
            assertNull(first.borrow(), "a retired model lends nothing: its files may be gone");
            final ModelManager.Lease lease = models.borrowCurrent(first);
            assertEquals(v2, lease.model().version());
            assertNull(models.borrowCurrent(lease.model()), "nothing newer to move to");
            lease.model().giveBack(lease.engine());

            assertTrue(models.offer(sameAgain, "registry", true), "the version in place");
            assertFalse(Files.exists(sameAgain), "a second copy of the version in place is not needed");
            assertFalse(models.offer(tampered, "registry", true));
            assertFalse(Files.exists(tampered), "a refused copy is deleted at once");
            assertTrue(models.offerShadow(shadowCopy, "registry", true));
            assertTrue(Files.isDirectory(shadowCopy));
            models.clearShadow();
            assertFalse(Files.exists(shadowCopy), "a cleared shadow's copy is deleted");
            assertTrue(Files.isDirectory(copy), "the serving model's copy stays");

            models.close();
            assertFalse(Files.exists(copy), "closing deletes the serving model's copy");
            assertNull(models.borrowCurrent(null), "a closed manager lends nothing");
            assertFalse(models.offer(user, "nelbo.model.dir"), "a closed manager loads nothing");
        }
        assertEquals(u, ModelBundle.load(user).version(), "the user's directory is intact");
    }

    @Test
    void should_accept_the_same_spec_and_refuse_specs_the_input_does_not_carry() {
        final FeatureSpec serving = TestData.spec();
        assertEquals(List.of(), ModelManager.incompatibilities(serving, TestData.spec()));
        final List<FeatureDef> fewer = new ArrayList<>(serving.features().subList(0, 2));
        assertEquals(List.of(), ModelManager.incompatibilities(serving, new FeatureSpec("event_id", "key", "ts", 8, fewer)),
                "a subset of the input's features is fine");
        final List<FeatureDef> extra = new ArrayList<>(serving.features());
        extra.add(new FeatureDef("cpu", "host.cpu", FeatureType.CONTINUOUS, null, null));
        assertTrue(ModelManager.incompatibilities(serving, new FeatureSpec("event_id", "key", "ts", 8, extra)).get(0)
                .contains("host.cpu"));
        final List<FeatureDef> retyped = new ArrayList<>(serving.features());
        retyped.set(2, new FeatureDef("retried", "retried", FeatureType.CATEGORICAL, null, null));
        assertTrue(ModelManager.incompatibilities(serving, new FeatureSpec("event_id", "key", "ts", 8, retyped)).get(0)
                .contains("retried"));
        assertTrue(ModelManager.incompatibilities(serving, new FeatureSpec("id", "key", "ts", 8, serving.features())).get(0)
                .contains("id path"));
    }
}
