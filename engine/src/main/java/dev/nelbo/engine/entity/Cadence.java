package dev.nelbo.engine.entity;

/**
 * How often one entity sends, learnt from its own events, and when its silence is overdue: the silence test the
 * scorer runs per key and the trainer calibrates.
 *
 * <p>Two summaries of the key's intervals between events (by event time), each updated per event: {@code mean}, an
 * exponentially weighted mean (weight {@value #WEIGHT_DENOMINATOR}th, about the last 16 intervals), and
 * {@code longest}, the longest recent interval, which decays by the same weight per interval. The key's reference
 * interval is {@code max(mean, longest / 2)}: for a key that sends at random moments (a Poisson process, which a host
 * behind a load balancer is close to) that is about 1.5 mean intervals; a key that pauses now and then remembers its
 * pauses for a while, so the next one of the same length is not a silence. The key is overdue once
 * {@code factor x reference} has passed since it was last seen; the trainer calibrates the factor on the ratio
 * {@code gap / reference} of every interval of its training data (a stated rate of false silences per interval).
 *
 * <p>A key is judged only once it is regular: at least {@value #MIN_INTERVALS} intervals. A new key, and one whose
 * state expired, is not. A record stamped at or before the key's last-seen time adds no interval and does not move
 * it back (a late or forged past time cannot age a key). Immutable.
 *
 * @param lastSeen  the key's latest event time (epoch ms)
 * @param mean      the weighted mean interval (ms), 0 before the first
 * @param longest   the longest recent interval (ms), decaying
 * @param intervals the intervals seen, capped at {@link #MAX_COUNTED}
 */
public record Cadence(long lastSeen, double mean, double longest, int intervals) {

    /**
     * Intervals before a key's silence is judged: twice the weight's memory, so that a burst at a key's start (a
     * producer catching up after a stall sends a key's first events a few microseconds apart) has been outweighed by
     * its real cadence before the key is judged; with 16, the demo raised a false silence two seconds after its start.
     */
    public static final int MIN_INTERVALS = 32;
    /** The weight of the latest interval is 1 / this. */
    static final int WEIGHT_DENOMINATOR = 16;
    private static final double WEIGHT = 1.0 / WEIGHT_DENOMINATOR;
    /** Intervals are counted up to here (only "at least {@link #MIN_INTERVALS}" matters). */
    static final int MAX_COUNTED = 1 << 20;

    /**
     * @param time the key's first event time
     * @return the cadence of a key seen once
     */
    public static Cadence first(final long time) {
        return new Cadence(time, 0, 0, 0);
    }

    /**
     * @param time the key's next event time
     * @return the cadence after it (this one when the time is before the key's last-seen time)
     */
    public Cadence next(final long time) {
        if (time < lastSeen) {
            return this;
        }
        final double gap = (double) time - lastSeen;
        final double m = intervals == 0 ? gap : mean + WEIGHT * (gap - mean);
        return new Cadence(time, m, Math.max(gap, longest * (1 - WEIGHT)), Math.min(intervals + 1, MAX_COUNTED));
    }

    /**
     * @param time the key's first event after a silence that was alerted
     * @return the cadence with the key seen again and its intervals as they were: a silence is an anomaly, not the
     *         key's cadence (learnt, it would stretch the reference for the next few dozen intervals and hide a second
     *         silence)
     */
    public Cadence resume(final long time) {
        return time < lastSeen ? this : new Cadence(time, mean, longest, intervals);
    }

    /** @return whether the key has shown enough intervals to judge a silence */
    public boolean regular() {
        return intervals >= MIN_INTERVALS;
    }

    /** @return the key's reference interval (ms): {@code max(mean, longest / 2)} */
    public double reference() {
        return Math.max(mean, longest / 2);
    }

    /**
     * @param time a later time
     * @return the time since the key was last seen, in reference intervals (what the factor is calibrated on)
     */
    public double ratio(final long time) {
        final double reference = reference();
        return reference > 0 ? ((double) time - lastSeen) / reference : time > lastSeen ? Double.POSITIVE_INFINITY : 0;
    }

    /**
     * @param factor       the calibrated factor
     * @param minSilenceMs the shortest silence that counts, whatever the key's cadence
     * @return when the key is overdue (epoch ms, saturating)
     */
    public long overdueAt(final double factor, final long minSilenceMs) {
        final double after = Math.max(minSilenceMs, Math.ceil(factor * reference()));
        final double at = (double) lastSeen + after;
        return at >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) at;
    }
}
