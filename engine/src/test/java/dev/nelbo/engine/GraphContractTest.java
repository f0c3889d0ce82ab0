package dev.nelbo.engine;

import dev.nelbo.engine.testing.EngineFixtures;
import dev.nelbo.schemas.bundle.DenseLayer;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.MlpHead;
import dev.nelbo.schemas.bundle.MlpWeights;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.testing.TestBundles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Both forms of the graph contract, names from the manifest, and what the model version does. */
class GraphContractTest {

    private static final int D = 5;
    private static final int K = 3;

    @TempDir
    static Path dir;
    private static MlpWeights[] constantHeads;
    private static ModelBundle constantBundle;
    private static ModelBundle perRowBundle;

    @BeforeAll
    static void writeBundles() {
        constantHeads = TestBundles.randomVae(5, D, 8, K);
        constantBundle = EngineFixtures.writeBundle(dir.resolve("constant"), EngineFixtures.continuousEncoder(D), K,
                constantHeads, 30.0);
        // The same decoder, but its log-variance as a per-row head: zero weights, the constant as bias.
        final MlpWeights dec = constantHeads[1];
        final float[] logvar = dec.head("logvar").constant();
        final MlpWeights perRowDecoder = new MlpWeights("z", K, dec.hidden(), dec.activation(), List.of(
                dec.head("mean"), MlpHead.dense("logvar", new DenseLayer(8, D, new float[8 * D], logvar))));
        perRowBundle = EngineFixtures.writeBundle(dir.resolve("per-row"), EngineFixtures.continuousEncoder(D), K,
                new MlpWeights[] {constantHeads[0], perRowDecoder}, 30.0);
    }

    @Test
    void a_per_row_decoder_log_variance_scores_like_the_equal_constant_head() {
        final double[][] a = score(ScoringModel.of(constantBundle));
        // Same version string, so both draw the same noise (bundle versions differ by content hash).
        final double[][] b = score(withVersion(ScoringModel.of(perRowBundle), constantBundle.version()));
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                assertEquals(a[i][j], b[i][j], 1e-9 * Math.max(1, Math.abs(a[i][j])), "record " + i + " value " + j);
            }
        }
    }

    @Test
    void the_model_version_is_part_of_the_seed() {
        final ScoringModel model = ScoringModel.of(constantBundle);
        final double[][] a = score(model);
        final double[][] b = score(withVersion(model, "another-version"));
        assertEquals(a[0][2], b[0][2], "the encoder output (KL) does not depend on the version");
        assertNotEquals(a[0][1], b[0][1], "the sampling noise does");
    }

    @Test
    void graphs_that_do_not_match_the_model_description_are_refused_with_a_clear_message() {
        final ScoringModel model = ScoringModel.of(constantBundle);
        final ScoringModel wrongName = new ScoringModel(model.version(), model.encoderFile(), model.decoderFile(),
                new ScoringModel.GraphNames("input", "mu", "logvar", "z", "mean", "logvar"), D, K, model.layout(),
                model.encoderLogvar(), model.decoderLogvar(), model.threshold(), model.calibration());
        final IllegalStateException e1 = assertThrows(IllegalStateException.class,
                () -> ScoringEngine.open(wrongName, EngineOptions.defaults()));
        assertTrue(e1.getMessage().contains("'input'") && e1.getMessage().contains("[x]"), e1.getMessage());

        final ScoringModel wrongLatent = new ScoringModel(model.version(), model.encoderFile(), model.decoderFile(),
                model.names(), D, K + 1, model.layout(), model.encoderLogvar(), model.decoderLogvar(),
                model.threshold(), model.calibration());
        final IllegalStateException e2 = assertThrows(IllegalStateException.class,
                () -> ScoringEngine.open(wrongLatent, EngineOptions.defaults()));
        assertTrue(e2.getMessage().contains("encoder output 'mu' must be [batch, 4] or [4]"), e2.getMessage());

        final ScoringModel swapped = new ScoringModel(model.version(), model.decoderFile(), model.encoderFile(),
                model.names(), D, K, model.layout(), model.encoderLogvar(), model.decoderLogvar(),
                model.threshold(), model.calibration());
        assertThrows(IllegalStateException.class, () -> ScoringEngine.open(swapped, EngineOptions.defaults()));
    }

    @Test
    void calibration_without_a_fitted_tail_extends_the_table_and_with_one_uses_the_gpd() {
        final Manifest.Calibration empirical = constantBundle.manifest().calibration();
        assertEquals(null, empirical.tail());
        final var table = ScoringModel.tailProbability(empirical);
        final double last = empirical.quantiles().get(empirical.quantiles().size() - 1).value();
        assertEquals(0.001, table.of(last), 1e-12);
        assertTrue(table.of(last * 2) < 0.001 && table.of(last * 2) > 0);
        final Manifest.Calibration withTail = new Manifest.Calibration("nelbo", 30, 0.001, "gpd", 1000,
                empirical.quantiles(), new Manifest.Tail(20, 0.1, 2, 0.02, 20));
        assertEquals(0.02 * Math.pow(1 + 0.1 * 5 / 2, -10), ScoringModel.tailProbability(withTail).of(25), 1e-15);
    }

    @Test
    void an_uncalibrated_model_scores_without_tail_probability_or_alerts() {
        final ScoringModel model = ScoringModel.of(constantBundle);
        final ScoringModel uncalibrated = new ScoringModel(model.version(), model.encoderFile(), model.decoderFile(),
                model.names(), D, K, model.layout(), model.encoderLogvar(), model.decoderLogvar(), Double.NaN, null);
        final double[][] s = score(uncalibrated);
        for (double[] r : s) {
            assertTrue(Double.isNaN(r[3]) && r[4] == 0 && Double.isFinite(r[0]));
        }
        assertThrows(IllegalArgumentException.class, () -> new ScoringModel(model.version(), model.encoderFile(),
                model.decoderFile(), model.names(), D, K, model.layout(), model.encoderLogvar(), model.decoderLogvar(),
                5.0, null));
    }

    private static ScoringModel withVersion(final ScoringModel m, final String version) {
        return new ScoringModel(version, m.encoderFile(), m.decoderFile(), m.names(), m.inputWidth(), m.latentWidth(),
                m.layout(), m.encoderLogvar(), m.decoderLogvar(), m.threshold(), m.calibration());
    }

    /** Columns: nelbo, recon, kl, tail probability, anomaly. */
    private static double[][] score(final ScoringModel model) {
        try (ScoringEngine engine = ScoringEngine.open(model, EngineOptions.defaults().withMaxBatch(16))) {
            final ScoringBatch batch = engine.newBatch();
            final ScoringResults results = engine.newResults();
            final Random rnd = new Random(3);
            final float[] x = new float[D];
            final float[] mask = {1f, 1f, 0f, 1f, 1f};
            for (int i = 0; i < 16; i++) {
                for (int d = 0; d < D; d++) {
                    x[d] = (float) (rnd.nextGaussian() * (i == 15 ? 6 : 1));
                }
                batch.add("r" + i, x, mask);
            }
            engine.score(batch, results);
            final double[][] out = new double[16][];
            for (int i = 0; i < 16; i++) {
                out[i] = new double[] {results.nelbo(i), results.reconNll(i), results.kl(i), results.tailProbability(i),
                        results.anomaly(i) ? 1 : 0};
            }
            return out;
        }
    }
}
