package dev.nelbo.schemas.bundle;

import ai.onnx.proto.OnnxMl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes an {@link MlpWeights} as an ONNX graph: {@code Gemm(transB=1)} plus activation per hidden
 * layer (ELU as its formula, see {@link #addElu}), one {@code Gemm} per dense head and an {@code Identity}
 * of an initializer per constant head.
 * The batch dimension is symbolic ({@code batch}), so one graph serves every batch size.
 *
 * <p>This is the only place nelbo builds ONNX graphs: the trainer exports through it and tests build
 * models with known weights through it, so what the scorer loads is produced one way.
 */
public final class OnnxMlpWriter {

    /** ONNX IR version written (IR 8 = ONNX 1.10+, read by every supported ONNX Runtime). */
    public static final long IR_VERSION = 8L;
    /** Default-domain opset the graphs use; every operator here is unchanged since opset 13. */
    public static final long OPSET = 17L;
    /** Every operator the graphs use: a bundle whose graphs use another was not written here ({@link GraphCheck}). */
    public static final java.util.Set<String> OPERATORS = java.util.Set.of("Gemm", "Tanh", "Relu", "Softplus", "Min", "Exp",
            "Sub", "Max", "Identity");
    /** Symbolic name of the dynamic batch dimension. */
    public static final String BATCH_DIM = "batch";
    private static final String ELU_ZERO = "elu_zero";
    private static final String ELU_ONE = "elu_one";
    /** The initializers the ELU form shares between layers (not weights: {@link OnnxMlpReader} skips them). */
    static final java.util.Set<String> ELU_CONSTANTS = java.util.Set.of(ELU_ZERO, ELU_ONE);
    /** Names the writer gives, which {@link OnnxMlpReader} reads back: a layer's weight, bias, and a constant head. */
    static final String WEIGHT = "_W";
    static final String BIAS = "_b";
    static final String CONSTANT = "_value";
    static final String HIDDEN = "hidden";

    private OnnxMlpWriter() {
    }

    /**
     * Builds the ONNX model.
     *
     * @param mlp       weights
     * @param graphName graph name (e.g. "nelbo-encoder")
     * @param metadata  key/value pairs stored as model metadata (provenance, model version)
     * @return the serialised model
     */
    public static byte[] toBytes(final MlpWeights mlp, final String graphName, final Map<String, String> metadata) {
        final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder().setName(graphName);
        graph.addInput(valueInfo(mlp.inputName(), mlp.inputWidth(), true));
        String current = mlp.inputName();
        for (int i = 0; i < mlp.hidden().size(); i++) {
            final String pre = HIDDEN + i + "_linear";
            final String post = HIDDEN + i;
            addGemm(graph, post, current, mlp.hidden().get(i), pre);
            switch (mlp.activation()) {
                case TANH -> node(graph, "Tanh", post, pre);
                case RELU -> node(graph, "Relu", post, pre);
                case SOFTPLUS -> node(graph, "Softplus", post, pre);
                case ELU -> addElu(graph, pre, post, i == 0);
            }
            current = post;
        }
        for (MlpHead head : mlp.heads()) {
            if (head.layer() != null) {
                addGemm(graph, head.name(), current, head.layer(), head.name());
                graph.addOutput(valueInfo(head.name(), head.layer().outputs(), true));
            } else {
                final float[] c = head.constant();
                final String init = head.name() + CONSTANT;
                graph.addInitializer(tensor(init, c, c.length));
                graph.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Identity").setName(head.name() + "_identity")
                        .addInput(init).addOutput(head.name()));
                graph.addOutput(valueInfo(head.name(), c.length, false));
            }
        }
        final OnnxMl.ModelProto.Builder model = OnnxMl.ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName("nelbo")
                .setGraph(graph)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET));
        metadata.forEach((k, v) -> model.addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return model.build().toByteArray();
    }

    /**
     * Writes the model to a file.
     *
     * @param mlp       weights
     * @param graphName graph name
     * @param metadata  model metadata
     * @param file      target file (replaced)
     * @throws UncheckedIOException when the file cannot be written
     */
    public static void write(final MlpWeights mlp, final String graphName, final Map<String, String> metadata, final Path file) {
        try {
            Files.write(file, toBytes(mlp, graphName, metadata));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write ONNX graph " + file, e);
        }
    }

    /**
     * ELU as {@code max(x, exp(min(x, 0)) - 1)} (equal to it for every x: {@code exp(x) - 1 >= x}). ONNX Runtime's
     * CPU {@code Elu} kernel is not vectorised: with two hidden layers of 64 it took half of the scoring engine's
     * time, and these four vectorised operators do the same in about a quarter of that.
     */
    private static void addElu(final OnnxMl.GraphProto.Builder graph, final String in, final String out, final boolean first) {
        if (first) {
            graph.addInitializer(tensor(ELU_ZERO, new float[] {0f}));
            graph.addInitializer(tensor(ELU_ONE, new float[] {1f}));
        }
        node(graph, "Min", out + "_neg", in, ELU_ZERO);
        node(graph, "Exp", out + "_exp", out + "_neg");
        node(graph, "Sub", out + "_expm1", out + "_exp", ELU_ONE);
        node(graph, "Max", out, in, out + "_expm1");
    }

    private static void node(final OnnxMl.GraphProto.Builder graph, final String op, final String out, final String... in) {
        final OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder().setOpType(op).setName(out + "_" + op.toLowerCase(
                java.util.Locale.ROOT));
        for (final String i : in) {
            n.addInput(i);
        }
        graph.addNode(n.addOutput(out));
    }

    private static void addGemm(final OnnxMl.GraphProto.Builder graph, final String prefix, final String input,
                                final DenseLayer layer, final String output) {
        final String w = prefix + WEIGHT;
        final String b = prefix + BIAS;
        graph.addInitializer(tensor(w, layer.weight(), layer.outputs(), layer.inputs()));
        graph.addInitializer(tensor(b, layer.bias(), layer.outputs()));
        graph.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Gemm").setName(prefix + "_gemm")
                .addInput(input).addInput(w).addInput(b).addOutput(output)
                .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("transB").setI(1)
                        .setType(OnnxMl.AttributeProto.AttributeType.INT)));
    }

    private static OnnxMl.TensorProto tensor(final String name, final float[] values, final long... dims) {
        final ByteBuffer raw = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        final OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name)
                .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                .setRawData(com.google.protobuf.ByteString.copyFrom(raw.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    private static OnnxMl.ValueInfoProto valueInfo(final String name, final int width, final boolean batched) {
        final OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        if (batched) {
            shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH_DIM));
        }
        shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(width));
        return OnnxMl.ValueInfoProto.newBuilder().setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                        .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setShape(shape)))
                .build();
    }
}
