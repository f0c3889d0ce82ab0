package dev.nelbo.schemas.bundle;

import ai.onnx.proto.OnnxMl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the weights of a graph back by the names {@link OnnxMlpWriter} gives them, so that {@link GraphCheck} can write
 * them again and compare. It trusts nothing: every tensor must be float, with raw data of exactly the size its
 * dimensions give, and the layers must chain ({@link MlpWeights}); anything else is refused with the reason.
 */
final class OnnxMlpReader {

    private OnnxMlpReader() {
    }

    /**
     * @param graph      a graph
     * @param activation the activation to rebuild with (the manifest's: the check then compares the nodes)
     * @return its weights
     * @throws IllegalArgumentException saying what does not read as nelbo's
     */
    static MlpWeights read(final OnnxMl.GraphProto graph, final Activation activation) {
        if (graph.getInputCount() != 1) {
            throw new IllegalArgumentException("has " + graph.getInputCount() + " inputs; nelbo's graphs have one");
        }
        final Map<String, OnnxMl.TensorProto> init = new HashMap<>();
        for (final OnnxMl.TensorProto t : graph.getInitializerList()) {
            if (init.put(t.getName(), t) != null) {
                throw new IllegalArgumentException("has two initializers named " + t.getName());
            }
        }
        final OnnxMl.ValueInfoProto input = graph.getInput(0);
        final List<OnnxMl.TensorShapeProto.Dimension> dims = input.getType().getTensorType().getShape().getDimList();
        if (dims.size() != 2 || !dims.get(1).hasDimValue()) {
            throw new IllegalArgumentException("input " + input.getName() + " is not [batch, width]");
        }
        final List<DenseLayer> hidden = new ArrayList<>();
        for (int i = 0; init.containsKey(OnnxMlpWriter.HIDDEN + i + OnnxMlpWriter.WEIGHT); i++) {
            hidden.add(layer(init, OnnxMlpWriter.HIDDEN + i));
        }
        final List<MlpHead> heads = new ArrayList<>();
        for (final OnnxMl.ValueInfoProto out : graph.getOutputList()) {
            final String name = out.getName();
            if (init.containsKey(name + OnnxMlpWriter.WEIGHT)) {
                heads.add(MlpHead.dense(name, layer(init, name)));
            } else if (init.containsKey(name + OnnxMlpWriter.CONSTANT)) {
                final OnnxMl.TensorProto t = init.get(name + OnnxMlpWriter.CONSTANT);
                heads.add(MlpHead.constant(name, floats(t, 1)));
            } else {
                throw new IllegalArgumentException("output " + name + " is neither a dense nor a constant head");
            }
        }
        final long width = dims.get(1).getDimValue();
        if (width < 1 || width > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("input width " + width + " is out of range");
        }
        return new MlpWeights(input.getName(), (int) width, hidden, activation, heads);
    }

    private static DenseLayer layer(final Map<String, OnnxMl.TensorProto> init, final String prefix) {
        final OnnxMl.TensorProto w = init.get(prefix + OnnxMlpWriter.WEIGHT);
        final OnnxMl.TensorProto b = init.get(prefix + OnnxMlpWriter.BIAS);
        if (b == null) {
            throw new IllegalArgumentException("layer " + prefix + " has a weight but no bias");
        }
        final float[] weight = floats(w, 2);
        return new DenseLayer((int) w.getDims(1), (int) w.getDims(0), weight, floats(b, 1));
    }

    /** The values of a float tensor of {@code rank} positive dimensions whose raw data is exactly their product. */
    private static float[] floats(final OnnxMl.TensorProto t, final int rank) {
        if (t.getDataType() != OnnxMl.TensorProto.DataType.FLOAT.getNumber() || t.getDimsCount() != rank) {
            throw new IllegalArgumentException("initializer " + t.getName() + " is not a float tensor of rank " + rank);
        }
        long n = 1;
        for (final long d : t.getDimsList()) {
            if (d < 1 || d > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("initializer " + t.getName() + " has dimension " + d);
            }
            n *= d;
            if (n > Integer.MAX_VALUE / Float.BYTES) {
                throw new IllegalArgumentException("initializer " + t.getName() + " claims " + t.getDimsList() + " values");
            }
        }
        if (t.getRawData().size() != n * Float.BYTES) {
            throw new IllegalArgumentException("initializer " + t.getName() + " " + t.getDimsList() + " holds "
                    + t.getRawData().size() + " bytes, not " + n * Float.BYTES);
        }
        final float[] values = new float[(int) n];
        t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }
}
