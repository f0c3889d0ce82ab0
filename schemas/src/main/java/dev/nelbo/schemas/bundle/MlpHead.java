package dev.nelbo.schemas.bundle;

import java.util.Objects;

/**
 * A named output of an {@link MlpWeights} graph: either a linear layer on the last hidden layer
 * (output shape {@code [batch, outputs]}) or a learned constant that does not depend on the input
 * (output shape {@code [outputs]}, e.g. a per-feature log-variance; the scoring engine broadcasts it,
 * which keeps it out of the per-row matrix multiply).
 *
 * @param name     ONNX output name
 * @param layer    linear head, or null for a constant head
 * @param constant constant values, or null for a linear head
 */
public record MlpHead(String name, DenseLayer layer, float[] constant) {

    /**
     * @throws IllegalArgumentException unless exactly one of layer and constant is given
     */
    public MlpHead {
        Objects.requireNonNull(name, "name");
        if ((layer == null) == (constant == null)) {
            throw new IllegalArgumentException("head '" + name + "' needs exactly one of a layer or a constant");
        }
        if (constant != null) {
            DenseLayer.requireFinite(constant, name);
            constant = constant.clone();
        }
    }

    /** @return a linear head */
    public static MlpHead dense(final String name, final DenseLayer layer) {
        return new MlpHead(name, Objects.requireNonNull(layer, "layer"), null);
    }

    /** @return a constant head of shape {@code [values.length]} */
    public static MlpHead constant(final String name, final float[] values) {
        return new MlpHead(name, null, Objects.requireNonNull(values, "values"));
    }

    /** @return output width */
    public int width() {
        return layer != null ? layer.outputs() : constant.length;
    }

    @Override
    public float[] constant() {
        return constant == null ? null : constant.clone();
    }
}
