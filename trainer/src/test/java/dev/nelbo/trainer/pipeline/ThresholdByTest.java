package dev.nelbo.trainer.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.engine.ScoringModel;
import dev.nelbo.schemas.bundle.Activation;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.trainer.data.Dataset;
import dev.nelbo.trainer.data.DatasetReader;
import dev.nelbo.trainer.vae.VaeConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-context thresholds ({@code --threshold-by}): one service's normal latency is six times as noisy as the others',
 * so one threshold alerts on it far above the target and on the others far below; calibrated per service, every
 * service's realised rate on fresh normal traffic is near the target, and the engine judges each record by its
 * service's threshold.
 */
class ThresholdByTest {

    private static final String[] SERVICES = {"checkout", "search", "batch"};
    private static final double[] LEVEL = {100, 200, 300};
    private static final double[] NOISE = {0.05, 0.05, 0.3};
    private static final double TARGET = 0.01;

    @TempDir
    static Path dir;

    private static Path spec;
    private static Manifest manifest;
    private static String log;

    private static Path events(final String name, final int n, final long seed, final boolean labelled) throws Exception {
        final Random rnd = new Random(seed);
        final StringBuilder lines = new StringBuilder();
        for (int i = 0; i < n; i++) {
            final int s = i % SERVICES.length;
            final ObjectNode e = Json.EVENTS.createObjectNode();
            e.put("event_id", name + "-" + i);
            e.put("service", SERVICES[s]);
            e.put("latency_ms", LEVEL[s] * Math.exp(NOISE[s] * rnd.nextGaussian()));
            e.put("bytes", 1000 + 100 * rnd.nextGaussian());
            if (labelled) {
                e.put("label", 0);
            }
            lines.append(Json.EVENTS.writeValueAsString(e)).append('\n');
        }
        return Files.writeString(dir.resolve(name + ".jsonl"), lines);
    }

    private static VaeConfig vae() {
        return new VaeConfig(List.of(32, 32), 2, Activation.ELU, false, 40, 128, 3e-3f, 1f, 5, 0.1f, 0.1f, 40, 5f, -12f,
                8f, 3L);
    }

    @BeforeAll
    static void train() throws Exception {
        final Path data = events("train", 9000, 1, false);
        spec = Files.writeString(dir.resolve("spec.json"), """
                {"id_path": "event_id", "features": [
                  {"name": "latency_ms", "type": "continuous", "transform": "log1p"},
                  {"name": "bytes", "type": "continuous"},
                  {"name": "service", "type": "categorical", "context": true}]}
                """);
        final StringWriter out = new StringWriter();
        manifest = TrainingPipeline.run(new TrainSettings(data, dir.resolve("model"), spec, null, 100_000, 0.01, vae(),
                TARGET, 8, "service", 1e-4, 1e-5), new PrintWriter(out));
        log = out.toString();
    }

    @Test
    void each_service_gets_its_own_threshold_and_fresh_normal_traffic_alerts_near_the_target_for_each() throws Exception {
        final Manifest.ContextThresholds by = manifest.calibration().thresholdsBy();
        assertEquals("service", by.feature());
        assertEquals(java.util.Set.of(SERVICES), by.values().keySet());
        by.values().values().forEach(t -> assertEquals(3000, t.rows(), 10));
        assertTrue(by.values().get("batch").threshold() > by.values().get("checkout").threshold(), by.toString());
        assertTrue(log.contains("threshold for service=batch"), log);
        assertTrue(log.contains("with per-context thresholds, context 'service'"), log);
        assertEquals("service", manifest.provenance().settings().get("threshold_by"), "retraining keeps the setting");

        final ModelBundle bundle = ModelBundle.load(dir.resolve("model"));
        final Dataset fresh = DatasetReader.readForEvaluation(events("fresh", 30_000, 2, true), bundle.encoder(), "label", 0);
        final EngineScores scores = EngineScores.score(ScoringModel.of(bundle), EngineOptions.defaults(), fresh.x(),
                fresh.mask(), fresh.rows());
        final double global = manifest.calibration().threshold();
        for (int s = 0; s < SERVICES.length; s++) {
            final double own = by.values().get(SERVICES[s]).threshold();
            int withGlobal = 0;
            int withOwn = 0;
            int n = 0;
            for (int i = s; i < fresh.rows(); i += SERVICES.length) {
                assertEquals(own, scores.thresholds()[i], 0.0, "the engine judges " + SERVICES[s] + " by its threshold");
                withGlobal += scores.nelbo()[i] > global ? 1 : 0;
                withOwn += scores.nelbo()[i] > own ? 1 : 0;
                n++;
            }
            final double rateOwn = (double) withOwn / n;
            final double rateGlobal = (double) withGlobal / n;
            assertTrue(rateOwn > TARGET / 2.5 && rateOwn < TARGET * 2.5,
                    SERVICES[s] + ": " + rateOwn + " with its own threshold (one threshold: " + rateGlobal + ")");
            if (NOISE[s] > 0.1) {
                assertTrue(rateGlobal > TARGET * 2, "the noisy service with one threshold: " + rateGlobal);
            } else {
                assertTrue(rateGlobal < TARGET / 2, SERVICES[s] + " with one threshold: " + rateGlobal);
            }
        }
    }

    @Test
    void a_context_threshold_that_would_never_alert_is_refused_like_a_global_one() {
        assertTrue(ScoringModel.servingProblems(manifest).isEmpty(), ScoringModel.servingProblems(manifest).toString());
        final Manifest.Calibration c = manifest.calibration();
        final Manifest hostile = manifest.withCalibration(c.withThresholdsBy(new Manifest.ContextThresholds("service",
                Map.of("batch", new Manifest.ContextThreshold(1e308, 3000, "empirical")))));
        final List<String> problems = ScoringModel.servingProblems(hostile);
        assertFalse(problems.isEmpty());
        assertTrue(problems.get(0).contains("service=batch"), problems.toString());
    }

    @Test
    void threshold_by_must_name_a_categorical_context_feature() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingPipeline.run(
                new TrainSettings(dir.resolve("train.jsonl"), dir.resolve("bad"), spec, null, 100_000, 0.01, vae(), TARGET,
                        8, "latency_ms", 1e-4, 1e-5), new PrintWriter(new StringWriter())));
        assertTrue(e.getMessage().contains("--threshold-by latency_ms: not a categorical context feature"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("bad")), "nothing written");
    }
}
