package dev.nelbo.trainer.retrain;

import dev.nelbo.schemas.bundle.Manifest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChallengerComparisonTest {

    /** The gates a retrain job runs with when none is set. */
    private static final Gates DEFAULT_GATES = RetrainConfig.of(java.util.Map.of("bootstrap.servers", "k:9092")).gates();

    /** A manifest whose calibration is the standard normal's quantiles with a threshold at q. */
    private static Manifest calibratedAt(final double threshold) {
        final List<Manifest.Quantile> qs = List.of(new Manifest.Quantile(0.1, -1.2816), new Manifest.Quantile(0.5, 0.0),
                new Manifest.Quantile(0.9, 1.2816), new Manifest.Quantile(0.99, 2.3263));
        return new Manifest(1, "v", null, null, null, null, null, null, Map.of(),
                new Manifest.Calibration("nelbo", threshold, 0.001, "empirical", 1000, qs, null), null);
    }

    private static double[] normal(final long seed, final int n, final double mean, final double sd) {
        final Random r = new Random(seed);
        final double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = mean + sd * r.nextGaussian();
        }
        return a;
    }

    @Test
    void a_challenger_that_fits_recent_data_as_well_passes() {
        final ChallengerComparison c = ChallengerComparison.compare(normal(1, 5000, 0, 1), calibratedAt(3.09),
                normal(2, 5000, 0.05, 1), calibratedAt(3.09), DEFAULT_GATES);
        assertTrue(c.passed(), c.report());
        assertTrue(c.challengerShift() < 0.05, c.report());
        assertTrue(c.challengerAlertRate() < 0.01);
    }

    @Test
    void a_challenger_trained_on_bad_data_fails_with_reasons() {
        // scores recent normal data much worse than the champion, alerts on much of it, and its own calibration no longer describes the traffic
        final ChallengerComparison c = ChallengerComparison.compare(normal(1, 5000, 0, 1), calibratedAt(3.09),
                normal(2, 5000, 2.5, 1.5), calibratedAt(3.09), DEFAULT_GATES);
        assertFalse(c.passed());
        assertEquals(3, c.failures().size(), c.report());
        assertTrue(c.report().contains("gates: FAILED"));
        assertTrue(c.failures().get(0).contains("worse by"), c.failures().get(0));
    }

    @Test
    void drift_of_the_traffic_shows_in_the_champion_shift() {
        final ChallengerComparison c = ChallengerComparison.compare(normal(1, 5000, 1.0, 1), calibratedAt(3.09),
                normal(2, 5000, 0, 1), calibratedAt(3.09), DEFAULT_GATES);
        // Phi(0) - Phi(-1) = 0.341: the champion's distribution moved by about a third
        assertEquals(0.34, c.championShift(), 0.03);
        assertTrue(c.passed(), c.report());
    }

    @Test
    void too_few_rows_is_no_decision() {
        final ChallengerComparison c = ChallengerComparison.compare(normal(1, 50, 0, 1), calibratedAt(3),
                normal(1, 50, 0, 1), calibratedAt(3), DEFAULT_GATES);
        assertFalse(c.passed());
        assertTrue(c.failures().get(0).contains("only 50 held-back rows"));
        assertThrows(IllegalArgumentException.class, () -> new Gates(0.1, 0, 0.1, 10, 0.5, 0));
    }

    @Test
    void calibration_shift_of_matching_data_is_small() {
        final List<Manifest.Quantile> qs = new ArrayList<>(calibratedAt(1).calibration().quantiles());
        assertTrue(ChallengerComparison.calibrationShift(normal(5, 20000, 0, 1), qs) < 0.02);
        assertEquals(0.5, ChallengerComparison.calibrationShift(new double[] {5, 5, 5}, List.of(new Manifest.Quantile(0.5, 0.0))));
    }

    @Test
    void a_challenger_that_alerts_less_than_a_drifted_champion_passes_the_alert_gate() {
        // traffic drifted: the champion alerts on ~5% of recent normal rows, the challenger on ~0.5%
        final ChallengerComparison c = ChallengerComparison.compare(normal(1, 5000, 1.45, 1), calibratedAt(3.09),
                normal(2, 5000, 0.5, 1), calibratedAt(3.09), new Gates(0.25, 0.001, 0.5, 200, 0.5, 0));
        assertTrue(c.championAlertRate() > 0.04, c.report());
        assertTrue(c.challengerAlertRate() > 0.001 && c.challengerAlertRate() < c.championAlertRate(), c.report());
        assertTrue(c.passed(), c.report());
    }
}
