package dev.nelbo.trainer.calibration;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The alert threshold and score quantiles of a model, derived from scores of held-back normal rows.
 *
 * <p>An empirical quantile at level {@code 1 - fpr} is only trustworthy when enough rows lie beyond
 * it; with {@value #MIN_EMPIRICAL_EXCEEDANCES} or more the threshold is the empirical quantile
 * ({@link Method#EMPIRICAL}). Below that, a generalised Pareto tail is fitted to the top scores and
 * extrapolated ({@link Method#GPD_PEAKS_OVER_THRESHOLD}).
 *
 * @param targetFpr   the false-positive rate the threshold is set for
 * @param threshold   alert when a score is above this
 * @param method      how the threshold was derived
 * @param quantiles   score quantiles by level (ascending levels), for drift monitoring
 * @param tail        the fitted tail, or null for {@link Method#EMPIRICAL}
 * @param rows        number of calibration scores
 */
public record Calibration(double targetFpr, double threshold, Method method, Map<Double, Double> quantiles,
                          GpdTail tail, int rows) {

    /** Quantile levels stored for drift monitoring (the scorer exports them as gauges). */
    public static final double[] QUANTILE_LEVELS = {0.5, 0.9, 0.95, 0.99, 0.999};
    /** Fewest calibration scores above the empirical threshold for it to be used as is. */
    public static final int MIN_EMPIRICAL_EXCEEDANCES = 20;
    /** Share of the top scores used for the tail fit (capped by {@link #MAX_TAIL}). */
    static final double TAIL_FRACTION = 0.1;
    /** Most scores used for the tail fit. */
    static final int MAX_TAIL = 500;

    /** How the threshold was derived. */
    public enum Method {
        /** Empirical quantile of the calibration scores. */
        EMPIRICAL,
        /** Generalised Pareto tail fitted to the top calibration scores (peaks over threshold). */
        GPD_PEAKS_OVER_THRESHOLD;

        /** @return the lower-case name recorded in the manifest */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * @throws IllegalArgumentException for a non-finite threshold
     */
    public Calibration {
        Objects.requireNonNull(method, "method");
        quantiles = Map.copyOf(quantiles);
        if (!Double.isFinite(threshold)) {
            throw new IllegalArgumentException("calibration produced a non-finite threshold");
        }
    }

    /**
     * Calibrates from scores of normal rows.
     *
     * @param scores    scores of held-back normal rows (at least 20)
     * @param targetFpr wanted false-positive rate, in (0, 0.5)
     * @return the calibration
     * @throws IllegalArgumentException for too few or non-finite scores, or a bad target
     */
    public static Calibration of(final double[] scores, final double targetFpr) {
        if (!(targetFpr > 0 && targetFpr < 0.5)) {
            throw new IllegalArgumentException("--target-fpr must be in (0, 0.5), got " + targetFpr);
        }
        if (scores.length < MIN_EMPIRICAL_EXCEEDANCES) {
            throw new IllegalArgumentException("calibration needs at least " + MIN_EMPIRICAL_EXCEEDANCES
                    + " held-back rows, got " + scores.length + ": provide more training rows");
        }
        final double[] sorted = scores.clone();
        Arrays.sort(sorted);
        for (double s : sorted) {
            if (!Double.isFinite(s)) {
                throw new IllegalStateException("the scoring engine returned a non-finite score during calibration");
            }
        }
        final Map<Double, Double> quantiles = new LinkedHashMap<>();
        for (double level : QUANTILE_LEVELS) {
            quantiles.put(level, quantile(sorted, level));
        }
        final int n = sorted.length;
        if (n * targetFpr >= MIN_EMPIRICAL_EXCEEDANCES) {
            return new Calibration(targetFpr, quantile(sorted, 1 - targetFpr), Method.EMPIRICAL, quantiles, null, n);
        }
        final int tailCount = Math.max(10, Math.min(MAX_TAIL, (int) Math.round(n * TAIL_FRACTION)));
        final GpdTail tail = GpdTail.fit(sorted, Math.min(tailCount, n - 1));
        final double threshold = Math.max(tail.quantileAbove(targetFpr), sorted[n - 1 - (int) Math.floor(n * targetFpr)]);
        return new Calibration(targetFpr, threshold, Method.GPD_PEAKS_OVER_THRESHOLD, quantiles, tail, n);
    }

    /** Linear-interpolated quantile (the "type 7" definition of R and numpy) of ascending values. */
    static double quantile(final double[] sorted, final double level) {
        final double h = (sorted.length - 1) * level;
        final int lo = (int) Math.floor(h);
        final int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
