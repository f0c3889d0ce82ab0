package dev.nelbo.deploy.generator;

/**
 * Relative traffic load over the UTC day: trough at 04:00, peak at 16:00. Load is in (0, 1].
 */
public final class DailyCycle {

    /** Load at the trough; the peak is 1. A 10x swing makes night and day clearly different contexts. */
    static final double TROUGH = 0.1;
    private static final double TROUGH_HOUR = 4.0;

    private DailyCycle() {
    }

    /**
     * @param hourOfDay UTC hour with fraction
     * @return relative load at that hour, between {@link #TROUGH} and 1
     */
    public static double load(final double hourOfDay) {
        final double phase = 2 * Math.PI * (hourOfDay - TROUGH_HOUR) / 24.0;
        final double shape = Math.pow(0.5 - 0.5 * Math.cos(phase), 1.5);
        return TROUGH + (1 - TROUGH) * shape;
    }

    /**
     * The hour whose load is furthest from the load at {@code hourOfDay}: the trough for busy hours,
     * the peak for quiet ones. Contextual anomalies take their traffic level from there.
     *
     * @param hourOfDay UTC hour with fraction
     * @return the contrasting hour
     */
    public static double contrastingHour(final double hourOfDay) {
        final double peakHour = TROUGH_HOUR + 12.0;
        return load(hourOfDay) >= load(peakHour) / 2 ? TROUGH_HOUR : peakHour;
    }
}
