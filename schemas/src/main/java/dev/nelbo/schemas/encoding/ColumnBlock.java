package dev.nelbo.schemas.encoding;

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
 */
public record ColumnBlock(String feature, Likelihood likelihood, int offset, int width) {

    /**
     * @throws IllegalArgumentException for a negative offset, a non-positive width, or a width other
     *                                  than 1 for a Gaussian or Bernoulli feature
     */
    public ColumnBlock {
        Objects.requireNonNull(feature, "feature");
        Objects.requireNonNull(likelihood, "likelihood");
        if (offset < 0 || width <= 0) {
            throw new IllegalArgumentException("feature '" + feature + "': bad column range offset=" + offset + " width=" + width);
        }
        if (likelihood != Likelihood.CATEGORICAL && width != 1) {
            throw new IllegalArgumentException("feature '" + feature + "': a " + likelihood.wireName() + " feature has width 1, got " + width);
        }
        if (likelihood == Likelihood.CATEGORICAL && width < 2) {
            throw new IllegalArgumentException("feature '" + feature + "': a categorical block needs at least 2 columns, got " + width);
        }
    }

    /** @return one past the last column */
    public int end() {
        return offset + width;
    }
}
