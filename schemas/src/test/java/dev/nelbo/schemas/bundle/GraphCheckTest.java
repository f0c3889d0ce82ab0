package dev.nelbo.schemas.bundle;

import ai.onnx.proto.OnnxMl;
import dev.nelbo.schemas.testing.TestBundles;
import dev.nelbo.schemas.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GraphCheckTest {

    @TempDir
    Path dir;

    @Test
    void the_writers_graphs_pass_for_every_activation() {
        for (final Activation a : Activation.values()) {
            final Path f = dir.resolve(a + ".onnx");
            final MlpWeights[] vae = TestBundles.randomVae(1, 6, 8, 2);
            final MlpWeights enc = new MlpWeights(vae[0].inputName(), vae[0].inputWidth(), vae[0].hidden(), a, vae[0].heads());
            OnnxMlpWriter.write(enc, "enc", java.util.Map.of(), f);
            assertEquals(List.of(), GraphCheck.problems(f, List.of(8), a), a.name());
        }
    }

    @Test
    void a_graph_of_an_earlier_nelbo_with_an_elu_node_still_passes() throws Exception {
        final MlpWeights[] vae = TestBundles.randomVae(1, 6, 8, 2);
        final OnnxMl.ModelProto model = OnnxMl.ModelProto.parseFrom(OnnxMlpWriter.toBytes(vae[0], "enc", java.util.Map.of()));
        final OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder();
        // as written before 2026-12: one activation node per hidden layer, named hidden<i>_act
        g.setNode(1, OnnxMl.NodeProto.newBuilder().setOpType("Elu").setName("hidden0_act").addInput("hidden0_linear")
                .addOutput("hidden0"));
        final Path f = dir.resolve("old.onnx");
        Files.write(f, model.toBuilder().setGraph(g).build().toByteArray());
        assertEquals(List.of(), GraphCheck.problems(f, List.of(8), Activation.ELU));
        assertTrue(GraphCheck.problems(f, List.of(8), Activation.TANH).get(0).contains("exact graph"),
                "an Elu node where the manifest says tanh");
        g.setNode(1, g.getNode(1).toBuilder().setOpType("Tanh"));
        Files.write(f, model.toBuilder().setGraph(g).build().toByteArray());
        assertEquals(List.of(), GraphCheck.problems(f, List.of(8), Activation.TANH), "old node names are not the form");
    }

    /**
     * Allowed operators are not enough: a broadcast Sub of a [32768, 1] and a [1, 32768] initializer builds a 4 GiB
     * tensor; extra nodes, widths other than the manifest's, and tensors whose data is not their size are refused.
     */
    @Test
    void a_graph_of_allowed_operators_in_any_other_form_is_refused_before_onnx_runtime_sees_it() throws Exception {
        final MlpWeights[] vae = TestBundles.randomVae(1, 6, 8, 2);
        final OnnxMl.ModelProto model = OnnxMl.ModelProto.parseFrom(OnnxMlpWriter.toBytes(vae[0], "enc", java.util.Map.of()));
        final Path f = dir.resolve("g.onnx");
        final OnnxMl.GraphProto.Builder bomb = model.getGraph().toBuilder()
                .addInitializer(OnnxMl.TensorProto.newBuilder().setName("col").setDataType(1).addDims(32768).addDims(1)
                        .setRawData(com.google.protobuf.ByteString.copyFrom(new byte[32768 * 4])))
                .addInitializer(OnnxMl.TensorProto.newBuilder().setName("row").setDataType(1).addDims(1).addDims(32768)
                        .setRawData(com.google.protobuf.ByteString.copyFrom(new byte[32768 * 4])))
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Sub").addInput("col").addInput("row").addOutput("huge"))
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Max").addInput("mu").addInput("huge").addOutput("mu2"));
        Files.write(f, model.toBuilder().setGraph(bomb).build().toByteArray());
        String p = String.join("; ", GraphCheck.problems(f, List.of(8), Activation.TANH));
        assertTrue(p.contains("exact graph") && p.contains("Sub"), p);

        Files.write(f, model.toByteArray());
        p = String.join("; ", GraphCheck.problems(f, List.of(16), Activation.TANH));
        assertTrue(p.contains("hidden widths [8]") && p.contains("[16]"), p);

        final OnnxMl.GraphProto.Builder lying = model.getGraph().toBuilder();
        lying.setInitializer(0, lying.getInitializer(0).toBuilder().setDims(0, 1L << 40));
        Files.write(f, model.toBuilder().setGraph(lying).build().toByteArray());
        p = String.join("; ", GraphCheck.problems(f, List.of(8), Activation.TANH));
        assertTrue(p.contains("hidden0_W") && p.contains("dimension"), p);

        final OnnxMl.GraphProto.Builder rewired = model.getGraph().toBuilder();
        rewired.setNode(rewired.getNodeCount() - 1, rewired.getNode(rewired.getNodeCount() - 1).toBuilder().setInput(0, "x"));
        Files.write(f, model.toBuilder().setGraph(rewired).build().toByteArray());
        p = String.join("; ", GraphCheck.problems(f, List.of(8), Activation.TANH));
        assertTrue(p.contains("exact graph"), "a head wired to the input: " + p);
    }

    @Test
    void foreign_operators_external_data_and_other_domains_are_named() throws Exception {
        final MlpWeights[] vae = TestBundles.randomVae(1, 6, 8, 2);
        final OnnxMl.ModelProto model = OnnxMl.ModelProto.parseFrom(OnnxMlpWriter.toBytes(vae[0], "enc", java.util.Map.of()));
        final OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder();
        // a tensor of a size the graph chooses, and weights read from another file
        g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("ConstantOfShape").addInput("shape").addOutput("huge"));
        g.setInitializer(0, g.getInitializer(0).toBuilder().setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(OnnxMl.StringStringEntryProto.newBuilder().setKey("location").setValue("/dev/zero")));
        final Path f = dir.resolve("hostile.onnx");
        Files.write(f, model.toBuilder().setGraph(g)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1)).build().toByteArray());
        final String problems = String.join("; ", GraphCheck.problems(f, List.of(8), Activation.TANH));
        assertTrue(problems.contains("ConstantOfShape") && problems.contains("external data") && problems.contains("com.microsoft"),
                problems);
        Files.writeString(f, "not protobuf at all, just text");
        assertTrue(GraphCheck.problems(f, List.of(8), Activation.TANH).get(0).startsWith("not an ONNX model"));
    }

    @Test
    void a_bundle_with_a_foreign_graph_is_refused_even_with_matching_checksums() throws Exception {
        final Path b = dir.resolve("b");
        TestBundles.writeRandom(b, TestData.fittedEncoder(2, 300), 1);
        final Path enc = b.resolve("encoder.onnx");
        final OnnxMl.ModelProto model = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(enc));
        Files.write(enc, model.toBuilder().setGraph(model.getGraph().toBuilder().addNode(OnnxMl.NodeProto.newBuilder()
                .setOpType("Loop").addOutput("forever"))).build().toByteArray());
        // an attacker who can write the bundle also rewrites the manifest's checksum
        final Path manifest = b.resolve(Manifest.FILE_NAME);
        final Manifest m = dev.nelbo.schemas.json.Json.DOCUMENTS.readValue(manifest.toFile(), Manifest.class);
        final java.util.Map<String, String> files = new java.util.TreeMap<>(m.files());
        files.put("encoder.onnx", Checksums.sha256Hex(enc));
        dev.nelbo.schemas.json.Json.DOCUMENTS.writeValue(manifest.toFile(), new Manifest(m.schemaVersion(), m.modelVersion(),
                m.createdAt(), m.contentHash(), m.featureSpec(), m.encoderStats(), m.architecture(), m.graphs(), files,
                m.calibration(), m.provenance()));
        final BundleException e = org.junit.jupiter.api.Assertions.assertThrows(BundleException.class, () -> ModelBundle.load(b));
        assertTrue(e.getMessage().contains("not a graph nelbo writes") && e.getMessage().contains("Loop"), e.getMessage());
    }

    @Test
    void the_writer_refuses_weights_that_are_not_the_manifests_architecture() {
        final MlpWeights[] vae = TestBundles.randomVae(1, TestData.fittedEncoder(2, 300).width(), 16, 4);
        final String m = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> BundleWriter.write(
                dir.resolve("b"), TestBundles.draft(TestData.fittedEncoder(2, 300), 4, List.of(16), 50.0, Activation.ELU),
                vae[0], vae[1], java.util.Map.of())).getMessage();
        assertTrue(m.contains("TANH") && m.contains("ELU"), m);
    }
}
