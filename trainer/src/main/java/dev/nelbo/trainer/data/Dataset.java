package dev.nelbo.trainer.data;

import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.trainer.vae.TrainingData;

import java.util.List;

/**
 * Rows read from a file and encoded with the shared {@link FeatureEncoder}: row-major {@code x} and
 * {@code mask}, optional labels, and what was refused on the way.
 *
 * @param source   where the rows came from (for provenance and messages)
 * @param encoder  the encoder (fitted on this file for training, the bundle's for evaluation)
 * @param x        encoded rows, row-major {@code rows * encoder.width()}
 * @param mask     observed-mask, same layout
 * @param rows     number of rows kept
 * @param labels   label per row (1 anomaly, 0 normal), or null without a label column
 * @param keys     entity key per row (null for a row without one), rows in file order; null when not read
 * @param usable   usable lines in the file (more than {@code rows} when sampled with --max-rows)
 * @param bad      refused lines
 * @param notes    what spec inference and encoder fitting decided, one line each
 * @param silenceRatios each regular key's intervals against its reference, over every usable line in file order
 *                 ({@code SilenceCalibrator}); null when not read
 */
public record Dataset(String source, FeatureEncoder encoder, float[] x, float[] mask, int rows, int[] labels, String[] keys,
                      long usable, BadLines bad, List<String> notes, double[] silenceRatios) {

    /** Copies the notes. */
    public Dataset {
        notes = List.copyOf(notes);
    }

    /** @return the rows as training input */
    public TrainingData toTrainingData() {
        return new TrainingData(x, mask, rows, encoder.width(), encoder.layout());
    }
}
