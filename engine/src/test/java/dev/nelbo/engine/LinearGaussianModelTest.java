package dev.nelbo.engine;

import dev.nelbo.engine.testing.EngineFixtures;
import dev.nelbo.schemas.bundle.Activation;
import dev.nelbo.schemas.bundle.DenseLayer;
import dev.nelbo.schemas.bundle.MlpHead;
import dev.nelbo.schemas.bundle.MlpWeights;
import dev.nelbo.schemas.bundle.ModelBundle;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A linear-Gaussian model {@code x = W z + b + s * noise}, {@code z ~ N(0, I)}, whose marginal
 * {@code p(x) = N(b, W W^T + s^2 I)} and ELBO are known in closed form. W has orthogonal columns, so
 * the exact posterior is diagonal and an encoder can represent it exactly.
 */
class LinearGaussianModelTest {

    private static final int D = 6;
    private static final int K = 2;
    private static final int N = 32;
    private static final double S2 = 0.25;
    private static final double[] SCALES = {2.0, 1.2};

    @TempDir
    static Path dir;
    private static double[][] w;          // [D][K]
    private static double[] b;
    private static float[][] records;
    private static double[] exactNll;
    private static ModelBundle exactPosterior;
    private static ModelBundle approximatePosterior;
    private static double[][] exactA;     // encoders: mu = A x + c, constant logvar
    private static double[] exactC;
    private static double[] exactLogvar;
    private static double[][] approxA;
    private static double[] approxC;
    private static double[] approxLogvar;

    @BeforeAll
    static void buildModels() {
        final Random rnd = new Random(2026);
        // Every parameter is rounded to float, so the closed forms below describe exactly the model
        // in the float32 graphs.
        w = orthogonalColumns(rnd);
        b = new double[D];
        for (int d = 0; d < D; d++) {
            b[d] = (float) rnd.nextGaussian();
            for (int k = 0; k < K; k++) {
                w[d][k] = (float) w[d][k];
            }
        }
        // Exact posterior: Sigma = (I + W^T W / s^2)^-1 (diagonal), mu = Sigma W^T (x - b) / s^2.
        final double[] postVar = new double[K];
        final double[][] a = new double[K][D];
        for (int k = 0; k < K; k++) {
            double norm = 0;
            for (int d = 0; d < D; d++) {
                norm += w[d][k] * w[d][k];
            }
            postVar[k] = 1 / (1 + norm / S2);
            for (int d = 0; d < D; d++) {
                a[k][d] = (float) (postVar[k] * w[d][k] / S2);
            }
        }
        final double[] c = affineOffset(a);
        final double[] logPostVar = new double[K];
        for (int k = 0; k < K; k++) {
            logPostVar[k] = (float) Math.log(postVar[k]);
        }
        exactA = a;
        exactC = c;
        exactLogvar = logPostVar;
        exactPosterior = writeModel("exact", a, c, logPostVar);
        // A deliberately imperfect encoder: shrunk means, inflated variances.
        approxA = new double[K][D];
        approxLogvar = new double[K];
        for (int k = 0; k < K; k++) {
            for (int d = 0; d < D; d++) {
                approxA[k][d] = (float) (0.7 * a[k][d]);
            }
            approxLogvar[k] = (float) (logPostVar[k] + 0.8);
        }
        approxC = affineOffset(approxA);
        approximatePosterior = writeModel("approx", approxA, approxC, approxLogvar);

        records = new float[N][D];
        exactNll = new double[N];
        for (int i = 0; i < N; i++) {
            final double[] z = {rnd.nextGaussian(), rnd.nextGaussian()};
            for (int d = 0; d < D; d++) {
                double v = b[d] + Math.sqrt(S2) * rnd.nextGaussian();
                for (int k = 0; k < K; k++) {
                    v += w[d][k] * z[k];
                }
                // A few records far off the model, where the bounds are loosest.
                records[i][d] = (float) (i % 8 == 7 ? v + 3 : v);
            }
            exactNll[i] = exactNegativeLogMarginal(records[i]);
        }
    }

    @Test
    void with_the_exact_posterior_every_importance_weight_is_p_x_and_the_elbo_is_tight() {
        final int samples = 1024;
        final Scores s = score(exactPosterior, samples);
        for (int i = 0; i < N; i++) {
            final double[] bound = closedFormNelbo(records[i], exactA, exactC, exactLogvar);
            assertEquals(exactNll[i], bound[0], 1e-9 * exactNll[i], "closed-form ELBO is tight, record " + i);
            // Each weight p(x|z) p(z) / q(z|x) equals p(x): float32 graph arithmetic is the only error.
            assertEquals(exactNll[i], s.iw[i], 1e-6 * exactNll[i], "iw, record " + i);
            // The negative ELBO equals -log p(x) up to the Monte Carlo error of its L-sample estimate.
            assertEquals(exactNll[i], s.nelbo[i], 5 * bound[1] / Math.sqrt(samples) + 1e-3, "nelbo, record " + i);
        }
        final Scores few = score(exactPosterior, 1);
        for (int i = 0; i < N; i++) {
            assertEquals(exactNll[i], few.iw[i], 1e-6 * exactNll[i], "iw with one sample, record " + i);
        }
    }

    @Test
    void the_negative_elbo_is_never_below_the_exact_negative_log_likelihood() {
        final int samples = 1024;
        final Scores s = score(approximatePosterior, samples);
        for (int i = 0; i < N; i++) {
            final double[] bound = closedFormNelbo(records[i], approxA, approxC, approxLogvar);
            final double tolerance = 5 * bound[1] / Math.sqrt(samples) + 1e-3;
            assertTrue(bound[0] > exactNll[i] + 0.01, "closed-form bound is strict for an inexact encoder, record " + i);
            assertEquals(bound[0], s.nelbo[i], tolerance, "the engine's estimate matches the closed-form negative ELBO, record " + i);
            assertTrue(s.nelbo[i] >= exactNll[i] - tolerance, "record " + i + ": nelbo " + s.nelbo[i] + " < exact " + exactNll[i]);
        }
    }

    @Test
    void the_importance_weighted_estimate_approaches_the_exact_value_as_samples_grow() {
        double previous = Double.POSITIVE_INFINITY;
        double first = 0;
        for (int samples : new int[] {1, 16, 256, 2048}) {
            final Scores s = score(approximatePosterior, samples);
            double err = 0;
            for (int i = 0; i < N; i++) {
                err += Math.abs(s.iw[i] - exactNll[i]) / N;
            }
            if (samples == 1) {
                first = err;
            }
            assertTrue(err < previous, "mean |iw - exact| with L=" + samples + " is " + err + ", was " + previous);
            previous = err;
        }
        assertTrue(previous < 0.1 * first, "L=2048 error " + previous + " vs L=1 error " + first);
    }

    private record Scores(double[] nelbo, double[] iw) {
    }

    private static Scores score(final ModelBundle bundle, final int samples) {
        try (ScoringEngine engine = ScoringEngine.open(bundle, EngineOptions.defaults().withSamples(samples).withMaxBatch(N))) {
            final ScoringBatch batch = engine.newBatch();
            final ScoringResults results = engine.newResults();
            final float[] mask = new float[D];
            java.util.Arrays.fill(mask, 1f);
            for (int i = 0; i < N; i++) {
                batch.add("rec-" + i, records[i], mask);
            }
            engine.score(batch, results);
            final double[] nelbo = new double[N];
            final double[] iw = new double[N];
            for (int i = 0; i < N; i++) {
                nelbo[i] = results.nelbo(i);
                iw[i] = results.iwNll(i);
            }
            return new Scores(nelbo, iw);
        }
    }

    /**
     * Negative ELBO of an encoder {@code mu = A x + c}, constant log-variance, in closed form:
     * KL + E_q[-log p(x|z)]; and the standard deviation of one sample of -log p(x|z) under q, from
     * {@code Var(||r - u||^2) = 4 r^T C r + 2 tr(C^2)} with {@code u ~ N(0, C)}, {@code C = W Sigma W^T}.
     *
     * @return {negative ELBO, per-sample standard deviation of the reconstruction term}
     */
    private static double[] closedFormNelbo(final float[] x, final double[][] a, final double[] c, final double[] logvar) {
        final double[] mu = new double[K];
        double kl = 0;
        for (int k = 0; k < K; k++) {
            mu[k] = c[k];
            for (int d = 0; d < D; d++) {
                mu[k] += a[k][d] * x[d];
            }
            final double var = Math.exp(logvar[k]);
            kl += 0.5 * (mu[k] * mu[k] + var - 1 - logvar[k]);
        }
        final double[] r = new double[D];
        final double[][] cov = new double[D][D];
        double expectedSq = 0;
        for (int d = 0; d < D; d++) {
            r[d] = x[d] - b[d];
            for (int k = 0; k < K; k++) {
                r[d] -= w[d][k] * mu[k];
            }
            for (int e = 0; e < D; e++) {
                for (int k = 0; k < K; k++) {
                    cov[d][e] += w[d][k] * w[e][k] * Math.exp(logvar[k]);
                }
            }
            expectedSq += r[d] * r[d] + cov[d][d];
        }
        double rCr = 0;
        double trC2 = 0;
        for (int d = 0; d < D; d++) {
            for (int e = 0; e < D; e++) {
                rCr += r[d] * cov[d][e] * r[e];
                trC2 += cov[d][e] * cov[e][d];
            }
        }
        final double sd = Math.sqrt(4 * rCr + 2 * trC2) / (2 * S2);
        return new double[] {kl + 0.5 * D * Math.log(2 * Math.PI * S2) + expectedSq / (2 * S2), sd};
    }

    /** -log N(x; b, W W^T + s^2 I) by Cholesky. */
    private static double exactNegativeLogMarginal(final float[] x) {
        final double[][] cov = new double[D][D];
        for (int i = 0; i < D; i++) {
            for (int j = 0; j < D; j++) {
                double v = i == j ? S2 : 0;
                for (int k = 0; k < K; k++) {
                    v += w[i][k] * w[j][k];
                }
                cov[i][j] = v;
            }
        }
        final double[][] l = new double[D][D];
        for (int i = 0; i < D; i++) {
            for (int j = 0; j <= i; j++) {
                double sum = cov[i][j];
                for (int k = 0; k < j; k++) {
                    sum -= l[i][k] * l[j][k];
                }
                l[i][j] = i == j ? Math.sqrt(sum) : sum / l[j][j];
            }
        }
        final double[] y = new double[D];
        double logDet = 0;
        double quad = 0;
        for (int i = 0; i < D; i++) {
            double sum = x[i] - b[i];
            for (int k = 0; k < i; k++) {
                sum -= l[i][k] * y[k];
            }
            y[i] = sum / l[i][i];
            quad += y[i] * y[i];
            logDet += 2 * Math.log(l[i][i]);
        }
        return 0.5 * (D * Math.log(2 * Math.PI) + logDet + quad);
    }

    private static ModelBundle writeModel(final String name, final double[][] a, final double[] c, final double[] logvar) {
        final float[] encW = new float[K * D];
        for (int k = 0; k < K; k++) {
            for (int d = 0; d < D; d++) {
                encW[k * D + d] = (float) a[k][d];
            }
        }
        final MlpWeights encoder = new MlpWeights("x", D, List.of(), Activation.TANH, List.of(
                MlpHead.dense("mu", new DenseLayer(D, K, encW, toFloats(c))),
                MlpHead.constant("logvar", toFloats(logvar))));
        final float[] decW = new float[D * K];
        for (int d = 0; d < D; d++) {
            for (int k = 0; k < K; k++) {
                decW[d * K + k] = (float) w[d][k];
            }
        }
        final float[] decLogvar = new float[D];
        java.util.Arrays.fill(decLogvar, (float) Math.log(S2));
        final MlpWeights decoder = new MlpWeights("z", K, List.of(), Activation.TANH, List.of(
                MlpHead.dense("mean", new DenseLayer(K, D, decW, toFloats(b))),
                MlpHead.constant("logvar", decLogvar)));
        return EngineFixtures.writeBundle(dir.resolve(name), EngineFixtures.continuousEncoder(D), K,
                new MlpWeights[] {encoder, decoder}, 100.0);
    }

    /** c = -A b, so that mu = A (x - b). */
    private static double[] affineOffset(final double[][] a) {
        final double[] c = new double[K];
        for (int k = 0; k < K; k++) {
            for (int d = 0; d < D; d++) {
                c[k] -= a[k][d] * b[d];
            }
            c[k] = (float) c[k];
        }
        return c;
    }

    /** W = Q diag(SCALES) with Q's columns orthonormal (Gram-Schmidt on random vectors). */
    private static double[][] orthogonalColumns(final Random rnd) {
        final double[][] q = new double[D][K];
        for (int k = 0; k < K; k++) {
            final double[] v = new double[D];
            for (int d = 0; d < D; d++) {
                v[d] = rnd.nextGaussian();
            }
            for (int j = 0; j < k; j++) {
                double dot = 0;
                for (int d = 0; d < D; d++) {
                    dot += v[d] * q[d][j];
                }
                for (int d = 0; d < D; d++) {
                    v[d] -= dot / (SCALES[j] * SCALES[j]) * q[d][j];
                }
            }
            double norm = 0;
            for (double e : v) {
                norm += e * e;
            }
            norm = Math.sqrt(norm);
            for (int d = 0; d < D; d++) {
                q[d][k] = v[d] / norm * SCALES[k];
            }
        }
        return q;
    }

    private static float[] toFloats(final double[] v) {
        final float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
