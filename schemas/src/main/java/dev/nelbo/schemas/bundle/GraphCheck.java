package dev.nelbo.schemas.bundle;

import ai.onnx.proto.OnnxMl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether an ONNX graph is one nelbo could have written ({@link OnnxMlpWriter}): only its operators, in the
 * default domain and opset, with every weight inside the file. A graph from anywhere else is refused before
 * ONNX Runtime sees it, so a hostile bundle cannot make it read other files (external data), run loops or
 * subgraphs, or allocate tensors of a size it chooses ({@code ConstantOfShape}, {@code Expand}, {@code Tile}).
 */
final class GraphCheck {

    /**
     * The operators of every graph nelbo has written: today's ({@link OnnxMlpWriter#OPERATORS}) and {@code Elu},
     * which bundles written before ELU became four vectorised operators use (they keep serving after an upgrade).
     */
    static final Set<String> OPERATORS = union(OnnxMlpWriter.OPERATORS, Set.of("Elu"));

    private GraphCheck() {
    }

    private static Set<String> union(final Set<String> a, final Set<String> b) {
        final Set<String> all = new TreeSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }

    /**
     * @param file an ONNX model file
     * @return what makes it foreign, empty when it is one of nelbo's graphs
     */
    static List<String> problems(final Path file) {
        final OnnxMl.ModelProto model;
        try (InputStream in = Files.newInputStream(file)) {
            model = OnnxMl.ModelProto.parseFrom(in);
        } catch (final IOException e) {
            return List.of("not an ONNX model: " + e.getMessage());
        }
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
}
