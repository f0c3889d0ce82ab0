package dev.nelbo.schemas.bundle;

import ai.onnx.proto.OnnxMl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether an ONNX graph is exactly one nelbo could have written ({@link OnnxMlpWriter}) for the architecture its
 * manifest states. First the cheap checks: only the writer's operators, in the default domain and opset, no local
 * functions, subgraphs, sparse or external weights, so a hostile bundle cannot make ONNX Runtime read other files,
 * run loops or allocate tensors of a size it chooses ({@code ConstantOfShape}, {@code Expand}, {@code Tile}). Then
 * the exact form: the graph's weights are read back by the writer's naming, written again by the writer, and the
 * two graphs must be equal (node names aside, which earlier writers chose differently). Operators alone are not
 * enough: a broadcast {@code Sub} of a [32768, 1] and a [1, 32768] initializer uses only allowed operators and
 * builds a 4 GiB tensor. With the exact form, every tensor the graph computes is [batch, width] for a width of one
 * of its weight matrices, and the hidden widths and activation must be the manifest's.
 */
final class GraphCheck {

    /** The one operator of an ELU layer in graphs written before 2026-12. */
    private static final String LEGACY_ELU = "Elu";

    /**
     * The operators of every graph nelbo has written: today's ({@link OnnxMlpWriter#OPERATORS}) and {@code Elu},
     * which bundles written before ELU became four vectorised operators use (they keep serving after an upgrade).
     */
    static final Set<String> OPERATORS = union(OnnxMlpWriter.OPERATORS, Set.of(LEGACY_ELU));

    private GraphCheck() {
    }

    private static Set<String> union(final Set<String> a, final Set<String> b) {
        final Set<String> all = new TreeSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }

    /**
     * @param file       an ONNX model file
     * @param hidden     the hidden widths the manifest states for this graph
     * @param activation the manifest's activation
     * @return what makes it foreign, empty when it is one of nelbo's graphs of this architecture
     */
    static List<String> problems(final Path file, final List<Integer> hidden, final Activation activation) {
        final OnnxMl.ModelProto model;
        try (InputStream in = Files.newInputStream(file)) {
            model = OnnxMl.ModelProto.parseFrom(in);
        } catch (final IOException e) {
            return List.of("not an ONNX model: " + e.getMessage());
        }
        final List<String> problems = foreignParts(model);
        if (!problems.isEmpty()) {
            return problems;
        }
        try {
            final MlpWeights weights = OnnxMlpReader.read(model.getGraph(), activation);
            final List<Integer> widths = weights.hiddenWidths();
            if (!widths.equals(hidden)) {
                return List.of("has hidden widths " + widths + " where the manifest states " + hidden);
            }
            final Map<String, String> metadata = new LinkedHashMap<>();
            model.getMetadataPropsList().forEach(e -> metadata.put(e.getKey(), e.getValue()));
            final OnnxMl.ModelProto written = OnnxMl.ModelProto.parseFrom(OnnxMlpWriter.toBytes(weights,
                    model.getGraph().getName(), metadata));
            final OnnxMl.ModelProto actual = withoutNodeNames(model);
            if (!actual.equals(withoutNodeNames(written))
                    && !(activation == Activation.ELU && actual.equals(withoutNodeNames(withEluNodes(written))))) {
                return List.of("is not the exact graph nelbo writes for its own weights: " + difference(actual,
                        withoutNodeNames(written)));
            }
        } catch (final IllegalArgumentException | IOException e) {
            return List.of(e.getMessage());
        }
        return List.of();
    }

    /** Operators, domains, functions, subgraphs and weights from elsewhere: what must not even be read further. */
    private static List<String> foreignParts(final OnnxMl.ModelProto model) {
        final List<String> problems = new ArrayList<>();
        for (final OnnxMl.OperatorSetIdProto opset : model.getOpsetImportList()) {
            if (!opset.getDomain().isEmpty() && !opset.getDomain().equals("ai.onnx")) {
                problems.add("imports operator domain '" + opset.getDomain() + "'");
            } else if (opset.getVersion() > OnnxMlpWriter.OPSET) {
                problems.add("needs opset " + opset.getVersion() + " (nelbo writes " + OnnxMlpWriter.OPSET + ")");
            }
        }
        if (model.getFunctionsCount() > 0) {
            problems.add("defines " + model.getFunctionsCount() + " local function(s)");
        }
        final OnnxMl.GraphProto graph = model.getGraph();
        for (final OnnxMl.NodeProto node : graph.getNodeList()) {
            if (!node.getDomain().isEmpty() || !OPERATORS.contains(node.getOpType())) {
                problems.add("uses operator " + (node.getDomain().isEmpty() ? "" : node.getDomain() + ".") + node.getOpType()
                        + " (nelbo's graphs use only " + new TreeSet<>(OPERATORS) + ")");
            }
            for (final OnnxMl.AttributeProto a : node.getAttributeList()) {
                if (a.hasG() || a.getGraphsCount() > 0) {
                    problems.add("node " + node.getName() + " carries a subgraph");
                }
            }
        }
        if (graph.getSparseInitializerCount() > 0) {
            problems.add("has sparse initializers");
        }
        for (final OnnxMl.TensorProto t : graph.getInitializerList()) {
            if (t.getDataLocation() == OnnxMl.TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
                problems.add("initializer " + t.getName() + " points at external data");
            }
        }
        return problems.stream().distinct().limit(5).toList();
    }

    /** The model as the writer wrote it before ELU became four operators: one {@code Elu} node per hidden layer. */
    private static OnnxMl.ModelProto withEluNodes(final OnnxMl.ModelProto model) {
        final OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder().clearNode().clearInitializer();
        for (final OnnxMl.TensorProto t : model.getGraph().getInitializerList()) {
            if (!OnnxMlpWriter.ELU_CONSTANTS.contains(t.getName())) {
                g.addInitializer(t);
            }
        }
        for (final OnnxMl.NodeProto n : model.getGraph().getNodeList()) {
            // of the four, Max writes the layer's output from its linear input
            if (n.getOpType().equals("Max")) {
                g.addNode(OnnxMl.NodeProto.newBuilder().setOpType(LEGACY_ELU).addInput(n.getInput(0)).addOutput(n.getOutput(0)));
            } else if (!Set.of("Min", "Exp", "Sub").contains(n.getOpType())) {
                g.addNode(n);
            }
        }
        return model.toBuilder().setGraph(g).build();
    }

    private static OnnxMl.ModelProto withoutNodeNames(final OnnxMl.ModelProto model) {
        final OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            g.setNode(i, g.getNode(i).toBuilder().clearName());
        }
        return model.toBuilder().setGraph(g).build();
    }

    /** Where two models first differ, for the refusal's message. */
    private static String difference(final OnnxMl.ModelProto actual, final OnnxMl.ModelProto written) {
        final OnnxMl.GraphProto a = actual.getGraph();
        final OnnxMl.GraphProto w = written.getGraph();
        if (!a.getNodeList().equals(w.getNodeList())) {
            return "its nodes " + ops(a) + " are not " + ops(w);
        }
        if (!a.getInitializerList().equals(w.getInitializerList())) {
            return "its initializers " + a.getInitializerList().stream().map(t -> t.getName() + t.getDimsList()).toList()
                    + " are not " + w.getInitializerList().stream().map(t -> t.getName() + t.getDimsList()).toList();
        }
        if (!a.getInputList().equals(w.getInputList()) || !a.getOutputList().equals(w.getOutputList())) {
            return "its inputs or outputs differ";
        }
        return "its model fields (IR version, producer, opsets, value infos or doc strings) differ";
    }

    private static List<String> ops(final OnnxMl.GraphProto g) {
        return g.getNodeList().stream().map(n -> n.getOpType() + n.getInputList() + "->" + n.getOutputList()).limit(12).toList();
    }
}
