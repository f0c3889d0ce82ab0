package dev.nelbo.trainer.vae;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.nelbo.schemas.encoding.ColumnBlock;
import dev.nelbo.schemas.encoding.Likelihood;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The loss terms against the textbook formulas, computed independently in double precision. */
class NelboLossTest {

    // Layout: gaussian g (col 0), bernoulli b (col 1), categorical c over cols 2..4.
    private static final List<ColumnBlock> BLOCKS = List.of(
            new ColumnBlock("g", Likelihood.GAUSSIAN, 0, 1),
            new ColumnBlock("b", Likelihood.BERNOULLI, 1, 1),
            new ColumnBlock("c", Likelihood.CATEGORICAL, 2, 3));

    @Test
    void per_row_terms_match_the_closed_forms_and_skip_missing_features() {
        final float[] x = {0.5f, 1f, 0f, 1f, 0f, /* row 2 */ -1f, 0f, 1f, 0f, 0f};
        // Row 2 has the gaussian and the categorical feature missing.
        final float[] mask = {1, 1, 1, 1, 1, /* row 2 */ 0, 1, 0, 0, 0};
        final float[] mean = {0.1f, 2f, 0.3f, -0.2f, 1.0f, /* row 2 */ 3f, -1.5f, 0.2f, 0.1f, -0.4f};
        final float[] decoderLogvar = {-0.7f, 0f, 0f, 0f, 0f};
        final float[] mu = {0.2f, -0.3f, /* row 2 */ 1f, 0f};
        final float[] logvar = {-1f, 0.5f, /* row 2 */ 0f, -2f};

        final double[] expectedRecon = new double[2];
        final double[] expectedKl = new double[2];
        for (int r = 0; r < 2; r++) {
            final int o = r * 5;
            double recon = 0;
            if (mask[o] == 1) {
                final double v = Math.exp(decoderLogvar[0]);
                recon += 0.5 * (Math.log(2 * Math.PI) + decoderLogvar[0] + Math.pow(x[o] - mean[o], 2) / v);
            }
            if (mask[o + 1] == 1) {
                final double p = 1 / (1 + Math.exp(-mean[o + 1]));
                recon -= x[o + 1] * Math.log(p) + (1 - x[o + 1]) * Math.log(1 - p);
            }
            if (mask[o + 2] == 1) {
                double norm = 0;
                for (int k = 0; k < 3; k++) {
                    norm += Math.exp(mean[o + 2 + k]);
                }
                for (int k = 0; k < 3; k++) {
                    recon -= x[o + 2 + k] * (mean[o + 2 + k] - Math.log(norm));
                }
            }
            expectedRecon[r] = recon;
            double kl = 0;
            for (int k = 0; k < 2; k++) {
                final double m = mu[r * 2 + k];
                final double lv = logvar[r * 2 + k];
                kl += 0.5 * (m * m + Math.exp(lv) - lv - 1);
            }
            expectedKl[r] = kl;
        }

        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            final NelboLoss loss = new NelboLoss(5, BLOCKS, false);
            final NDList terms = loss.perRow(manager.create(x, new Shape(2, 5)), manager.create(mask, new Shape(2, 5)),
                    new NDList(manager.create(mu, new Shape(2, 2)), manager.create(logvar, new Shape(2, 2)),
                            manager.create(mean, new Shape(2, 5)), manager.create(decoderLogvar)));
            assertArrayEquals(toFloat(expectedRecon), terms.get(0).toFloatArray(), 1e-5f);
            assertArrayEquals(toFloat(expectedKl), terms.get(1).toFloatArray(), 1e-5f);
        }
    }

    private static float[] toFloat(final double[] values) {
        final float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }
}
