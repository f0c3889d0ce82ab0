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
            assertEquals(List.of(), GraphCheck.problems(f), a.name());
        }
    }

    @Test
    void a_graph_of_an_earlier_nelbo_with_an_elu_node_still_passes() throws Exception {
        final MlpWeights[] vae = TestBundles.randomVae(1, 6, 8, 2);
        final OnnxMl.ModelProto model = OnnxMl.ModelProto.parseFrom(OnnxMlpWriter.toBytes(vae[0], "enc", java.util.Map.of()));
        final OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder();
        // as written before 2026-12: one Elu node per hidden layer
        g.setNode(1, OnnxMl.NodeProto.newBuilder().setOpType("Elu").addInput("hidden0_linear").addOutput("hidden0"));
        final Path f = dir.resolve("old.onnx");
        Files.write(f, model.toBuilder().setGraph(g).build().toByteArray());
        assertEquals(List.of(), GraphCheck.problems(f));
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
        final String problems = String.join("; ", GraphCheck.problems(f));
        assertTrue(problems.contains("ConstantOfShape") && problems.contains("external data") && problems.contains("com.microsoft"),
                problems);
        Files.writeString(f, "not protobuf at all, just text");
        assertTrue(GraphCheck.problems(f).get(0).startsWith("not an ONNX model"), GraphCheck.problems(f).toString());
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
}
