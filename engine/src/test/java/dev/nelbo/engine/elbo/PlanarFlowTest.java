package dev.nelbo.engine.elbo;

import dev.nelbo.engine.random.CounterNormals;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.encoding.ColumnBlock;
import dev.nelbo.schemas.encoding.Likelihood;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanarFlowTest {

    private static Manifest.PlanarFlow flow(final double[][] u, final double[][] w, final double[] b) {
        return new Manifest.PlanarFlow(java.util.Arrays.stream(u).map(r -> java.util.Arrays.stream(r).boxed().toList()).toList(),
                java.util.Arrays.stream(w).map(r -> java.util.Arrays.stream(r).boxed().toList()).toList(),
                java.util.Arrays.stream(b).boxed().toList());
    }

    @Test
    void two_steps_move_a_sample_and_sum_their_log_determinants_as_computed_by_hand() {
        // step 1: a = 1 * 1 + 0 = 1, z += (0.5, 0) tanh(1), det = 1 + (1 - tanh(1)^2) * 0.5
        // step 2: a = 0.2 z1 - 0.5 z2 + 0.1, z += (-0.3, 0.4) tanh(a), det = 1 + (1 - tanh(a)^2) * (-0.26)
        final PlanarFlow f = new PlanarFlow(flow(new double[][] {{0.5, 0}, {-0.3, 0.4}}, new double[][] {{1, 0}, {0.2, -0.5}},
                new double[] {0, 0.1}));
        final double[] z = {1, 2};
        final double logDet = f.apply(z);
        assertEquals(1.546935999360253, z[0], 1e-12);
        assertEquals(1.7784814381568392, z[1], 1e-12);
        assertEquals(-0.008158892010470015, logDet, 1e-12);
        assertEquals(2, f.length());
    }

    @Test
    void a_step_that_is_not_invertible_or_not_finite_is_refused() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> flow(new double[][] {{-2, 0}}, new double[][] {{1, 0}}, new double[] {0}));
        assertTrue(e.getMessage().contains("not invertible"), e.getMessage());
        final IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> flow(new double[][] {{Double.NaN, 0}}, new double[][] {{1, 0}}, new double[] {0}));
        assertTrue(nan.getMessage().contains("not a finite number"), nan.getMessage());
    }

    @Test
    void an_identity_flow_keeps_the_samples_and_the_importance_weighted_score_and_estimates_the_kl_from_them() {
        final FeatureLayout layout = new FeatureLayout(List.of(new ColumnBlock("a", Likelihood.GAUSSIAN, 0, 1),
                new ColumnBlock("b", Likelihood.GAUSSIAN, 1, 1)), 2);
        final LogvarRange range = new LogvarRange(-8, 8);
        final int k = 2;
        final int l = 64;
        final float[] mu = {0.3f, -0.5f};
        final float[] logvar = {-1f, 0.5f};
        final float[] decLogvar = {0f, 0f};
        // u = 0: every step is the identity, log|det| = 0
        final PlanarFlow identity = new PlanarFlow(flow(new double[][] {{0, 0}, {0, 0}}, new double[][] {{1, 2}, {-1, 0.5}},
                new double[] {0.3, -0.2}));
        final ElboEstimator plain = new ElboEstimator(layout, 2, k, l, 1, 7, range, range, null, decLogvar);
        final ElboEstimator flowed = new ElboEstimator(layout, 2, k, l, 1, 7, range, range, null, decLogvar, identity);
        final long[] ids = {CounterNormals.hash("r")};
        final float[] z1 = new float[l * k];
        final float[] z2 = new float[l * k];
        final double[] kl1 = new double[1];
        final double[] kl2 = new double[1];
        plain.sample(1, ids, mu, logvar, z1, kl1);
        flowed.sample(1, ids, mu, logvar, z2, kl2);
        assertArrayEquals(z1, z2);
        // the Monte Carlo KL over 64 samples is near the closed form
        assertEquals(kl1[0], kl2[0], 0.25);
        final float[] x = {0.1f, 0.2f};
        final float[] mask = {1f, 1f};
        final float[] mean = new float[l * 2];
        final double[] iw1 = new double[1];
        final double[] iw2 = new double[1];
        plain.reconstruct(1, x, mask, FloatBuffer.wrap(mean), null, new double[1], iw1, new double[2], new double[2]);
        flowed.reconstruct(1, x, mask, FloatBuffer.wrap(mean), null, new double[1], iw2, new double[2], new double[2]);
        assertEquals(iw1[0], iw2[0], 0.0);
    }
}
