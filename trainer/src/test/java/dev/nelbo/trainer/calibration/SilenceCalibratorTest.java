package dev.nelbo.trainer.calibration;

import dev.nelbo.engine.entity.Cadence;
import dev.nelbo.schemas.bundle.Manifest;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The silence test on synthetic entities: keys that send at random moments (a Poisson process, each key at its own
 * rate), some that pause now and then; calibrated on one stretch, judged on another, with planted silences.
 */
class SilenceCalibratorTest {

    private static final int KEYS = 200;

    /** A key's event times: exponential gaps around its own mean; "pausing" keys stop for 5 means one gap in 50. */
    private static long[] times(final SplittableRandom random, final double meanMs, final boolean pausing, final int n) {
        final long[] t = new long[n];
        double now = 0;
        for (int i = 0; i < n; i++) {
            double gap = -meanMs * Math.log(1 - random.nextDouble());
            if (pausing && random.nextInt(50) == 0) {
                gap += 5 * meanMs;
            }
            now += gap;
            t[i] = Math.round(now);
        }
        return t;
    }

    private static SilenceCalibrator feed(final long seed, final int eventsPerKey) {
        final SplittableRandom random = new SplittableRandom(seed);
        final SilenceCalibrator c = new SilenceCalibrator();
        for (int k = 0; k < KEYS; k++) {
            final long[] t = times(random, 1000 + 100 * (k % 50), k % 4 == 0, eventsPerKey);
            for (final long time : t) {
                c.accept("key-" + k, time);
            }
        }
        return c;
    }

    @Test
    void the_false_silence_rate_on_unseen_clean_keys_is_within_3x_of_the_target_and_every_planted_silence_is_found() {
        final double target = 1e-4;
        final Manifest.SilenceCalibration c = SilenceCalibrator.calibrate(target, feed(1, 2500).ratios());
        assertEquals(Calibrator.EMPIRICAL, c.fitMethod(), "about 500,000 intervals show 1e-4 directly");
        // unseen keys of the same kinds: the share of intervals longer than the factor allows
        final double[] unseen = feed(2, 2500).ratios();
        long longer = 0;
        for (final double r : unseen) {
            if (r > c.factor()) {
                longer++;
            }
        }
        final double realised = (double) longer / unseen.length;
        assertTrue(realised > target / 3 && realised < target * 3, "realised " + realised + " per interval, factor " + c.factor());
        // planted: each key stops after 100 events; a steady key's silence is found within 50 of its mean intervals (a recent long gap stretches its reference), a
        // pausing key's (which remembers its recent pauses of about 6) within 80
        final SplittableRandom random = new SplittableRandom(3);
        double delays = 0;
        for (int k = 0; k < KEYS; k++) {
            final double mean = 1000 + 100 * (k % 50);
            final boolean pausing = k % 4 == 0;
            Cadence cadence = null;
            for (final long t : times(random, mean, pausing, 100)) {
                cadence = cadence == null ? Cadence.first(t) : cadence.next(t);
            }
            final double delay = (cadence.overdueAt(c.factor(), 1000) - cadence.lastSeen()) / mean;
            assertTrue(delay < (pausing ? 80 : 50), "key-" + k + " found after " + delay + " mean intervals (factor "
                    + c.factor() + ")");
            delays += delay;
        }
        assertTrue(delays / KEYS < 25, "found after " + delays / KEYS + " mean intervals on average");
    }

    @Test
    void a_rate_the_data_cannot_show_is_extrapolated_and_too_few_intervals_give_no_test() {
        final Manifest.SilenceCalibration c = SilenceCalibrator.calibrate(1e-5, feed(4, 150).ratios());
        assertEquals(Calibrator.GPD, c.fitMethod());
        assertTrue(c.factor() > 5 && c.factor() < 40, "factor " + c.factor());
        assertNull(SilenceCalibrator.calibrate(1e-5, feed(5, 36).ratios()), "3 intervals per key after the first 32");
    }

    @Test
    void keys_that_send_like_clockwork_get_twice_the_longest_ratio() {
        final SilenceCalibrator c = new SilenceCalibrator();
        for (int i = 0; i < 2000; i++) {
            c.accept("heartbeat-" + (i % 10), (i / 10) * 10_000L);
        }
        final Manifest.SilenceCalibration s = SilenceCalibrator.calibrate(1e-5, c.ratios());
        assertEquals(SilenceCalibrator.MAX, s.fitMethod());
        assertEquals(2.0, s.factor(), 1e-9, "every gap is its key's reference: overdue after two");
        assertEquals(0, s.realisedAlarms());
    }

    @Test
    void rows_without_a_key_or_a_time_and_times_out_of_order_add_no_interval() {
        final SilenceCalibrator c = new SilenceCalibrator();
        for (int i = 0; i < 100; i++) {
            c.accept(null, i * 1000L);
            c.accept("k", Long.MIN_VALUE);
        }
        assertEquals(0, c.ratios().length);
        for (int i = 0; i < 40; i++) {
            c.accept("k", i * 1000L);
            c.accept("k", i * 1000L - 1);
        }
        // 40 events: intervals 33..39 judged (the key is regular after 32); the late records add nothing
        assertEquals(40 - 1 - Cadence.MIN_INTERVALS, c.ratios().length);
    }
}
