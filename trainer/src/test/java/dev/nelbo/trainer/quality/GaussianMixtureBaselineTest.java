package dev.nelbo.trainer.quality;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GaussianMixtureBaselineTest {

    /** Two separated clusters in three dimensions; the third column is constant (a singular covariance without jitter). */
    private static double[][] clusters(final int n, final long seed) {
        final Random r = new Random(seed);
        final double[][] x = new double[n][];
        for (int i = 0; i < n; i++) {
            final double centre = i % 2 == 0 ? -4 : 4;
            x[i] = new double[] {centre + r.nextGaussian(), centre + 0.5 * r.nextGaussian(), 0};
        }
        return x;
    }

    @Test
    void bic_picks_the_two_clusters_and_the_space_between_them_scores_as_unlikely() {
        final GaussianMixtureBaseline.Mixture m = GaussianMixtureBaseline.fit(clusters(800, 1), 1);
        assertEquals(2, m.size(), "BIC on two Gaussian clusters");
        final double atCentre = -m.logDensity(new double[] {4, 4, 0});
        final double between = -m.logDensity(new double[] {0, 0, 0});
        final double offColumn = -m.logDensity(new double[] {4, 4, 0.1});
        assertTrue(between > atCentre + 5, between + " vs " + atCentre);
        // the constant column is a near-zero-variance direction: a small step off it is very unlikely
        assertTrue(offColumn > atCentre + 100, offColumn + " vs " + atCentre);
    }

    @Test
    void one_gaussian_s_log_density_is_the_closed_form() {
        final Random r = new Random(3);
        final double[][] x = new double[2000][];
        for (int i = 0; i < x.length; i++) {
            x[i] = new double[] {2 * r.nextGaussian(), r.nextGaussian()};
        }
        final GaussianMixtureBaseline.Mixture m = GaussianMixtureBaseline.fit(x, 1);
        assertEquals(1, m.size());
        // N(0, diag(4, 1)) at (2, 1): -log(2 pi * 2) - (1 + 1) / 2
        assertEquals(-Math.log(4 * Math.PI) - 1, m.logDensity(new double[] {2, 1}), 0.05);
    }
}
