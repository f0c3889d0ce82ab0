package dev.nelbo.engine.elbo;

import dev.nelbo.schemas.encoding.ColumnBlock;

import java.util.ArrayList;
import java.util.List;

/**
 * The manifest's column layout compiled for the hot loop: one index array per likelihood, so the
 * per-sample loop runs over plain ints instead of dispatching on each block.
 */
public final class FeatureLayout {

    private final List<ColumnBlock> blocks;
    private final int width;
    final int[] gaussianColumns;
    final int[] gaussianFeatures;
    final int[] bernoulliColumns;
    final int[] bernoulliFeatures;
    final int[] categoricalFeatures;
    /** First Gaussian column when the Gaussian columns form one contiguous run (the usual case), else -1. */
    final int gaussianRunStart;

    /**
     * @param blocks one block per feature, in feature order
     * @param width  encoded width D
     * @throws IllegalArgumentException unless the blocks tile {@code [0, width)} exactly once
     */
    public FeatureLayout(final List<ColumnBlock> blocks, final int width) {
        this.blocks = List.copyOf(blocks);
        this.width = width;
        if (this.blocks.isEmpty()) {
            throw new IllegalArgumentException("the layout has no features");
        }
        final int[] owner = new int[width];
        java.util.Arrays.fill(owner, -1);
        final List<Integer> gauss = new ArrayList<>();
        final List<Integer> bern = new ArrayList<>();
        final List<Integer> cat = new ArrayList<>();
        for (int f = 0; f < this.blocks.size(); f++) {
            final ColumnBlock b = this.blocks.get(f);
            if (b.end() > width) {
                throw new IllegalArgumentException("feature '" + b.feature() + "' ends at column " + b.end()
                        + " but the encoded width is " + width);
            }
            for (int c = b.offset(); c < b.end(); c++) {
                if (owner[c] >= 0) {
                    throw new IllegalArgumentException("column " + c + " belongs to both '"
                            + this.blocks.get(owner[c]).feature() + "' and '" + b.feature() + "'");
                }
                owner[c] = f;
            }
            switch (b.likelihood()) {
                case GAUSSIAN -> gauss.add(f);
                case BERNOULLI -> bern.add(f);
                case CATEGORICAL -> cat.add(f);
                default -> throw new IllegalArgumentException("unsupported likelihood " + b.likelihood());
            }
        }
        for (int c = 0; c < width; c++) {
            if (owner[c] < 0) {
                throw new IllegalArgumentException("column " + c + " belongs to no feature");
            }
        }
        gaussianFeatures = toArray(gauss);
        gaussianColumns = columnsOf(gaussianFeatures);
        bernoulliFeatures = toArray(bern);
        bernoulliColumns = columnsOf(bernoulliFeatures);
        categoricalFeatures = toArray(cat);
        gaussianRunStart = contiguousStart(gaussianColumns);
    }

    /** @return the blocks, in feature order */
    public List<ColumnBlock> blocks() {
        return blocks;
    }

    /** @return number of features F (contributions and expected values have this many per record) */
    public int featureCount() {
        return blocks.size();
    }

    /** @return encoded width D */
    public int width() {
        return width;
    }

    /**
     * @param feature feature index
     * @return the feature's block
     */
    public ColumnBlock block(final int feature) {
        return blocks.get(feature);
    }

    /** @return whether any feature is Gaussian (and so reads the decoder's log-variance) */
    public boolean hasGaussian() {
        return gaussianColumns.length > 0;
    }

    private int[] columnsOf(final int[] features) {
        final int[] cols = new int[features.length];
        for (int i = 0; i < features.length; i++) {
            cols[i] = blocks.get(features[i]).offset();
        }
        return cols;
    }

    private static int contiguousStart(final int[] columns) {
        for (int i = 1; i < columns.length; i++) {
            if (columns[i] != columns[0] + i) {
                return -1;
            }
        }
        return columns.length == 0 ? -1 : columns[0];
    }

    private static int[] toArray(final List<Integer> values) {
        return values.stream().mapToInt(Integer::intValue).toArray();
    }
}
