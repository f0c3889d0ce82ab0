package dev.nelbo.trainer.vae;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlatParametersTest {

    private static SequentialBlock twoLayers(final NDManager manager) {
        final SequentialBlock block = new SequentialBlock()
                .add(Linear.builder().setUnits(5).build())
                .add(Linear.builder().setUnits(3).build());
        block.initialize(manager, DataType.FLOAT32, new Shape(2, 4));
        return block;
    }

    private static List<Parameter> parameters(final SequentialBlock block) {
        final List<Parameter> list = new ArrayList<>();
        block.getParameters().forEach(pair -> list.add(pair.getValue()));
        return list;
    }

    private static float[] concatenated(final List<Parameter> parameters, final boolean gradients) {
        final List<Float> values = new ArrayList<>();
        for (Parameter parameter : parameters) {
            try (NDArray array = gradients ? parameter.getArray().getGradient() : parameter.getArray().duplicate()) {
                for (float v : array.toFloatArray()) {
                    values.add(v);
                }
            }
        }
        final float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    @Test
    void parameters_become_views_of_one_flat_tensor_that_restore_writes_through() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            final SequentialBlock block = twoLayers(manager);
            final List<Parameter> parameters = parameters(block);
            final float[] initial = concatenated(parameters, false);
            final FlatParameters flat = new FlatParameters(block, manager);
            assertEquals(4 * 5 + 5 + 5 * 3 + 3, flat.values().size());
            assertArrayEquals(initial, flat.snapshot());
            assertArrayEquals(initial, concatenated(parameters, false));

            final float[] shifted = initial.clone();
            for (int i = 0; i < shifted.length; i++) {
                shifted[i] += i;
            }
            flat.restore(shifted);
            // The block's own arrays see the write: they share the flat tensor's memory.
            assertArrayEquals(shifted, concatenated(parameters, false));
            flat.values().subi(1f);
            final float[] lowered = shifted.clone();
            for (int i = 0; i < lowered.length; i++) {
                lowered[i] -= 1f;
            }
            assertArrayEquals(lowered, concatenated(parameters, false), 1e-6f);
        }
    }

    @Test
    void the_flat_gradient_follows_every_backward_pass_after_zeroing() {
        Engine.getEngine("PyTorch").setRandomSeed(3);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            final SequentialBlock block = twoLayers(manager);
            final List<Parameter> parameters = parameters(block);
            final FlatParameters flat = new FlatParameters(block, manager);
            final ParameterStore store = new ParameterStore(manager, false);
            float[] previous = null;
            for (int step = 0; step < 3; step++) {
                try (NDManager batch = manager.newSubManager()) {
                    final NDArray x = batch.randomNormal(new Shape(2, 4));
                    try (GradientCollector collector = batch.getEngine().newGradientCollector()) {
                        final NDArray out = block.forward(store, new NDList(x), true).singletonOrThrow();
                        collector.backward(out.square().sum());
                    }
                    final float[] expected = concatenated(parameters, true);
                    final float[] actual = flat.gradient(batch, Float.MAX_VALUE).toFloatArray();
                    assertArrayEquals(expected, actual, 0f, "step " + step);
                    if (previous != null) {
                        // A different batch: a stale (cached but no longer current) gradient would repeat.
                        assertFalse(java.util.Arrays.equals(previous, actual), "step " + step);
                    }
                    previous = actual;
                    flat.zeroGradients();
                    assertEquals(0f, flat.gradient(batch, Float.MAX_VALUE).abs().sum().getFloat());
                }
            }
        }
    }

    @Test
    void the_gradient_is_clipped_on_both_sides() {
        Engine.getEngine("PyTorch").setRandomSeed(5);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            final SequentialBlock block = twoLayers(manager);
            final FlatParameters flat = new FlatParameters(block, manager);
            final ParameterStore store = new ParameterStore(manager, false);
            final NDArray x = manager.randomNormal(new Shape(2, 4)).mul(10f);
            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                final NDArray out = block.forward(store, new NDList(x), true).singletonOrThrow();
                // Steep in both directions: positive outputs push gradients one way, negative the other.
                collector.backward(out.pow(3).sum());
            }
            final float[] raw = flat.gradient(manager, Float.MAX_VALUE).toFloatArray();
            final float[] clipped = flat.gradient(manager, 0.5f).toFloatArray();
            boolean below = false;
            boolean above = false;
            for (int i = 0; i < raw.length; i++) {
                assertEquals(Math.max(-0.5f, Math.min(0.5f, raw[i])), clipped[i], 0f);
                below |= raw[i] < -0.5f;
                above |= raw[i] > 0.5f;
            }
            assertTrue(below && above, "the test needs gradients beyond the limit on both sides");
        }
    }
}
