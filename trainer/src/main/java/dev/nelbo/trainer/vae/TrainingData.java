package dev.nelbo.trainer.vae;

import dev.nelbo.schemas.encoding.ColumnBlock;

import java.util.List;
import java.util.Objects;

/**
 * Encoded rows ready for training: row-major {@code x} and {@code mask} of {@code rows * width}
 * values, and the column layout that says which likelihood each column has. A mask value of 0
 * marks a missing feature (its {@code x} is the encoder's imputed value and its reconstruction
 * term is left out).
 *
 * @param x      encoded values, row-major
 * @param mask   1 where observed, 0 where missing, row-major
 * @param rows   number of rows
 * @param width  encoded width D
 * @param blocks column layout, covering {@code [0, width)} without gaps
 */
public record TrainingData(float[] x, float[] mask, int rows, int width, List<ColumnBlock> blocks) {

    /**
     * @throws IllegalArgumentException when the arrays or the layout do not match the dimensions
     */
    public TrainingData {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(mask, "mask");
        blocks = List.copyOf(blocks);
        if (rows <= 0 || width <= 0) {
            throw new IllegalArgumentException("training data needs rows and columns, got " + rows + "x" + width);
        }
        if ((long) rows * width != x.length || x.length != mask.length) {
            throw new IllegalArgumentException("x has " + x.length + " and mask " + mask.length
                    + " values, expected " + rows + "x" + width);
        }
        int next = 0;
        for (ColumnBlock block : blocks) {
            if (block.offset() != next) {
                throw new IllegalArgumentException("column layout has a gap or overlap at column " + next
                        + " (feature '" + block.feature() + "' starts at " + block.offset() + ")");
            }
            next = block.end();
        }
        if (next != width) {
            throw new IllegalArgumentException("column layout covers " + next + " columns, data has " + width);
        }
    }

    /** @return the width of the reconstructed columns; context columns (last) take the rest of {@link #width()} */
    public int reconstructedWidth() {
        return ColumnBlock.reconstructedWidth(blocks, width);
    }

    /** @return the blocks the decoder reconstructs */
    public List<ColumnBlock> reconstructedBlocks() {
        return ColumnBlock.reconstructed(blocks);
    }

    /** @return whether every value is observed (no mask entry is 0) */
    boolean allObserved() {
        for (float m : mask) {
            if (m == 0f) {
                return false;
            }
        }
        return true;
    }

    /** Copies the listed rows into a new data set (used for the train/validation split). */
    TrainingData select(final int[] rowIndices) {
        final float[] sx = new float[rowIndices.length * width];
        final float[] sm = new float[rowIndices.length * width];
        for (int i = 0; i < rowIndices.length; i++) {
            System.arraycopy(x, rowIndices[i] * width, sx, i * width, width);
            System.arraycopy(mask, rowIndices[i] * width, sm, i * width, width);
        }
        return new TrainingData(sx, sm, rowIndices.length, width, blocks);
    }
}
