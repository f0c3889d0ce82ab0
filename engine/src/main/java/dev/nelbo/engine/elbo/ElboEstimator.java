package dev.nelbo.engine.elbo;

import dev.nelbo.engine.random.CounterNormals;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * The negative ELBO of a batch, estimated with L reparameterised samples per record: everything
 * between the encoder's output and the score except running the graphs. The scoring engine feeds it
 * graph outputs; tests feed it plain arrays.
 *
 * <p>Use per batch of {@code n} records: {@link #sample} (encoder output to decoder input rows
 * {@code z[i * L + l]}, closed-form KL), run the decoder, then {@link #reconstruct} (decoder output
 * to reconstruction NLL, contributions, importance-weighted NLL and expected values). All scratch
 * space is allocated once; an instance is not thread-safe.
 */
public final class ElboEstimator {

    private static final float[] NO_VALUES = new float[0];

    private final FeatureLayout layout;
    private final int latent;
    private final int samples;
    private final int capacity;
    private final long versionHash;
    private final LogvarRange encoderRange;
    private final LogvarRange decoderRange;
    private final float[] encoderLogvarConstant;
    private final double[] decoderLogvar;
    private final double[] decoderInverseVariance;
    private final boolean decoderLogvarPerRow;

    private final double[] logWeights;
    private final double[] sigma;
    private final double[] clampedLogvar;
    private final double[] columnSums;

    /**
     * @param layout                 feature layout (width D)
     * @param latent                 latent width K
     * @param samples                samples per record L
     * @param capacity               most records per batch
     * @param versionHash            {@link CounterNormals#hash} of the model version (part of every seed)
     * @param encoderRange           clamp for the encoder's log-variance
     * @param decoderRange           clamp for the decoder's log-variance
     * @param encoderLogvarConstant  the encoder's log-variance when it does not depend on the input
     *                               ({@code [K]}), or null when it is a per-row output
     * @param decoderLogvarConstant  the decoder's log-variance when it is a learned constant
     *                               ({@code [D]}), or null when it is a per-row output
     * @throws IllegalArgumentException for non-positive sizes or constants of the wrong width
     */
    public ElboEstimator(final FeatureLayout layout, final int latent, final int samples, final int capacity,
                         final long versionHash, final LogvarRange encoderRange, final LogvarRange decoderRange,
                         final float[] encoderLogvarConstant, final float[] decoderLogvarConstant) {
        if (latent <= 0 || samples <= 0 || capacity <= 0) {
            throw new IllegalArgumentException("latent, samples and capacity must be positive, got "
                    + latent + ", " + samples + ", " + capacity);
        }
        this.layout = layout;
        this.latent = latent;
        this.samples = samples;
        this.capacity = capacity;
        this.versionHash = versionHash;
        this.encoderRange = encoderRange;
        this.decoderRange = decoderRange;
        if (encoderLogvarConstant != null && encoderLogvarConstant.length != latent) {
            throw new IllegalArgumentException("constant encoder log-variance has " + encoderLogvarConstant.length
                    + " values, expected latent width " + latent);
        }
        this.encoderLogvarConstant = encoderLogvarConstant == null ? null : encoderLogvarConstant.clone();
        final int d = layout.width();
        this.decoderLogvarPerRow = decoderLogvarConstant == null;
        this.decoderLogvar = new double[d];
        this.decoderInverseVariance = new double[d];
        if (decoderLogvarConstant != null) {
            if (decoderLogvarConstant.length != d) {
                throw new IllegalArgumentException("constant decoder log-variance has " + decoderLogvarConstant.length
                        + " values, expected encoded width " + d);
            }
            for (int c = 0; c < d; c++) {
                decoderLogvar[c] = decoderRange.clamp(decoderLogvarConstant[c]);
                decoderInverseVariance[c] = StrictMath.exp(-decoderLogvar[c]);
            }
        }
        this.logWeights = new double[capacity * samples];
        this.sigma = new double[latent];
        this.clampedLogvar = new double[latent];
        this.columnSums = new double[d];
    }

    /** @return samples per record L */
    public int samples() {
        return samples;
    }

    /** @return the feature layout */
    public FeatureLayout layout() {
        return layout;
    }

    /**
     * Draws the samples of {@code n} records: writes {@code z} for record {@code i}, sample {@code l}
     * at row {@code i * L + l} of {@code z} (absolute indices, row-major {@code [n * L, K]}), computes
     * each record's closed-form KL, and remembers {@code log p(z) - log q(z|x)} per sample for
     * {@link #reconstruct}.
     *
     * @param n         records in the batch
     * @param idHashes  {@link CounterNormals#hash} of each record's id
     * @param mu        encoder means, row-major {@code [n, K]}
     * @param logvar    encoder log-variances {@code [n, K]} (ignored when the encoder's log-variance is constant)
     * @param z         decoder input buffer, at least {@code n * L * K} floats
     * @param kl        receives KL(q(z|x) || N(0, I)) per record
     */
    public void sample(final int n, final long[] idHashes, final float[] mu, final float[] logvar, final FloatBuffer z,
                       final double[] kl) {
        checkBatch(n);
        final int k = latent;
        for (int i = 0; i < n; i++) {
            final long seed = CounterNormals.seed(idHashes[i], versionHash);
            final int rowStart = i * k;
            double klSum = 0;
            double logvarSum = 0;
            for (int j = 0; j < k; j++) {
                final double lv = encoderRange.clamp(encoderLogvarConstant != null ? encoderLogvarConstant[j] : logvar[rowStart + j]);
                clampedLogvar[j] = lv;
                sigma[j] = StrictMath.exp(0.5 * lv);
                logvarSum += lv;
                klSum += Elbo.klToStandardNormal(mu[rowStart + j], lv);
            }
            kl[i] = klSum;
            for (int l = 0; l < samples; l++) {
                final int zRow = (i * samples + l) * k;
                double epsSq = 0;
                double zSq = 0;
                for (int j = 0; j < k; j++) {
                    final double eps = CounterNormals.normal(seed, (long) l * k + j);
                    final float zj = (float) (mu[rowStart + j] + sigma[j] * eps);
                    z.put(zRow + j, zj);
                    epsSq += eps * eps;
                    zSq += (double) zj * zj;
                }
                // log p(z) - log q(z|x); the log(2 pi) terms cancel.
                logWeights[i * samples + l] = 0.5 * (epsSq + logvarSum - zSq);
            }
        }
    }

    /**
     * Scores {@code n} records from the decoder's output for the samples drawn by {@link #sample}.
     *
     * @param n             records in the batch (as passed to {@link #sample})
     * @param x             encoded records, row-major {@code [n, D]}
     * @param mask          observed-mask, row-major {@code [n, D]}; a feature counts when the mask
     *                      of its first column is non-zero
     * @param mean          decoder mean output, row-major {@code [n * L, D]}
     * @param logvar        decoder log-variance {@code [n * L, D]}, or ignored when constant
     * @param reconNll      receives the reconstruction NLL per record (mean over samples)
     * @param iwNll         receives {@code -logmeanexp_l[log p(x|z_l) + log p(z_l) - log q(z_l|x)]}
     * @param contributions receives per-feature NLL, row-major {@code [n, F]}; sums to {@code reconNll}
     * @param expected      receives the decoder's expected value per feature, row-major {@code [n, F]}:
     *                      mean for Gaussian, probability for Bernoulli, most probable category
     *                      index within the block for categorical (mean over samples in each case)
     */
    public void reconstruct(final int n, final float[] x, final float[] mask, final float[] mean, final float[] logvar,
                            final double[] reconNll, final double[] iwNll, final double[] contributions,
                            final double[] expected) {
        checkBatch(n);
        final int d = layout.width();
        final int f = layout.featureCount();
        final int[] gCols = layout.gaussianColumns;
        final int[] gFeat = layout.gaussianFeatures;
        final int[] bCols = layout.bernoulliColumns;
        final int[] bFeat = layout.bernoulliFeatures;
        final int[] cFeat = layout.categoricalFeatures;
        final float[] perRowLogvar = decoderLogvarPerRow ? logvar : NO_VALUES;
        final double invSamples = 1.0 / samples;
        for (int i = 0; i < n; i++) {
            final int xRow = i * d;
            final int cRow = i * f;
            Arrays.fill(contributions, cRow, cRow + f, 0);
            Arrays.fill(columnSums, 0);
            for (int l = 0; l < samples; l++) {
                final int outRow = (i * samples + l) * d;
                double nll = 0;
                for (int g = 0; g < gCols.length; g++) {
                    final int c = gCols[g];
                    final double m = mean[outRow + c];
                    columnSums[c] += m;
                    if (mask[xRow + c] != 0) {
                        final double lv;
                        final double iv;
                        if (decoderLogvarPerRow) {
                            lv = decoderRange.clamp(perRowLogvar[outRow + c]);
                            iv = Math.exp(-lv);
                        } else {
                            lv = decoderLogvar[c];
                            iv = decoderInverseVariance[c];
                        }
                        final double term = Elbo.gaussianNll(x[xRow + c], m, lv, iv);
                        contributions[cRow + gFeat[g]] += term;
                        nll += term;
                    }
                }
                for (int b = 0; b < bCols.length; b++) {
                    final int c = bCols[b];
                    final double logit = mean[outRow + c];
                    columnSums[c] += Elbo.sigmoid(logit);
                    if (mask[xRow + c] != 0) {
                        final double term = Elbo.bernoulliNll(x[xRow + c], logit);
                        contributions[cRow + bFeat[b]] += term;
                        nll += term;
                    }
                }
                for (final int feature : cFeat) {
                    final int off = layout.block(feature).offset();
                    final int w = layout.block(feature).width();
                    final double lse = Elbo.logSumExp(mean, outRow + off, w);
                    for (int j = 0; j < w; j++) {
                        columnSums[off + j] += Math.exp(mean[outRow + off + j] - lse);
                    }
                    if (mask[xRow + off] != 0) {
                        final double term = Elbo.categoricalNll(x, xRow + off, mean, outRow + off, w);
                        contributions[cRow + feature] += term;
                        nll += term;
                    }
                }
                logWeights[i * samples + l] -= nll;
            }
            double recon = 0;
            for (int j = 0; j < f; j++) {
                contributions[cRow + j] *= invSamples;
                recon += contributions[cRow + j];
            }
            reconNll[i] = recon;
            iwNll[i] = -Elbo.logMeanExp(logWeights, i * samples, samples);
            for (int g = 0; g < gCols.length; g++) {
                expected[cRow + gFeat[g]] = columnSums[gCols[g]] * invSamples;
            }
            for (int b = 0; b < bCols.length; b++) {
                expected[cRow + bFeat[b]] = columnSums[bCols[b]] * invSamples;
            }
            for (final int feature : cFeat) {
                final int off = layout.block(feature).offset();
                int best = 0;
                for (int j = 1; j < layout.block(feature).width(); j++) {
                    if (columnSums[off + j] > columnSums[off + best]) {
                        best = j;
                    }
                }
                expected[cRow + feature] = best;
            }
        }
    }

    private void checkBatch(final int n) {
        if (n < 0 || n > capacity) {
            throw new IllegalArgumentException("batch of " + n + " records exceeds capacity " + capacity);
        }
    }
}
