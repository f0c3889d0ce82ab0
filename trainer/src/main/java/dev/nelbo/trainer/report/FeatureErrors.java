package dev.nelbo.trainer.report;

import dev.nelbo.schemas.encoding.ColumnBlock;
import dev.nelbo.trainer.vae.TrainedVae;
import dev.nelbo.trainer.vae.TrainingData;

import java.util.List;

/**
 * Per-feature reconstruction error for the report: the decoder output at {@code z = mu} against the
 * observed value. Gaussian features give the mean absolute error in standard deviations, binary and
 * categorical features the share of rows where the most likely value is not the observed one.
 * Missing values are left out. This describes the fit; the anomaly score comes from the engine.
 */
public final class FeatureErrors {

    private FeatureErrors() {
    }

    /**
     * @param vae  trained model
     * @param data rows to reconstruct (validation rows)
     * @return one error per reconstructed feature (context features have none), in layout order
     */
    public static double[] compute(final TrainedVae vae, final TrainingData data) {
        final int width = data.width();
        final int dx = data.reconstructedWidth();
        final float[] mu = vae.encode(data.x(), data.rows())[0];
        final float[] mean = vae.decode(vae.decoderInput(mu, data.x(), data.rows()), data.rows())[0];
        final List<ColumnBlock> layout = data.reconstructedBlocks();
        final double[] sum = new double[layout.size()];
        final long[] seen = new long[layout.size()];
        for (int r = 0; r < data.rows(); r++) {
            final int base = r * width;
            final int out = r * dx;
            for (int f = 0; f < layout.size(); f++) {
                final ColumnBlock block = layout.get(f);
                final int at = base + block.offset();
                final int m = out + block.offset();
                if (data.mask()[at] == 0f) {
                    continue;
                }
                seen[f]++;
                switch (block.likelihood()) {
                    case GAUSSIAN -> sum[f] += Math.abs(data.x()[at] - mean[m]);
                    case BERNOULLI -> sum[f] += (mean[m] > 0) == (data.x()[at] > 0.5f) ? 0 : 1;
                    case CATEGORICAL -> {
                        int best = 0;
                        int observed = 0;
                        for (int k = 1; k < block.width(); k++) {
                            if (mean[m + k] > mean[m + best]) {
                                best = k;
                            }
                            if (data.x()[at + k] > data.x()[at + observed]) {
                                observed = k;
                            }
                        }
                        sum[f] += best == observed ? 0 : 1;
                    }
                    default -> throw new IllegalStateException("feature '" + block.feature() + "' is not reconstructed");
                }
            }
        }
        final double[] out = new double[layout.size()];
        for (int f = 0; f < out.length; f++) {
            out[f] = seen[f] == 0 ? 0 : sum[f] / seen[f];
        }
        return out;
    }
}
