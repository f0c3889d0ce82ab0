package dev.nelbo.scorer.model;

import dev.nelbo.engine.EngineOptions;
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
