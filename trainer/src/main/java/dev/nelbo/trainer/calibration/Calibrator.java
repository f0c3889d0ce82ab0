package dev.nelbo.trainer.calibration;

import dev.nelbo.schemas.bundle.Manifest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Derives a model's alert threshold and score quantiles from the scores of held-back normal rows.
 *
 * <p>An empirical quantile at level {@code 1 - fpr} is only trustworthy when enough rows lie beyond
 * it; with {@value #MIN_EMPIRICAL_EXCEEDANCES} or more the threshold is the empirical quantile
 * (method {@value #EMPIRICAL}). Below that a generalised Pareto tail is fitted to the top scores and
 * extrapolated (peaks over threshold, method {@value #GPD}).
 */
public final class Calibrator {

    /** Method name: empirical quantile. */
    public static final String EMPIRICAL = "empirical";
    /** Method name: generalised Pareto tail. */
    public static final String GPD = "gpd";
    /** Quantile levels stored in the manifest (the scorer exports them as drift gauges). */
    public static final double[] QUANTILE_LEVELS = {0.5, 0.9, 0.95, 0.99, 0.999};
    /** Fewest calibration scores above the empirical threshold for it to be used as is. */
    public static final int MIN_EMPIRICAL_EXCEEDANCES = 20;
    /** Fewest calibration scores at all. */
    public static final int MIN_ROWS = 20;
    /** Share of the top scores used for the tail fit (capped by {@link #MAX_TAIL}). */
    static final double TAIL_FRACTION = 0.1;
    /** Most scores used for the tail fit. */
    static final int MAX_TAIL = 500;

    private Calibrator() {
    }

    /**
     * @param scores    scores of held-back normal rows
     * @param targetFpr wanted false-positive rate, in (0, 0.5)
     * @return the calibration for the manifest
     * @throws IllegalArgumentException for too few scores or a bad target
     * @throws IllegalStateException    for a non-finite score
     */
    public static Manifest.Calibration calibrate(final double[] scores, final double targetFpr) {
        if (!(targetFpr > 0 && targetFpr < 0.5)) {
            throw new IllegalArgumentException("--target-fpr must be in (0, 0.5), got " + targetFpr);
        }
        if (scores.length < MIN_ROWS) {
            throw new IllegalArgumentException("calibration needs at least " + MIN_ROWS + " held-back rows, got "
                    + scores.length + ": provide more training rows");
        }
        final double[] sorted = scores.clone();
        Arrays.sort(sorted);
        for (double s : sorted) {
            if (!Double.isFinite(s)) {
                throw new IllegalStateException("the scoring engine returned a non-finite score during calibration");
            }
        }
        final List<Manifest.Quantile> quantiles = new ArrayList<>();
        for (double level : QUANTILE_LEVELS) {
            quantiles.add(new Manifest.Quantile(level, quantile(sorted, level)));
        }
        final int n = sorted.length;
        if (n * targetFpr >= MIN_EMPIRICAL_EXCEEDANCES) {
            return new Manifest.Calibration("nelbo", quantile(sorted, 1 - targetFpr), targetFpr, EMPIRICAL, n,
                    quantiles, null);
        }
        final int tailCount = Math.min(n - 1, Math.max(10, Math.min(MAX_TAIL, (int) Math.round(n * TAIL_FRACTION))));
        final GpdTail tail = GpdTail.fit(sorted, tailCount);
        return new Manifest.Calibration("nelbo", tail.quantileAbove(targetFpr), targetFpr, GPD, n, quantiles,
                new Manifest.Tail(tail.location(), tail.shape(), tail.scale(), tail.rate(), tail.exceedances()));
    }

    /** Linear-interpolated quantile (the "type 7" definition of R and numpy) of ascending values. */
    static double quantile(final double[] sorted, final double level) {
        final double h = (sorted.length - 1) * level;
        final int lo = (int) Math.floor(h);
        final int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
