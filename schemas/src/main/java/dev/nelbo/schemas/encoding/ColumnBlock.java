package dev.nelbo.schemas.encoding;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Objects;

/**
 * Where one feature lives in the encoded vector: columns {@code [offset, offset + width)}. Continuous
 * and binary features take one column, a categorical feature one column per vocabulary entry plus
 * one out-of-vocabulary column. The observed-mask is the same for every column of a block.
 *
 * @param feature    feature name
 * @param likelihood decoder likelihood
 * @param offset     first column
 * @param width      number of columns
 * @param context    whether the feature is context: part of the encoder's and the decoder's input, not
 *                   reconstructed (context blocks follow all others)
 */
public record ColumnBlock(String feature, Likelihood likelihood, int offset, int width,
                          @JsonInclude(JsonInclude.Include.NON_NULL) Boolean context) {

    /**
     * @throws IllegalArgumentException for a negative offset, a non-positive width, or a width other
     *                                  than 1 for a Gaussian or Bernoulli feature
     */
    public ColumnBlock {
        Objects.requireNonNull(feature, "feature");
        Objects.requireNonNull(likelihood, "likelihood");
        // false is written as nothing: a layout without context reads and writes as before
        context = Boolean.TRUE.equals(context) ? Boolean.TRUE : null;
        if (offset < 0 || width <= 0) {
            throw new IllegalArgumentException("feature '" + feature + "': bad column range offset=" + offset + " width=" + width);
        }
        if (likelihood == Likelihood.CYCLIC) {
            if (width != 2 || context == null) {
                throw new IllegalArgumentException("feature '" + feature + "': a time feature is a context block of 2 columns");
            }
        } else if (likelihood != Likelihood.CATEGORICAL && width != 1) {
            throw new IllegalArgumentException("feature '" + feature + "': a " + likelihood.wireName() + " feature has width 1, got " + width);
        }
        if (likelihood == Likelihood.CATEGORICAL && width < 2) {
            throw new IllegalArgumentException("feature '" + feature + "': a categorical block needs at least 2 columns, got " + width);
        }
    }

    /**
     * A block that is reconstructed (not context).
     *
     * @param feature    feature name
     * @param likelihood decoder likelihood
     * @param offset     first column
     * @param width      number of columns
     */
    public ColumnBlock(final String feature, final Likelihood likelihood, final int offset, final int width) {
        this(feature, likelihood, offset, width, null);
    }

    /** @return whether the block is context (conditions the model, not reconstructed) */
    public boolean contextual() {
        return context != null;
    }

    /**
     * @param layout a feature layout (context blocks last)
     * @return the blocks a decoder reconstructs: every block but the context ones
     */
    public static List<ColumnBlock> reconstructed(final List<ColumnBlock> layout) {
        return layout.stream().filter(b -> !b.contextual()).toList();
    }

    /**
     * @param layout a feature layout (context blocks last)
     * @param width  its total width D
     * @return the width Dx of the reconstructed columns {@code [0, Dx)}: where the first context block starts, or D
     */
    public static int reconstructedWidth(final List<ColumnBlock> layout, final int width) {
        return layout.stream().filter(ColumnBlock::contextual).mapToInt(ColumnBlock::offset).findFirst().orElse(width);
    }

    /** @return one past the last column */
    public int end() {
        return offset + width;
    }

    /**
     * @param x   encoded rows
     * @param row offset of one row in {@code x}
     * @return the block's column with the largest value in that row: a categorical's value (a missing one is
     * imputed with the training frequencies, so its most frequent value)
     */
    public int hottest(final float[] x, final int row) {
        int hot = 0;
        for (int k = 1; k < width; k++) {
            if (x[row + offset + k] > x[row + offset + hot]) {
                hot = k;
            }
        }
        return hot;
    }
}
