package dev.nelbo.trainer.pipeline;

import dev.nelbo.engine.EngineOptions;
import dev.nelbo.engine.ScoringBatch;
import dev.nelbo.engine.ScoringEngine;
import dev.nelbo.engine.ScoringModel;
import dev.nelbo.engine.ScoringResults;

import java.util.function.IntFunction;

/**
 * Scores encoded rows with the scoring engine, in the engine's batches. Calibration and evaluation
 * both go through here, so their numbers are the numbers the scorer produces.
 *
 * @param nelbo         negative ELBO per row
 * @param iwNll         importance-weighted estimate of -log p(x) per row
 * @param contributions each reconstructed feature's share of the score, row-major {@code [rows, F]}
 * @param thresholds    the threshold each row is judged by (NaN for an uncalibrated model)
 */
public record EngineScores(double[] nelbo, double[] iwNll, double[] contributions, double[] thresholds) {

    /**
     * @param feature a reconstructed feature's index
     * @return its median contribution over the rows
     */
    public double medianContribution(final int feature) {
        final int f = contributions.length / nelbo.length;
        final double[] v = new double[nelbo.length];
        for (int r = 0; r < v.length; r++) {
            v[r] = contributions[r * f + feature];
        }
        java.util.Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /**
     * @param model   the model to score with
     * @param options engine options (samples, threads)
     * @param x       encoded rows, row-major
     * @param mask    observed-mask, row-major
     * @param rows    number of rows
     * @return the scores; row {@code i} is scored with record id {@code "row-" + i}
     */
    public static EngineScores score(final ScoringModel model, final EngineOptions options, final float[] x,
                                     final float[] mask, final int rows) {
        return score(model, options, x, mask, rows, i -> "row-" + i);
    }

    /**
     * @param model   the model to score with
     * @param options engine options (samples, threads)
     * @param x       encoded rows, row-major
     * @param mask    observed-mask, row-major
     * @param rows    number of rows
     * @param ids     record id of each row (seeds the engine's sampling, as the scorer does with event ids)
     * @return the scores
     */
    public static EngineScores score(final ScoringModel model, final EngineOptions options, final float[] x,
                                     final float[] mask, final int rows, final IntFunction<? extends CharSequence> ids) {
        final double[] nelbo = new double[rows];
        final double[] iw = new double[rows];
        final double[] thresholds = new double[rows];
        final int width = model.inputWidth();
        try (ScoringEngine engine = ScoringEngine.open(model, options)) {
            final ScoringBatch batch = engine.newBatch();
            final ScoringResults results = engine.newResults();
            final int features = results.featureCount();
            final double[] contributions = new double[rows * features];
            for (int from = 0; from < rows; from += batch.capacity()) {
                batch.clear();
                final int n = Math.min(batch.capacity(), rows - from);
                for (int r = 0; r < n; r++) {
                    final int row = batch.addRow(ids.apply(from + r));
                    System.arraycopy(x, (from + r) * width, batch.x(), batch.offset(row), width);
                    System.arraycopy(mask, (from + r) * width, batch.mask(), batch.offset(row), width);
                }
                engine.score(batch, results);
                for (int r = 0; r < n; r++) {
                    nelbo[from + r] = results.nelbo(r);
                    iw[from + r] = results.iwNll(r);
                    thresholds[from + r] = results.threshold(r);
                    for (int f = 0; f < features; f++) {
                        contributions[(from + r) * features + f] = results.contribution(r, f);
                    }
                }
            }
            return new EngineScores(nelbo, iw, contributions, thresholds);
        }
    }
}
