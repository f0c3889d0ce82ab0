package dev.nelbo.engine.elbo;

import dev.nelbo.engine.random.CounterNormals;
import dev.nelbo.schemas.encoding.ColumnBlock;
import dev.nelbo.schemas.encoding.Likelihood;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The estimator on plain arrays, against direct formulas written out here. */
class ElboEstimatorTest {

    private static final int D = 6;
    private static final int K = 2;
    private static final int L = 3;
    private static final int N = 2;
    private static final LogvarRange RANGE = new LogvarRange(-8, 8);
    private static final FeatureLayout LAYOUT = new FeatureLayout(List.of(
            new ColumnBlock("amount", Likelihood.GAUSSIAN, 0, 1),
            new ColumnBlock("is_foreign", Likelihood.BERNOULLI, 1, 1),
            new ColumnBlock("channel", Likelihood.CATEGORICAL, 2, 3),
            new ColumnBlock("latency", Likelihood.GAUSSIAN, 5, 1)), D);

    private final float[] x = {
            0.4f, 1f, 0f, 1f, 0f, -1.2f,
            2.5f, 0f, 0f, 0f, 1f, 0.3f};
    private final float[] allObserved = filled(N * D, 1f);
    private final float[] mu = {0.3f, -0.5f, 1.1f, 0.2f};
    private final float[] encLogvar = {-1f, 0.5f, -2f, 0f};
    private final float[] decLogvarConst = {0.2f, 0f, 0f, 0f, 0f, -0.7f};
    private final float[] decMean = randomFloats(N * L * D, 7);

    @Test
    void terms_match_direct_formulas_and_contributions_sum_to_recon() {
        final Outputs out = run(constantLogvarEstimator(), allObserved, null);
        final float[] z = out.z;
        for (int i = 0; i < N; i++) {
            final double[] direct = new double[4];
            double[] logW = new double[L];
            for (int l = 0; l < L; l++) {
                final int row = (i * L + l) * D;
                final double[] t = {
                        gaussianNll(x[i * D], decMean[row], decLogvarConst[0]),
                        bernoulliNll(x[i * D + 1], decMean[row + 1]),
                        categoricalNll(i, row),
                        gaussianNll(x[i * D + 5], decMean[row + 5], decLogvarConst[5])};
                double logPx = 0;
                for (int f = 0; f < 4; f++) {
                    direct[f] += t[f] / L;
                    logPx -= t[f];
                }
                logW[l] = logPx + logPrior(z, (i * L + l) * K) - logPosterior(z, (i * L + l) * K, i);
            }
            double recon = 0;
            for (int f = 0; f < 4; f++) {
                assertEquals(direct[f], out.contributions[i * 4 + f], 1e-9, "record " + i + " feature " + f);
                recon += out.contributions[i * 4 + f];
            }
            assertEquals(recon, out.recon[i], 1e-12);
            double klDirect = 0;
            for (int k = 0; k < K; k++) {
                klDirect += Elbo.klToStandardNormal(mu[i * K + k], encLogvar[i * K + k], Math.exp(encLogvar[i * K + k]));
            }
            assertEquals(klDirect, out.kl[i], 1e-12);
            double max = Double.NEGATIVE_INFINITY;
            for (double w : logW) {
                max = Math.max(max, w);
            }
            double sum = 0;
            for (double w : logW) {
                sum += Math.exp(w - max);
            }
            // z is rounded to float before decoding: log q is exact only up to that rounding.
            assertEquals(-(max + Math.log(sum / L)), out.iw[i], 1e-5);
        }
    }

    @Test
    void samples_are_mu_plus_sigma_times_the_records_counter_normals() {
        final Outputs out = run(constantLogvarEstimator(), allObserved, null);
        final long seed = CounterNormals.seed(CounterNormals.hash("rec-1"), CounterNormals.hash("v1"));
        for (int l = 0; l < L; l++) {
            for (int k = 0; k < K; k++) {
                final double eps = CounterNormals.normal(seed, (long) l * K + k);
                final double expected = mu[K + k] + Math.exp(0.5 * encLogvar[K + k]) * eps;
                assertEquals((float) expected, out.z[(L + l) * K + k], "record 1, sample " + l + ", dim " + k);
            }
        }
    }

    @Test
    void masked_features_contribute_nothing_and_lower_the_reconstruction_term() {
        final Outputs full = run(constantLogvarEstimator(), allObserved, null);
        final float[] mask = allObserved.clone();
        mask[0] = 0f;               // record 0: amount missing
        mask[D + 2] = 0f;           // record 1: channel missing (whole block)
        mask[D + 3] = 0f;
        mask[D + 4] = 0f;
        final Outputs masked = run(constantLogvarEstimator(), mask, null);
        assertEquals(0, masked.contributions[0]);
        assertEquals(0, masked.contributions[4 + 2]);
        assertEquals(full.contributions[1], masked.contributions[1], 1e-12);
        assertEquals(full.recon[0] - full.contributions[0], masked.recon[0], 1e-12);
        assertEquals(full.recon[1] - full.contributions[4 + 2], masked.recon[1], 1e-12);
        // The decoder's expectations do not depend on what was observed.
        assertEquals(full.expected[0], masked.expected[0]);
    }

    @Test
    void per_row_decoder_logvar_gives_the_same_scores_as_the_equal_constant() {
        final float[] perRow = new float[N * L * D];
        for (int r = 0; r < N * L; r++) {
            System.arraycopy(decLogvarConst, 0, perRow, r * D, D);
        }
        final Outputs constant = run(constantLogvarEstimator(), allObserved, null);
        final Outputs rows = run(new ElboEstimator(LAYOUT, K, L, N, CounterNormals.hash("v1"), RANGE, RANGE, null, null),
                allObserved, perRow);
        for (int i = 0; i < N; i++) {
            assertEquals(constant.recon[i], rows.recon[i], 1e-12);
            assertEquals(constant.iw[i], rows.iw[i], 1e-12);
        }
    }

    @Test
    void expected_values_are_means_probabilities_and_most_probable_categories() {
        final Outputs out = run(constantLogvarEstimator(), allObserved, null);
        for (int i = 0; i < N; i++) {
            double mean0 = 0;
            double p1 = 0;
            final double[] probs = new double[3];
            for (int l = 0; l < L; l++) {
                final int row = (i * L + l) * D;
                mean0 += decMean[row] / (double) L;
                p1 += 1 / (1 + Math.exp(-decMean[row + 1])) / L;
                final double z = Math.exp(decMean[row + 2]) + Math.exp(decMean[row + 3]) + Math.exp(decMean[row + 4]);
                for (int j = 0; j < 3; j++) {
                    probs[j] += Math.exp(decMean[row + 2 + j]) / z;
                }
            }
            int best = 0;
            for (int j = 1; j < 3; j++) {
                if (probs[j] > probs[best]) {
                    best = j;
                }
            }
            assertEquals(mean0, out.expected[i * 4], 1e-9);
            assertEquals(p1, out.expected[i * 4 + 1], 1e-12);
            assertEquals(best, out.expected[i * 4 + 2]);
        }
    }

    @Test
    void clamps_nan_and_extreme_logvars_so_scores_stay_finite() {
        final float[] badEnc = {Float.NaN, 1e30f, -1e30f, 0f};
        final float[] badDec = decLogvarConst.clone();
        badDec[0] = Float.NEGATIVE_INFINITY;
        final ElboEstimator e = new ElboEstimator(LAYOUT, K, L, N, 1, RANGE, RANGE, null, badDec);
        final double[] kl = new double[N];
        e.sample(N, new long[] {1, 2}, mu, badEnc, new float[N * L * K], kl);
        final double[] recon = new double[N];
        final double[] iw = new double[N];
        e.reconstruct(N, x, allObserved, FloatBuffer.wrap(decMean), null, recon, iw, new double[N * 4], new double[N * 4]);
        for (int i = 0; i < N; i++) {
            assertEquals(true, Double.isFinite(kl[i]) && Double.isFinite(recon[i]) && Double.isFinite(iw[i]));
        }
    }

    @Test
    void refuses_batches_over_capacity_and_layouts_with_gaps_or_overlaps() {
        assertThrows(IllegalArgumentException.class, () -> constantLogvarEstimator().sample(N + 1, new long[N + 1],
                new float[(N + 1) * K], new float[(N + 1) * K], new float[(N + 1) * L * K], new double[N + 1]));
        assertThrows(IllegalArgumentException.class, () -> new FeatureLayout(List.of(
                new ColumnBlock("a", Likelihood.GAUSSIAN, 0, 1), new ColumnBlock("b", Likelihood.GAUSSIAN, 2, 1)), 3));
        assertThrows(IllegalArgumentException.class, () -> new FeatureLayout(List.of(
                new ColumnBlock("a", Likelihood.CATEGORICAL, 0, 2), new ColumnBlock("b", Likelihood.GAUSSIAN, 1, 1)), 2));
    }

    private ElboEstimator constantLogvarEstimator() {
        return new ElboEstimator(LAYOUT, K, L, N, CounterNormals.hash("v1"), RANGE, RANGE, null, decLogvarConst);
    }

    private record Outputs(float[] z, double[] kl, double[] recon, double[] iw, double[] contributions, double[] expected) {
    }

    private Outputs run(final ElboEstimator e, final float[] mask, final float[] decLogvarRows) {
        final float[] zb = new float[N * L * K];
        final double[] kl = new double[N];
        e.sample(N, new long[] {CounterNormals.hash("rec-0"), CounterNormals.hash("rec-1")}, mu, encLogvar, zb, kl);
        final double[] recon = new double[N];
        final double[] iw = new double[N];
        final double[] contributions = new double[N * 4];
        final double[] expected = new double[N * 4];
        e.reconstruct(N, x, mask, FloatBuffer.wrap(decMean), decLogvarRows == null ? null : FloatBuffer.wrap(decLogvarRows),
                recon, iw, contributions, expected);
        return new Outputs(zb, kl, recon, iw, contributions, expected);
    }

    private static double gaussianNll(final double xv, final double mean, final double logvar) {
        final double var = Math.exp(logvar);
        return 0.5 * Math.log(2 * Math.PI * var) + (xv - mean) * (xv - mean) / (2 * var);
    }

    private static double bernoulliNll(final double xv, final double logit) {
        final double p = 1 / (1 + Math.exp(-logit));
        return -(xv * Math.log(p) + (1 - xv) * Math.log(1 - p));
    }

    private double categoricalNll(final int i, final int row) {
        double z = 0;
        double observed = 0;
        for (int j = 0; j < 3; j++) {
            z += Math.exp(decMean[row + 2 + j]);
            if (x[i * D + 2 + j] == 1f) {
                observed = Math.exp(decMean[row + 2 + j]);
            }
        }
        return -Math.log(observed / z);
    }

    private static double logPrior(final float[] z, final int off) {
        double s = 0;
        for (int k = 0; k < K; k++) {
            s += -0.5 * Math.log(2 * Math.PI) - 0.5 * z[off + k] * z[off + k];
        }
        return s;
    }

    private double logPosterior(final float[] z, final int off, final int i) {
        double s = 0;
        for (int k = 0; k < K; k++) {
            final double var = Math.exp(encLogvar[i * K + k]);
            final double d = z[off + k] - mu[i * K + k];
            s += -0.5 * Math.log(2 * Math.PI * var) - d * d / (2 * var);
        }
        return s;
    }

    private static float[] filled(final int n, final float v) {
        final float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    private static float[] randomFloats(final int n, final long seed) {
        final Random r = new Random(seed);
        final float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * 1.5);
        }
        return a;
    }
}
