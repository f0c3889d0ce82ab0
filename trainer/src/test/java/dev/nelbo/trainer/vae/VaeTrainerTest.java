package dev.nelbo.trainer.vae;

import dev.nelbo.schemas.bundle.Activation;
import dev.nelbo.schemas.bundle.MlpWeights;
import dev.nelbo.schemas.encoding.ColumnBlock;
import dev.nelbo.schemas.encoding.Likelihood;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VaeTrainerTest {

    private static VaeConfig small(final int epochs, final int patience, final long seed) {
        return small(epochs, patience, seed, 1f);
    }

    private static VaeConfig small(final int epochs, final int patience, final long seed, final float beta) {
        return new VaeConfig(List.of(16, 16), 2, Activation.ELU, false, epochs, 64, 3e-3f, beta, 2, 0f, 0.2f, patience, 5f,
                -12f, 8f, seed);
    }

    @Test
    void same_seed_and_data_give_identical_weights_and_another_seed_does_not() {
        final TrainingData data = TrainingBenchmark.lowRankData(600, 6, 2, new Random(3));
        final MlpWeights encoderA;
        final MlpWeights decoderA;
        try (TrainedVae a = VaeTrainer.fit(data, small(4, 10, 7L), s -> { })) {
            encoderA = a.encoderWeights();
            decoderA = a.decoderWeights();
        }
        try (TrainedVae b = VaeTrainer.fit(data, small(4, 10, 7L), s -> { })) {
            assertEquals(encoderA, b.encoderWeights());
            assertEquals(decoderA.hidden(), b.decoderWeights().hidden());
            assertEquals(decoderA.heads().get(0), b.decoderWeights().heads().get(0));
        }
        try (TrainedVae c = VaeTrainer.fit(data, small(4, 10, 8L), s -> { })) {
            assertNotEquals(encoderA, c.encoderWeights());
        }
    }

    @Test
    void bernoulli_and_categorical_heads_learn_the_feature_frequencies() {
        // A gaussian column, a binary column that is 1 in 85% of rows and a 3-way categorical with
        // probabilities 0.6/0.3/0.1, all independent: the decoder can only match the marginals.
        final Random random = new Random(11);
        final int rows = 3000;
        final int width = 5;
        final float[] x = new float[rows * width];
        final float[] mask = new float[rows * width];
        java.util.Arrays.fill(mask, 1f);
        for (int i = 0; i < rows; i++) {
            x[i * width] = (float) random.nextGaussian();
            x[i * width + 1] = random.nextDouble() < 0.85 ? 1f : 0f;
            final double u = random.nextDouble();
            x[i * width + 2 + (u < 0.6 ? 0 : u < 0.9 ? 1 : 2)] = 1f;
        }
        final List<ColumnBlock> blocks = List.of(new ColumnBlock("g", Likelihood.GAUSSIAN, 0, 1),
                new ColumnBlock("b", Likelihood.BERNOULLI, 1, 1), new ColumnBlock("c", Likelihood.CATEGORICAL, 2, 3));
        final TrainingData data = new TrainingData(x, mask, rows, width, blocks);
        try (TrainedVae vae = VaeTrainer.fit(data, small(12, 20, 1L), s -> { })) {
            final float[] z = new float[2 * 200];
            final Random noise = new Random(2);
            for (int i = 0; i < z.length; i++) {
                z[i] = (float) noise.nextGaussian();
            }
            final float[] mean = vae.decode(z, 200)[0];
            double pBinary = 0;
            final double[] pCat = new double[3];
            for (int r = 0; r < 200; r++) {
                pBinary += 1 / (1 + Math.exp(-mean[r * width + 1])) / 200;
                double norm = 0;
                for (int k = 0; k < 3; k++) {
                    norm += Math.exp(mean[r * width + 2 + k]);
                }
                for (int k = 0; k < 3; k++) {
                    pCat[k] += Math.exp(mean[r * width + 2 + k]) / norm / 200;
                }
            }
            assertEquals(0.85, pBinary, 0.05);
            assertEquals(0.6, pCat[0], 0.07);
            assertEquals(0.3, pCat[1], 0.07);
            assertEquals(0.1, pCat[2], 0.05);
        }
    }

    @Test
    void the_default_kl_weight_below_one_weights_the_training_loss_only_and_validation_stays_the_full_elbo() {
        final float beta = VaeConfig.defaults().beta();
        assertTrue(beta < 1f, "the default trains with a KL weight below the ELBO's 1, got " + beta);
        final TrainingData data = TrainingBenchmark.lowRankData(400, 6, 2, new Random(9));
        try (TrainedVae vae = VaeTrainer.fit(data, small(6, 10, 4L, beta), s -> { })) {
            final EpochStats last = vae.history().get(vae.history().size() - 1);
            assertEquals(beta, last.beta(), 1e-7, "warm-up reached the final weight");
            assertTrue(last.trainKl() > 0.05, "a KL worth weighting: " + last.trainKl());
            assertEquals(last.trainRecon() + beta * last.trainKl(), last.trainLoss(), 1e-3 * Math.abs(last.trainLoss()));
            assertEquals(last.valRecon() + last.valKl(), last.valNelbo(), 1e-9);
        }
    }

    @Test
    void early_stopping_ends_the_run_and_keeps_the_best_epoch() {
        final TrainingData data = TrainingBenchmark.lowRankData(400, 6, 2, new Random(5));
        final List<EpochStats> seen = new ArrayList<>();
        try (TrainedVae vae = VaeTrainer.fit(data, small(300, 3, 2L), seen::add)) {
            assertTrue(vae.history().size() < 300, "stopped early after " + vae.history().size() + " epochs");
            assertEquals(seen, vae.history());
            final double best = vae.history().stream().mapToDouble(EpochStats::valNelbo).min().orElseThrow();
            final double[] now = vae.validationTerms();
            assertEquals(best, now[0] + now[1], 1e-4, "restored weights reproduce the best validation figure");
            final EpochStats last = vae.history().get(vae.history().size() - 1);
            assertTrue(last.progressLine().contains("val nelbo"), last.progressLine());
        }
    }

    @Test
    void a_feature_that_is_never_observed_gets_no_gradient_from_the_reconstruction() {
        // Column 0 is seen in every row, column 1 in none (encoded as 0 with mask 0). The masked term gives
        // column 1's decoder log-variance a zero gradient, so Adam leaves it at its initial 0; were the mask
        // ignored, the decoder would learn to reproduce the constant zeros and drive it to the clamp.
        final int rows = 600;
        final Random random = new Random(9);
        final float[] x = new float[rows * 2];
        final float[] mask = new float[rows * 2];
        for (int i = 0; i < rows; i++) {
            x[2 * i] = (float) (3 + random.nextGaussian());
            mask[2 * i] = 1f;
        }
        final TrainingData data = new TrainingData(x, mask, rows, 2,
                List.of(new ColumnBlock("seen", Likelihood.GAUSSIAN, 0, 1), new ColumnBlock("never", Likelihood.GAUSSIAN, 1, 1)));
        try (TrainedVae vae = VaeTrainer.fit(data, small(5, 10, 4L), s -> { })) {
            final float[] logvar = vae.decoderWeights().heads().get(1).constant();
            assertEquals(0f, logvar[1], 0f, "never-observed feature");
            assertNotEquals(0f, logvar[0], "observed feature");
        }
    }

    @Test
    void too_few_rows_fail_with_a_message() {
        final TrainingData data = TrainingBenchmark.lowRankData(2, 3, 1, new Random(1));
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VaeTrainer.fit(data, small(1, 1, 1L), s -> { }));
        assertTrue(e.getMessage().contains("too few rows"), e.getMessage());
    }
}
