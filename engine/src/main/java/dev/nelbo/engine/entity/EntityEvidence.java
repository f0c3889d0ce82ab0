package dev.nelbo.engine.entity;

import java.util.SplittableRandom;

/**
 * Page's CUSUM over the surprise of an entity's events, the test that adds up what no single event shows.
 *
 * <p>Each event's surprise is {@code x = -ln p}, {@code p} its calibrated tail probability. On normal data {@code p} is
 * uniform, so {@code x} is exponential with mean 1 whatever the model and the features: the test is calibrated to a
 * stated false-alarm rate rather than tuned per data set. The statistic is
 * {@code S = min(ceiling, S + min(x - drift, threshold / 2))}, or 0 when that is below a floor of 0.5 ({@link #FLOOR}):
 * an event adds the surprise it carries beyond the drift
 * allowance ({@code drift = 2}: events with {@code p} above {@code e^-2 = 0.135} count against the evidence, so on
 * normal data {@code S} falls by about one per event), and the entity is anomalous while {@code S >= threshold}.
 * Two bounds keep the test about entities, not single events:
 * <ul>
 *   <li>one event adds at most half the threshold, so crossing takes at least two surprising events (one extreme event
 *       is the per-event alert's business);</li>
 *   <li>{@code S} never exceeds {@code ceiling = threshold + drift / 2}, so an entity whose behaviour returns to normal
 *       leaves the anomalous state after one or two normal events, however long its anomaly lasted.</li>
 * </ul>
 * The threshold for a false-alarm rate is found by simulating the statistic on exponential surprises
 * ({@link #thresholdFor}); the trainer stores it in the bundle and reports the rate realised on held-back rows.
 * Immutable and thread-safe.
 */
public final class EntityEvidence {

    /** The drift allowance: the surprise of an event with tail probability {@code e^-2}. */
    public static final double DEFAULT_DRIFT = 2.0;
    /** Tail probabilities below this count as this (what one event adds is bounded anyway). */
    private static final double MIN_TAIL = 1e-300;
    /**
     * Evidence below this counts as none. Without it one event in seven of a normal key (surprise just above the drift)
     * starts a run that the next event ends, and each such run is a state write and a changelog record; with it only
     * events at least 0.5 beyond the drift (one in twelve) start one. The threshold is calibrated with the floor, so the
     * false-alarm rate holds; detection waits at most for one more mildly surprising event.
     */
    static final double FLOOR = 0.5;
    /** Surprises simulated to find a threshold: ~200 alarms at a rate of 1e-4, so the rate is known to ~7%. */
    private static final int SIMULATED_EVENTS = 2_000_000;

    private final double drift;
    private final double threshold;
    /** The most one event adds: half the threshold, so two events at most reach it exactly. */
    private final double step;
    private final double ceiling;

    /**
     * @param drift     the drift allowance, positive
     * @param threshold the statistic at which an entity is anomalous, above 0
     * @throws IllegalArgumentException for a bound that is not positive and finite
     */
    public EntityEvidence(final double drift, final double threshold) {
        if (!(drift > 0 && drift < 50) || !(threshold > 0 && threshold < 1e6)) {
            throw new IllegalArgumentException("entity evidence needs a positive drift and threshold, got drift " + drift
                    + " and threshold " + threshold);
        }
        this.drift = drift;
        this.threshold = threshold;
        this.step = threshold / 2;
        this.ceiling = threshold + drift / 2;
    }

    /** @return the drift allowance */
    public double drift() {
        return drift;
    }

    /** @return the statistic at which an entity is anomalous */
    public double threshold() {
        return threshold;
    }

    /**
     * @param tailProbability an event's calibrated tail probability (NaN: uncalibrated, no evidence)
     * @return its surprise {@code -ln p}
     */
    public static double surprise(final double tailProbability) {
        if (Double.isNaN(tailProbability)) {
            return 0;
        }
        return -Math.log(Math.max(tailProbability, MIN_TAIL));
    }

    /**
     * @param statistic the entity's statistic before the event
     * @param surprise  the event's surprise ({@link #surprise})
     * @return the statistic after it
     */
    public double next(final double statistic, final double surprise) {
        final double s = Math.min(ceiling, statistic + Math.min(surprise - drift, step));
        // evidence below the floor is dropped: a key holds state only once it is worth keeping (see FLOOR)
        return s < FLOOR ? 0 : s;
    }

    /**
     * @param statistic an entity's statistic
     * @return whether the entity is anomalous
     */
    public boolean anomalous(final double statistic) {
        return statistic >= threshold;
    }

    /**
     * Runs the test over one entity's events and counts its alarms: a run of evidence (from the statistic leaving 0 to
     * its return to 0) alarms at most once, when it first reaches the threshold.
     *
     * @param surprises the entity's surprises, in event order
     * @return the alarms raised
     */
    public long alarms(final double[] surprises) {
        long alarms = 0;
        double s = 0;
        boolean alarmed = false;
        for (int i = 0; i < surprises.length; i++) {
            s = next(s, surprises[i]);
            if (s >= threshold && !alarmed) {
                alarms++;
                alarmed = true;
            } else if (s == 0) {
                alarmed = false;
            }
        }
        return alarms;
    }

    /**
     * The smallest threshold whose alarms on normal data (exponential surprises, simulated with a fixed seed) come at
     * most at the given rate per event.
     *
     * @param drift          the drift allowance
     * @param falseAlarmRate alarms per event of one normal entity, in (0, 0.1]
     * @return the threshold, to two decimals
     * @throws IllegalArgumentException for a rate outside (0, 0.1]
     */
    public static double thresholdFor(final double drift, final double falseAlarmRate) {
        if (!(falseAlarmRate > 0 && falseAlarmRate <= 0.1)) {
            throw new IllegalArgumentException("entity false-alarm rate must be in (0, 0.1], got " + falseAlarmRate);
        }
        // one sequence for every candidate (common random numbers): the alarm count falls as the threshold rises, so
        // the bisection converges to one answer
        final double[] surprises = new double[SIMULATED_EVENTS];
        final SplittableRandom random = new SplittableRandom(0x6e656c626fL);
        for (int i = 0; i < surprises.length; i++) {
            surprises[i] = -Math.log(1 - random.nextDouble());
        }
        double lo = 0.01;
        double hi = 200;
        while (hi - lo > 0.005) {
            final double mid = (lo + hi) / 2;
            if (new EntityEvidence(drift, mid).alarms(surprises) <= falseAlarmRate * surprises.length) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        return Math.ceil(hi * 100) / 100;
    }
}
