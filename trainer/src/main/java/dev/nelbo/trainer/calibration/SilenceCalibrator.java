package dev.nelbo.trainer.calibration;

import dev.nelbo.engine.entity.Cadence;
import dev.nelbo.schemas.bundle.Manifest;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Calibrates the silence test: follows each key's {@link Cadence} over the training rows (every usable line, in file
 * order, as the scorer would see them), collects the ratio {@code gap / reference} of each interval of a key that was
 * regular when it began, and sets the factor at the quantile of those ratios for a false-silence rate per interval,
 * with the per-event threshold's method ({@link Calibrator}: empirical with enough intervals, else a tail fitted to
 * the longest ones). Not thread-safe.
 */
public final class SilenceCalibrator {

    /** Fewer regular intervals than this and the bundle gets no silence test: its factor would be a guess. */
    public static final int MIN_INTERVALS = 1000;
    /** The factor's method when the longest intervals do not spread out: twice the longest ratio seen. */
    public static final String MAX = "max";

    private final Map<String, Cadence> keys = new HashMap<>();
    private double[] ratios = new double[1024];
    private int count;

    /**
     * One usable row.
     *
     * @param key  its entity key, or null (not followed)
     * @param time its event time, or {@link Long#MIN_VALUE} without one (not followed)
     */
    public void accept(final String key, final long time) {
        if (key == null || time == Long.MIN_VALUE) {
            return;
        }
        final Cadence c = keys.get(key);
        if (c == null) {
            keys.put(key, Cadence.first(time));
            return;
        }
        // a key whose intervals were all 0 ms has no reference to measure a gap against
        final double ratio = c.ratio(time);
        if (c.regular() && time >= c.lastSeen() && Double.isFinite(ratio)) {
            if (count == ratios.length) {
                ratios = Arrays.copyOf(ratios, count * 2);
            }
            ratios[count++] = ratio;
        }
        keys.put(key, c.next(time));
    }

    /** @return the ratio of each regular key's interval to its reference, in the order seen */
    public double[] ratios() {
        return Arrays.copyOf(ratios, count);
    }

    /**
     * @param falseAlarmRate false silences per interval of a regular key
     * @param ratios         the training intervals' ratios ({@link #ratios})
     * @return the test's calibration, or null with fewer than {@link #MIN_INTERVALS} intervals
     */
    public static Manifest.SilenceCalibration calibrate(final double falseAlarmRate, final double[] ratios) {
        if (ratios.length < MIN_INTERVALS) {
            return null;
        }
        double factor;
        String method;
        try {
            final Manifest.Calibration fit = Calibrator.calibrate(ratios, falseAlarmRate);
            factor = fit.threshold();
            method = fit.method();
        } catch (final IllegalArgumentException e) {
            // keys that send like clockwork: the longest ratios are all alike, there is no tail to fit; twice the longest
            // seen (a heartbeat every 10 s is overdue after about 20 s)
            factor = 2 * Arrays.stream(ratios).max().orElseThrow();
            method = MAX;
        }
        long alarms = 0;
        for (final double r : ratios) {
            if (r > factor) {
                alarms++;
            }
        }
        return new Manifest.SilenceCalibration(Manifest.SilenceCalibration.CADENCE, factor, method, falseAlarmRate,
                ratios.length, alarms);
    }

    /**
     * @param c         a silence calibration, or null
     * @param intervals the regular intervals there were (when {@code c} is null)
     * @return one line saying what it is and what it realised
     */
    public static String describe(final Manifest.SilenceCalibration c, final int intervals) {
        if (c == null) {
            return String.format(Locale.ROOT, "silence test: none (%d intervals of keys with %d or more in the training"
                    + " data; it needs %d, and rows with a key and a time)", intervals, Cadence.MIN_INTERVALS, MIN_INTERVALS);
        }
        return String.format(Locale.ROOT, "silence test: a key is overdue after %.2f reference intervals (%s) for %s false"
                        + " silences per interval; on the %d training intervals: %d longer (%.1e per interval)", c.factor(),
                c.fitMethod(), c.falseAlarmRate(), c.realisedIntervals(), c.realisedAlarms(),
                c.realisedIntervals() == 0 ? 0.0 : (double) c.realisedAlarms() / c.realisedIntervals());
    }
}
