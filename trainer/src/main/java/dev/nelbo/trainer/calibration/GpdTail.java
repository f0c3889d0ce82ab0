package dev.nelbo.trainer.calibration;

/**
 * A generalised Pareto tail fitted to the exceedances of the top scores over a threshold
 * (peaks over threshold): {@code P(S > t) = rate * (1 + shape * (t - location) / scale)^(-1/shape)}
 * for {@code t > location}. Fitted with probability-weighted moments (Hosking and Wallis 1987),
 * which are closed-form and stable for the few hundred exceedances a calibration set has.
 *
 * @param location    the threshold the exceedances are measured from
 * @param scale       GPD scale sigma (&gt; 0)
 * @param shape       GPD shape xi (clamped to [{@value #MIN_SHAPE}, {@value #MAX_SHAPE}])
 * @param rate        share of calibration scores above {@code location}
 * @param exceedances number of scores used for the fit
 */
public record GpdTail(double location, double scale, double shape, double rate, int exceedances) {

    /**
     * Lower clamp of the shape. A bounded tail (shape &lt; 0) fitted to a few dozen exceedances puts
     * its end point just past the sample maximum, and unseen normal rows then cross the threshold far
     * more often than targeted (seen on thyroid: 3.9% instead of 0.1%); so the fit never assumes a
     * tail lighter than exponential.
     */
    static final double MIN_SHAPE = 0.0;
    /** Upper clamp of the shape: the PWM estimator needs xi &lt; 1 and heavier tails than this are implausible for a trained model. */
    static final double MAX_SHAPE = 0.5;

    /**
     * Fits a tail to the exceedances over {@code location}.
     *
     * @param sortedScores all calibration scores, ascending
     * @param tailCount    number of top scores to fit (they must lie above {@code location})
     * @return the fitted tail
     * @throws IllegalArgumentException when fewer than 10 exceedances are given or they are all equal
     */
    public static GpdTail fit(final double[] sortedScores, final int tailCount) {
        final int n = sortedScores.length;
        if (tailCount < 10 || tailCount >= n) {
            throw new IllegalArgumentException("a tail fit needs at least 10 exceedances and a score below them, got "
                    + tailCount + " of " + n);
        }
        final double location = sortedScores[n - tailCount - 1];
        double a0 = 0;
        double a1 = 0;
        for (int i = 0; i < tailCount; i++) {
            final double y = sortedScores[n - tailCount + i] - location;
            final double plotting = (i + 1 - 0.35) / tailCount;
            a0 += y;
            a1 += (1 - plotting) * y;
        }
        a0 /= tailCount;
        a1 /= tailCount;
        if (!(a0 > 0) || !(a0 - 2 * a1 > 0)) {
            throw new IllegalArgumentException("the top " + tailCount + " calibration scores do not spread out: no tail to fit");
        }
        final double shape = Math.max(MIN_SHAPE, Math.min(MAX_SHAPE, 2 - a0 / (a0 - 2 * a1)));
        // Re-derive the scale from the mean exceedance under the clamped shape: E[Y] = scale / (1 - shape).
        final double scale = a0 * (1 - shape);
        return new GpdTail(location, scale, shape, (double) tailCount / n, tailCount);
    }

    /**
     * @param exceedanceProbability target P(S &gt; t), smaller than {@link #rate}
     * @return the score t whose tail probability is {@code exceedanceProbability}
     */
    public double quantileAbove(final double exceedanceProbability) {
        final double ratio = rate / exceedanceProbability;
        if (Math.abs(shape) < 1e-9) {
            return location + scale * Math.log(ratio);
        }
        return location + scale / shape * (Math.pow(ratio, shape) - 1);
    }

    /**
     * @param score a score above {@link #location}
     * @return the tail's P(S &gt; score)
     */
    public double exceedanceProbability(final double score) {
        final double y = Math.max(0, score - location);
        if (Math.abs(shape) < 1e-9) {
            return rate * Math.exp(-y / scale);
        }
        final double base = 1 + shape * y / scale;
        return base <= 0 ? 0 : rate * Math.pow(base, -1 / shape);
    }
}
