package dev.nelbo.trainer.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A block's initialised parameters moved into one flat tensor: every {@link Parameter}'s array becomes a
 * view of a slice of it, so one fused optimizer update covers all of them.
 *
 * <p>Why: DJL's optimizers update one parameter per native call, a dozen small tensor operations each.
 * For a model this small that per-call cost, not arithmetic, dominated the optimizer step (about a
 * quarter of a training step for 15 parameters). On one flat buffer the same Adam arithmetic is one call
 * on one tensor. Forward passes, gradients and the export keep reading the parameters as before: the
 * views share the flat tensor's memory.
 */
final class FlatParameters {

    private final NDArray flat;
    private final List<NDArray> arrays = new ArrayList<>();
    /** Flattened views of the parameters' gradient tensors, fetched after the first backward pass. */
    private NDList gradients;

    /**
     * @param block   an initialised block; its parameter arrays are re-pointed at views of the flat tensor
     * @param manager owns the flat tensor (must outlive the block's use)
     */
    FlatParameters(final Block block, final NDManager manager) {
        final List<Parameter> parameters = new ArrayList<>();
        block.getParameters().forEach(pair -> parameters.add(pair.getValue()));
        try (NDManager scratch = manager.newSubManager()) {
            final NDList pieces = new NDList();
            for (Parameter parameter : parameters) {
                // Detached: the flat tensor must be a leaf of its own, not a function of the old arrays.
                final NDArray piece = parameter.getArray().stopGradient();
                piece.attach(scratch);
                pieces.add(piece.reshape(-1));
            }
            flat = NDArrays.concat(pieces);
            flat.attach(manager);
        }
        long offset = 0;
        for (Parameter parameter : parameters) {
            final NDArray array = parameter.getArray();
            final Shape shape = array.getShape();
            try (NDArray slice = flat.get(new NDIndex("{}:{}", offset, offset + shape.size()))) {
                // The parameter's array object takes over the view's native handle: everything holding the
                // Parameter (the block, the export, DJL's ParameterStore) now reads the flat tensor's memory.
                array.intern(slice.reshape(shape));
            }
            array.setRequiresGradient(parameter.requiresGradient());
            arrays.add(array);
            offset += shape.size();
        }
    }

    /** @return the flat tensor of all parameter values, in {@link Block#getParameters()} order */
    NDArray values() {
        return flat;
    }

    /**
     * @param manager owns the result
     * @param limit   element-wise clip: every value ends up in {@code [-limit, limit]} (DJL's optimizers would
     *                clip from above only)
     * @return the gradients of the last backward pass, flattened in the order of {@link #values()}, clipped
     */
    NDArray gradient(final NDManager manager, final float limit) {
        if (gradients == null) {
            // The gradient tensors are fetched once: zeroGradients() keeps them defined, and PyTorch then
            // accumulates every later backward pass into the same tensors in place (AccumulateGrad without
            // create_graph), so these views stay current. FlatParametersTest checks that on every upgrade.
            gradients = new NDList(arrays.size());
            for (NDArray array : arrays) {
                try (NDArray gradient = array.getGradient()) {
                    gradients.add(gradient.reshape(-1));
                }
            }
        }
        final NDArray gradient = NDArrays.concat(gradients);
        gradient.attach(manager);
        return gradient.clip(-limit, limit);
    }

    /** Zeroes every parameter's gradient in place (the tensors stay defined), ready for the next backward pass. */
    void zeroGradients() {
        for (NDArray array : arrays) {
            // In place (zero_), not arithmetic: a NaN gradient must not survive into the next step, and DJL's
            // engine-neutral API has no per-array zero-grad.
            JniUtils.zeroGrad((PtNDArray) array);
        }
    }

    /** @return a copy of all parameter values */
    float[] snapshot() {
        return flat.toFloatArray();
    }

    /**
     * Writes values back into the flat tensor (in place, so the parameter views keep pointing at it).
     *
     * @param values from {@link #snapshot()}
     */
    void restore(final float[] values) {
        try (NDManager scratch = flat.getManager().newSubManager()) {
            flat.set(new NDIndex(":"), scratch.create(FloatBuffer.wrap(values), flat.getShape()));
        }
    }
}
