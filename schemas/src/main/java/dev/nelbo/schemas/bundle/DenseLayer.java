package dev.nelbo.schemas.bundle;

import java.util.Arrays;

/**
 * A fully connected layer {@code y = W x + b}. {@code weight} is row-major {@code [outputs][inputs]},
 * the layout of a DJL {@code Linear} block and of an ONNX {@code Gemm} with {@code transB=1}, so
 * trained weights move into a graph without a transpose.
 *
 * @param inputs  input width
 * @param outputs output width
 * @param weight  {@code outputs * inputs} values, row-major
 * @param bias    {@code outputs} values
 */
public record DenseLayer(int inputs, int outputs, float[] weight, float[] bias) {

    /**
     * Validates shapes and finiteness.
     *
     * @throws IllegalArgumentException when a dimension does not match or a value is not finite
     */
    public DenseLayer {
        if (inputs <= 0 || outputs <= 0) {
            throw new IllegalArgumentException("layer dims must be positive, got " + outputs + "x" + inputs);
        }
        if (weight.length != inputs * outputs) {
            throw new IllegalArgumentException("weight has " + weight.length + " values, expected " + outputs + "x" + inputs);
        }
        if (bias.length != outputs) {
            throw new IllegalArgumentException("bias has " + bias.length + " values, expected " + outputs);
        }
        requireFinite(weight, "weight");
        requireFinite(bias, "bias");
        weight = weight.clone();
        bias = bias.clone();
    }

    /** @return the weight at row {@code out}, column {@code in} */
    public float weightAt(final int out, final int in) {
        return weight[out * inputs + in];
    }

    @Override
    public float[] weight() {
        return weight.clone();
    }

    @Override
    public float[] bias() {
        return bias.clone();
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof DenseLayer d && d.inputs == inputs && d.outputs == outputs
                && Arrays.equals(d.weight, weight) && Arrays.equals(d.bias, bias);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(weight) + Arrays.hashCode(bias);
    }

    @Override
    public String toString() {
        return "DenseLayer[" + outputs + "x" + inputs + "]";
    }

    static void requireFinite(final float[] values, final String what) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException(what + "[" + i + "] is not finite: " + values[i]);
            }
        }
    }
}
