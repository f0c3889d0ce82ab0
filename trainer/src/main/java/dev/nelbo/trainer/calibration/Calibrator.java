package dev.nelbo.trainer.calibration;

import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.encoding.ColumnBlock;
import dev.nelbo.schemas.encoding.FeatureEncoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    /** The option that asks for per-context thresholds (named in messages). */
    public static final String THRESHOLD_BY = "--threshold-by";
    /** Fewest calibration rows a context value needs for a threshold of its own (fewer: the global threshold). */
    public static final int MIN_CONTEXT_ROWS = 200;

    /**
     * Thresholds calibrated on the rows of each value of a categorical context feature, as {@link #calibrate} does on
     * all of them; values with fewer than {@value #MIN_CONTEXT_ROWS} rows keep the global threshold.
     *
     * @param encoder   the model's encoder
     * @param feature   the context feature
     * @param x         encoded calibration rows, row-major
     * @param scores    their scores
     * @param targetFpr wanted false-positive rate
     * @return the per-value thresholds
     */
    public static Manifest.ContextThresholds calibrateBy(final FeatureEncoder encoder, final String feature, final float[] x,
                                                        final double[] scores, final double targetFpr) {
        final int f = encoder.categoricalContext(feature, THRESHOLD_BY);
        final ColumnBlock block = encoder.layout().get(f);
        final List<List<Double>> byColumn = new ArrayList<>();
        for (int k = 0; k < block.width(); k++) {
            byColumn.add(new ArrayList<>());
        }
        for (int r = 0; r < scores.length; r++) {
            byColumn.get(block.hottest(x, r * encoder.width())).add(scores[r]);
        }
        final Map<String, Manifest.ContextThreshold> values = new LinkedHashMap<>();
        for (int k = 0; k < block.width(); k++) {
            final double[] own = byColumn.get(k).stream().mapToDouble(Double::doubleValue).toArray();
            if (own.length >= MIN_CONTEXT_ROWS) {
                final Manifest.Calibration c = calibrate(own, targetFpr);
                values.put(encoder.category(f, k), new Manifest.ContextThreshold(c.threshold(), c.rows(), c.method()));
            }
        }
        return new Manifest.ContextThresholds(feature, values);
    }

    /** Linear-interpolated quantile (the "type 7" definition of R and numpy) of ascending values. */
    static double quantile(final double[] sorted, final double level) {
        final double h = (sorted.length - 1) * level;
        final int lo = (int) Math.floor(h);
        final int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
