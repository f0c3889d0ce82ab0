package dev.nelbo.engine.elbo;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ElboTest {

    @Test
    void kl_matches_the_textbook_formula_and_is_zero_only_at_the_prior() {
        for (double mu : new double[] {-2, -0.3, 0, 0.7, 3}) {
            for (double logvar : new double[] {-4, -1, 0, 0.5, 2}) {
                final double s = Math.exp(0.5 * logvar);
                final double textbook = Math.log(1 / s) + (s * s + mu * mu) / 2 - 0.5;
                assertEquals(textbook, Elbo.klToStandardNormal(mu, logvar, Math.exp(logvar)), 1e-12);
                assertTrue(Elbo.klToStandardNormal(mu, logvar, Math.exp(logvar)) >= 0);
            }
        }
        assertEquals(0, Elbo.klToStandardNormal(0, 0, 1), 0);
    }

    @Test
    void gaussian_nll_is_minus_the_log_density() {
        final double x = 1.3;
        final double mean = -0.4;
        final double logvar = 0.8;
        final double sd = Math.exp(0.5 * logvar);
        final double density = Math.exp(-(x - mean) * (x - mean) / (2 * sd * sd)) / (sd * Math.sqrt(2 * Math.PI));
        assertEquals(-Math.log(density), Elbo.gaussianNll(x, mean, logvar, Math.exp(-logvar)), 1e-12);
    }

    @Test
    void bernoulli_nll_is_the_cross_entropy_and_does_not_overflow() {
        // The direct formula loses precision in 1 - p for large |logit|; those are checked below.
        for (double logit : new double[] {-8, -2, 0, 0.4, 5, 8}) {
            final double p = 1 / (1 + Math.exp(-logit));
            assertEquals(-Math.log(p), Elbo.bernoulliNll(1, logit), 1e-9 * Math.max(1, -Math.log(p)));
            assertEquals(-Math.log(1 - p), Elbo.bernoulliNll(0, logit), 1e-9 * Math.max(1, -Math.log(1 - p)));
            assertEquals(p, Elbo.sigmoid(logit), 1e-15);
        }
        assertEquals(800, Elbo.bernoulliNll(0, 800), 1e-9);
        assertEquals(800, Elbo.bernoulliNll(1, -800), 1e-9);
    }

    @Test
    void categorical_nll_is_minus_the_log_softmax_of_the_observed_category() {
        final float[] logits = {9f, 0.5f, -1f, 2f, 0f};
        final float[] x = {0f, 0f, 0f, 1f, 0f};
        double z = 0;
        for (int j = 1; j < 5; j++) {
            z += Math.exp(logits[j]);
        }
        final double expected = -Math.log(Math.exp(logits[3]) / z);
        // Block is columns 1..4 of both rows.
        assertEquals(expected, Elbo.categoricalNll(x, 1, logits, 1, 4), 1e-12);
        final float[] huge = {1000f, 999f};
        assertEquals(Math.log1p(Math.exp(-1)), Elbo.categoricalNll(new float[] {1f, 0f}, 0, huge, 0, 2), 1e-9);
    }

    @Test
    void log_mean_exp_is_stable_for_large_magnitudes() {
        final double[] v = {-1000, -1001, -1002, 5};
        assertEquals(Math.log((Math.exp(0) + Math.exp(-1) + Math.exp(-2)) / 3) - 1000, Elbo.logMeanExp(v, 0, 3), 1e-9);
        assertEquals(5, Elbo.logMeanExp(v, 3, 1), 0);
    }

    @Test
    void clamp_maps_nan_to_the_upper_bound() {
        assertEquals(3, Elbo.clamp(Double.NaN, -5, 3));
        assertEquals(-5, Elbo.clamp(-1e300, -5, 3));
        assertEquals(3, Elbo.clamp(Double.POSITIVE_INFINITY, -5, 3));
        assertEquals(0.25, Elbo.clamp(0.25, -5, 3));
    }
}
