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

    private final FeatureLayout layout;
    /** Row width of the encoded records: the reconstructed columns, then any context columns. */
    private final int inputWidth;
    private final int latent;
    private final int samples;
    private final int capacity;
    private final long versionHash;
    private final LogvarRange encoderRange;
    private final LogvarRange decoderRange;
    private final float[] encoderLogvarConstant;
    private final double[] halfLogNormaliser;
    private final double[] halfInverseVariance;
    private final boolean decoderLogvarPerRow;
    private final PlanarFlow flow;
    /** One sample: z0 = mu + sigma * eps, then moved through the flow in place when there is one. */
    private final double[] oneSample;

    private final double[] logWeights;
    private final double[] sigma;
    private final double[] uniforms;
    private final double[] eps;
    private final double[] columnSums;
    private final double[] sampleNll;
    private final float[] recordMean;
    private final float[] recordLogvar;
    private final double[] gx;
    private final double[] gWeight;
    private final double[] gConstant;
    private final double[] gMean;
    private final double[] gTerm;
    private final double[] gSumMean;
    private final double[] gSumTerm;

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
        this(layout, layout.width(), latent, samples, capacity, versionHash, encoderRange, decoderRange,
                encoderLogvarConstant, decoderLogvarConstant);
    }

    /**
     * For a conditional model, whose encoded rows carry context columns after the reconstructed ones.
     *
     * @param layout                 the reconstructed features' layout (width Dx)
     * @param inputWidth             row width D of the encoded records ({@code x} and {@code mask}), at least Dx
     * @param latent                 latent width K
     * @param samples                samples per record L
     * @param capacity               most records per batch
     * @param versionHash            {@link CounterNormals#hash} of the model version
     * @param encoderRange           clamp for the encoder's log-variance
     * @param decoderRange           clamp for the decoder's log-variance
     * @param encoderLogvarConstant  the encoder's constant log-variance ({@code [K]}), or null
     * @param decoderLogvarConstant  the decoder's constant log-variance ({@code [Dx]}), or null
     */
    public ElboEstimator(final FeatureLayout layout, final int inputWidth, final int latent, final int samples,
                         final int capacity, final long versionHash, final LogvarRange encoderRange,
                         final LogvarRange decoderRange, final float[] encoderLogvarConstant,
                         final float[] decoderLogvarConstant) {
        this(layout, inputWidth, latent, samples, capacity, versionHash, encoderRange, decoderRange, encoderLogvarConstant,
                decoderLogvarConstant, null);
    }

    /**
     * With a planar flow on the posterior: every sample {@code z0 = mu + sigma * eps} goes through it, the decoder
     * reads {@code z_K}, and the KL term is the Monte Carlo estimate over the L samples of {@code log q0(z0|x) -
     * sum log|det| - log p(z_K)} (no closed form exists for the flowed posterior).
     *
     * @param layout                 the reconstructed features' layout (width Dx)
     * @param inputWidth             row width D of the encoded records
     * @param latent                 latent width K
     * @param samples                samples per record L
     * @param capacity               most records per batch
     * @param versionHash            {@link CounterNormals#hash} of the model version
     * @param encoderRange           clamp for the encoder's log-variance
     * @param decoderRange           clamp for the decoder's log-variance
     * @param encoderLogvarConstant  the encoder's constant log-variance ({@code [K]}), or null
     * @param decoderLogvarConstant  the decoder's constant log-variance ({@code [Dx]}), or null
     * @param flow                   the posterior's flow, or null (closed-form KL)
     */
    public ElboEstimator(final FeatureLayout layout, final int inputWidth, final int latent, final int samples,
                         final int capacity, final long versionHash, final LogvarRange encoderRange,
                         final LogvarRange decoderRange, final float[] encoderLogvarConstant,
                         final float[] decoderLogvarConstant, final PlanarFlow flow) {
        if (flow != null && flow.latent() != latent) {
            throw new IllegalArgumentException("the flow has latent width " + flow.latent() + ", the model " + latent);
        }
        this.flow = flow;
        this.oneSample = new double[latent];
        if (inputWidth < layout.width()) {
            throw new IllegalArgumentException("encoded rows of width " + inputWidth + " cannot hold the " + layout.width()
                    + " reconstructed columns");
        }
        this.inputWidth = inputWidth;
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
        this.halfLogNormaliser = new double[d];
        this.halfInverseVariance = new double[d];
        if (decoderLogvarConstant != null) {
            if (decoderLogvarConstant.length != d) {
                throw new IllegalArgumentException("constant decoder log-variance has " + decoderLogvarConstant.length
                        + " values, expected encoded width " + d);
            }
            for (int c = 0; c < d; c++) {
                final double lv = decoderRange.clamp(decoderLogvarConstant[c]);
                halfLogNormaliser[c] = 0.5 * (Elbo.LOG_2PI + lv);
                halfInverseVariance[c] = 0.5 * Math.exp(-lv);
            }
        }
        this.logWeights = new double[capacity * samples];
        this.sigma = new double[latent];
        this.uniforms = new double[samples * latent];
        this.eps = new double[samples * latent];
        this.columnSums = new double[d];
        this.sampleNll = new double[samples];
        this.recordMean = new float[samples * d];
        this.recordLogvar = new float[decoderLogvarPerRow ? samples * d : 0];
        final int gn = layout.gaussianColumns.length;
        this.gx = new double[gn];
        this.gWeight = new double[gn];
        this.gConstant = new double[gn];
        this.gMean = new double[gn];
        this.gTerm = new double[gn];
        this.gSumMean = new double[gn];
        this.gSumTerm = new double[gn];
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
     * @param z         receives the decoder input, row-major {@code [n * L, K]}
     * @param kl        receives KL(q(z|x) || N(0, I)) per record
     */
    public void sample(final int n, final long[] idHashes, final float[] mu, final float[] logvar, final float[] z,
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
                sigma[j] = Math.exp(0.5 * lv);
                logvarSum += lv;
                if (flow == null) {
                    klSum += Elbo.klToStandardNormal(mu[rowStart + j], lv, sigma[j] * sigma[j]);
                }
            }
            CounterNormals.normals(seed, 0, uniforms, eps, samples * k);
            double negLogWeights = 0;
            for (int l = 0; l < samples; l++) {
                final int zRow = (i * samples + l) * k;
                double epsSq = 0;
                for (int j = 0; j < k; j++) {
                    final double e = eps[l * k + j];
                    oneSample[j] = mu[rowStart + j] + sigma[j] * e;
                    epsSq += e * e;
                }
                final double logDet = flow == null ? 0 : flow.apply(oneSample);
                double zSq = 0;
                for (int j = 0; j < k; j++) {
                    final float zj = (float) oneSample[j];
                    z[zRow + j] = zj;
                    zSq += (double) zj * zj;
                }
                // log p(z) - log q(z|x); the log(2 pi) terms cancel. With a flow, log q(z_K|x) = log q0(z0|x) - logDet.
                final double logWeight = 0.5 * (epsSq + logvarSum - zSq) + logDet;
                logWeights[i * samples + l] = logWeight;
                negLogWeights -= logWeight;
            }
            // closed form for the Gaussian posterior; the Monte Carlo estimate over the samples for a flowed one
            kl[i] = flow == null ? klSum : negLogWeights / samples;
        }
    }

    /**
     * Scores {@code n} records from the decoder's output for the samples drawn by {@link #sample}.
     *
     * @param n             records in the batch (as passed to {@link #sample})
     * @param x             encoded records, row-major {@code [n, inputWidth]} (reconstructed columns first)
     * @param mask          observed-mask, row-major {@code [n, inputWidth]}; a feature counts when the mask
     *                      of its first column is non-zero
     * @param meanRows      decoder mean output, row-major {@code [n * L, D]} from index 0 (absolute
     *                      reads; position and limit are ignored, so a graph's pinned buffer works as is)
     * @param logvarRows    decoder log-variance {@code [n * L, D]} likewise, or ignored (may be null)
     *                      when the decoder's log-variance is constant
     * @param reconNll      receives the reconstruction NLL per record (mean over samples)
     * @param iwNll         receives {@code -logmeanexp_l[log p(x|z_l) + log p(z_l) - log q(z_l|x)]}
     * @param contributions receives per-feature NLL, row-major {@code [n, F]}; sums to {@code reconNll}
     * @param expected      receives the decoder's expected value per feature, row-major {@code [n, F]}:
     *                      mean for Gaussian, probability for Bernoulli, most probable category
     *                      index within the block for categorical (mean over samples in each case)
     */
    public void reconstruct(final int n, final float[] x, final float[] mask, final FloatBuffer meanRows,
                            final FloatBuffer logvarRows,
                            final double[] reconNll, final double[] iwNll, final double[] contributions,
                            final double[] expected) {
        checkBatch(n);
        final int d = layout.width();
        final int f = layout.featureCount();
        final int[] gCols = layout.gaussianColumns;
        final int[] gFeat = layout.gaussianFeatures;
        final int gRun = layout.gaussianRunStart;
        final int[] bCols = layout.bernoulliColumns;
        final int[] bFeat = layout.bernoulliFeatures;
        final int[] cFeat = layout.categoricalFeatures;
        final double invSamples = 1.0 / samples;
        final int recordValues = samples * d;
        final float[] mean = recordMean;
        final float[] logvar = recordLogvar;
        for (int i = 0; i < n; i++) {
            final int xRow = i * inputWidth;
            final int cRow = i * f;
            // One record's L decoder rows at a time: a small copy that stays in L1 while it is read.
            meanRows.get(i * recordValues, mean, 0, recordValues);
            if (decoderLogvarPerRow) {
                logvarRows.get(i * recordValues, logvar, 0, recordValues);
            }
            for (final int feature : bFeat) {
                contributions[cRow + feature] = 0;
            }
            for (final int feature : cFeat) {
                contributions[cRow + feature] = 0;
            }
            if (bCols.length + cFeat.length > 0) {
                Arrays.fill(columnSums, 0);
            }
            // Gaussian features are gathered into contiguous arrays so the per-sample work is plain
            // array arithmetic the JIT vectorises; with a constant decoder variance the term of column
            // g is constant_g + weight_g * (x_g - mean_g)^2, weight 0 when the feature is missing.
            final int gn = gCols.length;
            double gaussianBase = 0;
            for (int g = 0; g < gn; g++) {
                final int c = gCols[g];
                final boolean observed = mask[xRow + c] != 0;
                gx[g] = x[xRow + c];
                gWeight[g] = observed ? (decoderLogvarPerRow ? 1 : halfInverseVariance[c]) : 0;
                gConstant[g] = observed && !decoderLogvarPerRow ? halfLogNormaliser[c] : 0;
                gaussianBase += gConstant[g];
                gSumMean[g] = 0;
                gSumTerm[g] = 0;
            }
            for (int l = 0; l < samples; l++) {
                final int outRow = l * d;
                if (gRun >= 0) {
                    // Contiguous Gaussian columns: a plain copy the JIT vectorises, instead of a gather.
                    final int from = outRow + gRun;
                    for (int g = 0; g < gn; g++) {
                        gMean[g] = mean[from + g];
                    }
                } else {
                    for (int g = 0; g < gn; g++) {
                        gMean[g] = mean[outRow + gCols[g]];
                    }
                }
                if (decoderLogvarPerRow) {
                    for (int g = 0; g < gn; g++) {
                        final double lv = decoderRange.clamp(logvar[outRow + gCols[g]]);
                        gTerm[g] = gWeight[g] == 0 ? 0 : Elbo.gaussianNll(gx[g], gMean[g], lv, Math.exp(-lv));
                    }
                } else {
                    for (int g = 0; g < gn; g++) {
                        final double diff = gx[g] - gMean[g];
                        gTerm[g] = gWeight[g] * diff * diff;
                    }
                }
                accumulate(gMean, gSumMean, gn);
                accumulate(gTerm, gSumTerm, gn);
                sampleNll[l] = gaussianBase + sum(gTerm, gn);
            }
            for (int g = 0; g < gn; g++) {
                contributions[cRow + gFeat[g]] = gConstant[g] + gSumTerm[g] * invSamples;
                expected[cRow + gFeat[g]] = gSumMean[g] * invSamples;
            }
            for (int l = 0; l < samples; l++) {
                final int outRow = l * d;
                double nll = sampleNll[l];
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
            for (final int feature : bFeat) {
                contributions[cRow + feature] *= invSamples;
            }
            for (final int feature : cFeat) {
                contributions[cRow + feature] *= invSamples;
            }
            double recon = 0;
            for (int j = 0; j < f; j++) {
                recon += contributions[cRow + j];
            }
            reconNll[i] = recon;
            iwNll[i] = -Elbo.logMeanExp(logWeights, i * samples, samples);
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

    private static void accumulate(final double[] values, final double[] sums, final int n) {
        for (int i = 0; i < n; i++) {
            sums[i] += values[i];
        }
    }

    /** Sum with four accumulators (a fixed order, so still deterministic) to shorten the add chain. */
    private static double sum(final double[] v, final int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += v[i];
            s1 += v[i + 1];
            s2 += v[i + 2];
            s3 += v[i + 3];
        }
        for (; i < n; i++) {
            s0 += v[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    private void checkBatch(final int n) {
        if (n < 0 || n > capacity) {
            throw new IllegalArgumentException("batch of " + n + " records exceeds capacity " + capacity);
        }
    }
}
