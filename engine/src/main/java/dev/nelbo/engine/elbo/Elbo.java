package dev.nelbo.engine.elbo;

/**
 * The closed-form pieces of the negative ELBO, one formula per method, in double precision. Every
 * score nelbo computes goes through these (via {@link ElboEstimator}); tests check them against
 * direct textbook formulas.
 */
public final class Elbo {

    /** {@code log(2 pi)}. */
    public static final double LOG_2PI = Math.log(2 * Math.PI);

    private Elbo() {
    }

    /**
     * KL divergence of one latent dimension of {@code q = N(mu, exp(logvar))} from {@code N(0, 1)}.
     *
     * @param mu       posterior mean
     * @param logvar   posterior log-variance (already clamped)
     * @param variance {@code exp(logvar)}, passed in because the caller needs sigma anyway
     * @return {@code 0.5 * (mu^2 + variance - 1 - logvar)}, never negative
     */
    public static double klToStandardNormal(final double mu, final double logvar, final double variance) {
        return 0.5 * (mu * mu + variance - 1 - logvar);
    }

    /**
     * Negative log-density of a Gaussian observation.
     *
     * @param x               observed value
     * @param mean            decoder mean
     * @param logvar          decoder log-variance (already clamped)
     * @param inverseVariance {@code exp(-logvar)}, passed in because it is precomputed per feature
     *                        when the decoder's variance is a learned constant
     * @return {@code 0.5 * (log 2 pi + logvar + (x - mean)^2 / var)}
     */
    public static double gaussianNll(final double x, final double mean, final double logvar, final double inverseVariance) {
        final double d = x - mean;
        return 0.5 * (LOG_2PI + logvar + d * d * inverseVariance);
    }

    /**
     * Negative log-probability of a Bernoulli observation given the decoder's logit, written so that
     * no logit overflows: {@code softplus(logit) - x * logit}.
     *
     * @param x     observed value, 0 or 1 (values in between give the cross-entropy)
     * @param logit decoder logit
     * @return the negative log-probability
     */
    public static double bernoulliNll(final double x, final double logit) {
        return softplus(logit) - x * logit;
    }

    /**
     * @param v any value
     * @return {@code log(1 + exp(v))} without overflow
     */
    public static double softplus(final double v) {
        return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
    }

    /**
     * @param logit any value
     * @return {@code 1 / (1 + exp(-logit))}
     */
    public static double sigmoid(final double logit) {
        return 1 / (1 + Math.exp(-logit));
    }

    /**
     * Log-sum-exp of a block of logits, shifted by the maximum so nothing overflows.
     *
     * @param logits values
     * @param offset first index
     * @param width  number of values
     * @return {@code log sum_j exp(logits[offset + j])}
     */
    public static double logSumExp(final float[] logits, final int offset, final int width) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < width; j++) {
            max = Math.max(max, logits[offset + j]);
        }
        double sum = 0;
        for (int j = 0; j < width; j++) {
            sum += Math.exp(logits[offset + j] - max);
        }
        return max + Math.log(sum);
    }

    /**
     * Negative log-probability of a one-hot (or soft) categorical observation under the softmax of
     * the decoder's logits over the block: {@code sum_j x_j * (logsumexp(logits) - logits_j)}.
     *
     * @param x         encoded row
     * @param xOffset   first column of the block in {@code x}
     * @param logits    decoder output row
     * @param logitsOffset first column of the block in {@code logits}
     * @param width     block width
     * @return the negative log-probability
     */
    public static double categoricalNll(final float[] x, final int xOffset, final float[] logits, final int logitsOffset,
                                        final int width) {
        final double lse = logSumExp(logits, logitsOffset, width);
        double nll = 0;
        for (int j = 0; j < width; j++) {
            final float xj = x[xOffset + j];
            if (xj != 0) {
                nll += xj * (lse - logits[logitsOffset + j]);
            }
        }
        return nll;
    }

    /**
     * @param values log-weights
     * @param offset first index
     * @param count  number of values (at least 1)
     * @return {@code log((1 / count) * sum exp(values))}, stable for large magnitudes
     */
    public static double logMeanExp(final double[] values, final int offset, final int count) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            max = Math.max(max, values[offset + i]);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double sum = 0;
        for (int i = 0; i < count; i++) {
            sum += Math.exp(values[offset + i] - max);
        }
        return max + Math.log(sum / count);
    }

    /**
     * @param value a log-variance from a graph
     * @param min   lower clamp
     * @param max   upper clamp
     * @return value limited to {@code [min, max]}; NaN becomes {@code max}, so a broken output yields
     *         a large but finite score instead of NaN
     */
    public static double clamp(final double value, final double min, final double max) {
        if (value >= min) {
            return value <= max ? value : max;
        }
        return value < min ? min : max;
    }
}
