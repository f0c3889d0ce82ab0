package dev.nelbo.trainer.calibration;

import dev.nelbo.schemas.bundle.Manifest;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CalibratorTest {

    private static double[] exponential(final int n, final long seed) {
        final Random random = new Random(seed);
        final double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = 10 - Math.log(1 - random.nextDouble());
        }
        return s;
    }

    @Test
    void enough_rows_use_the_empirical_quantile() {
        final Manifest.Calibration c = Calibrator.calibrate(exponential(50_000, 1), 0.001);
        assertEquals(Calibrator.EMPIRICAL, c.method());
        assertNull(c.tail());
        // Exponential(1) shifted by 10: P(S > t) = exp(-(t - 10)).
        assertEquals(10 - Math.log(0.001), c.threshold(), 0.3);
        assertEquals(50_000, c.rows());
        assertEquals(Calibrator.QUANTILE_LEVELS.length, c.quantiles().size());
        assertEquals(10 + Math.log(2), c.quantiles().get(0).value(), 0.05);
    }

    @Test
    void few_rows_extrapolate_with_a_generalised_pareto_tail() {
        // 2,000 rows hold only 2 scores beyond the 0.999 quantile: the tail fit must take over and
        // land near the true quantile 10 + ln(1000) = 16.9 (an exponential tail has shape 0).
        double sum = 0;
        for (long seed = 1; seed <= 5; seed++) {
            final Manifest.Calibration c = Calibrator.calibrate(exponential(2_000, seed), 0.001);
            assertEquals(Calibrator.GPD, c.method());
            assertNotNull(c.tail());
            assertEquals(0, c.tail().xi(), 0.25);
            assertEquals(200, c.tail().exceedances());
            sum += c.threshold();
        }
        assertEquals(10 - Math.log(0.001), sum / 5, 0.8);
    }

    @Test
    void tail_probability_and_quantile_are_inverse() {
        final double[] sorted = exponential(3_000, 9);
        java.util.Arrays.sort(sorted);
        final GpdTail tail = GpdTail.fit(sorted, 300);
        for (double p : new double[] {1e-2, 1e-3, 1e-5}) {
            assertEquals(p, tail.exceedanceProbability(tail.quantileAbove(p)), p * 1e-6);
        }
    }

    @Test
    void bad_inputs_fail_with_a_message() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Calibrator.calibrate(exponential(10, 1), 0.01))
                .getMessage().contains("at least 20 held-back rows"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Calibrator.calibrate(exponential(100, 1), 0.7))
                .getMessage().contains("--target-fpr"));
        final double[] flat = new double[100];
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Calibrator.calibrate(flat, 0.001))
                .getMessage().contains("do not spread out"));
    }
}
