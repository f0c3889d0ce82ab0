package dev.nelbo.engine.calibration;

/**
 * {@code P(score > s)} under a model's calibration: linear interpolation of the empirical quantile
 * table in the body, and a generalised-Pareto tail above the tail threshold {@code u}, so that scores
 * beyond anything seen in training still get a graded, non-zero probability.
 *
 * <p>Tail: {@code P(S > s) = zeta * (1 + xi * (s - u) / beta)^(-1 / xi)} for {@code s >= u}
 * ({@code zeta * exp(-(s - u) / beta)} when {@code xi = 0}; 0 beyond the upper end point
 * {@code u - beta / xi} when {@code xi < 0}). Body: {@code 1 - F(s)} with {@code F} interpolated
 * between the table's (value, level) points, and {@code 1 - level[0]} below the first point (the
 * table cannot resolve further). A calibration without a fitted tail ({@link #empirical}) continues
 * the table's last two points with an exponential tail instead. Immutable and thread-safe.
 */
public final class TailProbability {

    private final double[] levels;
    private final double[] values;
    private final double u;
    private final double xi;
    private final double beta;
    private final double exceedance;

    /**
     * @param levels     quantile levels in (0, 1), strictly increasing
     * @param values     the score at each level, non-decreasing
     * @param u          tail threshold (scores from here on use the GPD)
     * @param xi         GPD shape
     * @param beta       GPD scale, positive
     * @param exceedance fraction of training scores above {@code u}, in (0, 1)
     * @throws IllegalArgumentException when the table or the tail parameters are inconsistent
     */
    public TailProbability(final double[] levels, final double[] values, final double u, final double xi,
                           final double beta, final double exceedance) {
        if (levels.length == 0 || levels.length != values.length) {
            throw new IllegalArgumentException("calibration needs as many quantile values as levels (at least one), got "
                    + levels.length + " levels and " + values.length + " values");
        }
        for (int i = 0; i < levels.length; i++) {
            if (!(levels[i] > 0 && levels[i] < 1) || !Double.isFinite(values[i])) {
                throw new IllegalArgumentException("calibration quantile " + i + " is invalid: level " + levels[i]
                        + ", value " + values[i]);
            }
            if (i > 0 && (levels[i] <= levels[i - 1] || values[i] < values[i - 1])) {
                throw new IllegalArgumentException("calibration quantiles must increase: level " + levels[i - 1]
                        + " -> " + levels[i] + ", value " + values[i - 1] + " -> " + values[i]);
            }
        }
        if (!Double.isFinite(u) || !Double.isFinite(xi) || !(beta > 0) || !Double.isFinite(beta)
                || !(exceedance > 0 && exceedance < 1)) {
            throw new IllegalArgumentException("invalid generalised-Pareto tail: u=" + u + " xi=" + xi + " beta=" + beta
                    + " exceedance=" + exceedance);
        }
        this.levels = levels.clone();
        this.values = values.clone();
        this.u = u;
        this.xi = xi;
        this.beta = beta;
        this.exceedance = exceedance;
    }

    /**
     * A calibration without a fitted tail: above the table's last point, the exponential through its
     * last two points ({@code P} falls by the same factor per score unit as between them).
     *
     * @param levels quantile levels in (0, 1), strictly increasing, at least two
     * @param values the score at each level, non-decreasing
     * @return the tail probability
     * @throws IllegalArgumentException when the table is inconsistent or has fewer than two points
     */
    public static TailProbability empirical(final double[] levels, final double[] values) {
        final int n = levels.length;
        if (n < 2 || values.length != n) {
            throw new IllegalArgumentException("a calibration without a fitted tail needs at least two quantiles, got "
                    + n + " levels and " + values.length + " values");
        }
        final double p1 = 1 - levels[n - 2];
        final double p2 = 1 - levels[n - 1];
        final double gap = values[n - 1] - values[n - 2];
        final double decay = Math.log(p1 / p2);
        // Degenerate table (equal values): a tiny scale makes anything above the last value very unlikely.
        final double beta = gap > 0 && decay > 0 ? gap / decay : 1e-9;
        return new TailProbability(levels, values, values[n - 1], 0, beta, p2);
    }

    /**
     * @param score a negative ELBO
     * @return {@code P(S > score)} for a score S of a training record, in [0, 1]; NaN for a NaN score
     */
    public double of(final double score) {
        if (score >= u) {
            final double excess = (score - u) / beta;
            if (xi == 0) {
                return exceedance * Math.exp(-excess);
            }
            final double base = 1 + xi * excess;
            return base <= 0 ? 0 : exceedance * Math.pow(base, -1 / xi);
        }
        if (score <= values[0]) {
            return 1 - levels[0];
        }
        final int last = values.length - 1;
        if (score >= values[last]) {
            // Between the table's last value and u: interpolate towards the tail's start.
            return interpolate(score, values[last], 1 - levels[last], u, exceedance);
        }
        int lo = 0;
        int hi = last;
        while (hi - lo > 1) {
            final int mid = (lo + hi) >>> 1;
            if (values[mid] <= score) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return interpolate(score, values[lo], 1 - levels[lo], values[hi], 1 - levels[hi]);
    }

    private static double interpolate(final double s, final double s0, final double p0, final double s1, final double p1) {
        if (s1 <= s0) {
            return p1;
        }
        return p0 + (p1 - p0) * (s - s0) / (s1 - s0);
    }
}
