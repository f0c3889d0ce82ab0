package dev.nelbo.engine.calibration;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TailProbabilityTest {

    private static final double[] LEVELS = {0.5, 0.9, 0.99};
    private static final double[] VALUES = {10, 14, 20};

    @Test
    void body_interpolates_the_quantile_table() {
        final TailProbability t = new TailProbability(LEVELS, VALUES, 20, 0.1, 2, 0.01);
        assertEquals(0.5, t.of(10), 1e-12);
        assertEquals(0.3, t.of(12), 1e-12);
        assertEquals(0.1, t.of(14), 1e-12);
        assertEquals(0.5, t.of(-100), 1e-12, "below the table the lowest level bounds the answer");
    }

    @Test
    void tail_follows_the_generalised_pareto_survival_function() {
        final double u = 20;
        final double xi = 0.25;
        final double beta = 3;
        final double zeta = 0.01;
        final TailProbability t = new TailProbability(LEVELS, VALUES, u, xi, beta, zeta);
        assertEquals(zeta, t.of(u), 1e-15);
        for (double s = 20; s < 200; s += 7.3) {
            assertEquals(zeta * Math.pow(1 + xi * (s - u) / beta, -1 / xi), t.of(s), 1e-15);
        }
        final TailProbability exponential = new TailProbability(LEVELS, VALUES, u, 0, beta, zeta);
        assertEquals(zeta * Math.exp(-10 / beta), exponential.of(30), 1e-15);
        final TailProbability bounded = new TailProbability(LEVELS, VALUES, u, -0.5, beta, zeta);
        assertEquals(0, bounded.of(u + beta / 0.5 + 1));
    }

    @Test
    void probability_never_increases_with_the_score() {
        final TailProbability t = new TailProbability(LEVELS, new double[] {10, 14, 18}, 20, 0.1, 2, 0.008);
        double previous = 1;
        for (double s = 0; s < 100; s += 0.05) {
            final double p = t.of(s);
            assertTrue(p <= previous + 1e-15 && p >= 0, "at " + s + ": " + p + " after " + previous);
            previous = p;
        }
    }

    @Test
    void rejects_inconsistent_calibrations() {
        assertThrows(IllegalArgumentException.class, () -> new TailProbability(new double[] {0.5, 0.4}, new double[] {1, 2}, 2, 0, 1, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new TailProbability(LEVELS, new double[] {1, 2}, 2, 0, 1, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new TailProbability(LEVELS, VALUES, 20, 0, 0, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new TailProbability(LEVELS, VALUES, 20, 0, 1, 1.5));
    }
}
