package dev.nelbo.trainer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.testkit.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.nelbo.trainer.cli.NelboTrainerTest.FAST;
import static dev.nelbo.trainer.cli.NelboTrainerTest.concat;
import static dev.nelbo.trainer.cli.NelboTrainerTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code train --flow planar}: trained with DJL, checked against the engine at export, scored by the engine. */
class FlowTrainingTest {

    @TempDir
    Path dir;

    @Test
    void a_planar_flow_trains_exports_with_parity_and_scores_planted_anomalies_first_deterministically() throws IOException {
        final Path train = NelboTrainerTest.data(dir, "train.csv", 1000, 0, 1);
        final Path test = NelboTrainerTest.data(dir, "test.csv", 500, 50, 2);
        final Path model = dir.resolve("model");
        final CliRun trained = run(concat(new String[] {"train", "--data", train.toString(), "--out", model.toString(),
                "--label-column", "label", "--flow", "planar", "--flow-length", "4"}, FAST));
        assertEquals(0, trained.exit(), trained.err());
        assertTrue(trained.out().contains("flow parity DJL vs engine"), trained.out());
        final Manifest manifest = ModelBundle.load(model).manifest();
        final Manifest.PlanarFlow flow = manifest.architecture().flow();
        assertEquals(4, flow.length());
        assertEquals(3, flow.u().get(0).size(), "one value per latent dimension");
        assertEquals(4, manifest.provenance().settings().get("flow_length"));

        final Path first = dir.resolve("e1.json");
        final Path second = dir.resolve("e2.json");
        for (final Path json : new Path[] {first, second}) {
            final CliRun evaluated = run("evaluate", "--model", model.toString(), "--data", test.toString(),
                    "--label-column", "label", "--json", json.toString());
            assertEquals(0, evaluated.exit(), evaluated.err());
        }
        final JsonNode metrics = Json.DOCUMENTS.readTree(first.toFile());
        assertTrue(metrics.get("auroc").asDouble() >= 0.95, "AUROC " + metrics.get("auroc"));
        assertEquals(Files.readString(first), Files.readString(second), "scores are deterministic");
    }

    @Test
    void a_flow_of_length_zero_is_the_model_without_a_flow_bit_for_bit() throws IOException {
        final Path train = NelboTrainerTest.data(dir, "train.csv", 600, 0, 3);
        final String[] small = {"--hidden", "8", "--latent", "2", "--epochs", "5", "--label-column", "label", "--seed", "7"};
        final Path plain = dir.resolve("plain");
        final Path zero = dir.resolve("zero");
        final Path four = dir.resolve("four");
        assertEquals(0, run(concat(new String[] {"train", "--data", train.toString(), "--out", plain.toString()}, small)).exit());
        assertEquals(0, run(concat(new String[] {"train", "--data", train.toString(), "--out", zero.toString(), "--flow",
                "planar", "--flow-length", "0"}, small)).exit());
        assertEquals(0, run(concat(new String[] {"train", "--data", train.toString(), "--out", four.toString(), "--flow",
                "planar", "--flow-length", "4"}, small)).exit());
        final Manifest p = ModelBundle.load(plain).manifest();
        assertEquals(p.contentHash(), ModelBundle.load(zero).manifest().contentHash());
        assertNull(ModelBundle.load(zero).manifest().architecture().flow());
        assertNotEquals(p.contentHash(), ModelBundle.load(four).manifest().contentHash());
    }
}
