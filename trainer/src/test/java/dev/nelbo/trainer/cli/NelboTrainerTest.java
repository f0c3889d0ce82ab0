package dev.nelbo.trainer.cli;

import dev.nelbo.testkit.CliRun;
import picocli.CommandLine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.trainer.vae.VaeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The jar's commands end to end: real DJL training, real ONNX files, scores from the real engine. */
class NelboTrainerTest {

    /** Small, fast settings; the data are simple enough for them. */
    static final String[] FAST = {"--hidden", "16,16", "--latent", "3", "--epochs", "150", "--batch-size", "64",
            "--learning-rate", "0.003", "--beta-warmup-epochs", "5", "--patience", "150"};

    @TempDir
    Path dir;

    static CliRun run(final String... args) {
        return CliRun.execute(NelboTrainer.commandLine(), args);
    }

    static String[] concat(final String[] a, final String... b) {
        final String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /**
     * Normal rows: four continuous columns driven by two factors, a binary column that follows the
     * sign of the first factor (90%), and a categorical column that follows the second. Anomalies
     * stay inside every column's range but break the linear dependencies.
     */
    static Path data(final Path dir, final String name, final int normals, final int anomalies, final long seed) throws IOException {
        final Random random = new Random(seed);
        final List<String> lines = new ArrayList<>();
        lines.add("f0,f1,f2,f3,flag,colour,label");
        for (int i = 0; i < normals + anomalies; i++) {
            final boolean anomaly = i >= normals;
            final double a = random.nextGaussian();
            final double b = random.nextGaussian();
            final double[] f = {a + 0.1 * random.nextGaussian(), b + 0.1 * random.nextGaussian(),
                    a + b + 0.1 * random.nextGaussian(), a - b + 0.1 * random.nextGaussian()};
            if (anomaly) {
                // Off the plane the normal rows live on, yet inside every column's normal range.
                f[2] += random.nextBoolean() ? 2.0 : -2.0;
                f[3] += random.nextBoolean() ? 2.0 : -2.0;
            }
            final boolean flag = (a > 0) != (random.nextDouble() < 0.1);
            final String colour = b < -0.5 ? "red" : b < 0.5 ? "green" : "blue";
            lines.add(String.format(Locale.ROOT, "%.4f,%.4f,%.4f,%.4f,%d,%s,%d", f[0], f[1], f[2], f[3],
                    flag ? 1 : 0, colour, anomaly ? 1 : 0));
        }
        final Path file = dir.resolve(name);
        Files.write(file, lines);
        return file;
    }

    @Test
    void train_then_evaluate_ranks_planted_anomalies_first() throws IOException {
        final Path train = data(dir, "train.csv", 1000, 0, 1);
        final Path test = data(dir, "test.csv", 500, 50, 2);
        final Path model = dir.resolve("model");
        final CliRun trained = run(concat(new String[] {"train", "--data", train.toString(), "--out", model.toString(),
                "--label-column", "label"}, FAST));
        assertEquals(0, trained.exit(), trained.err());
        assertTrue(trained.out().contains("val nelbo"), trained.out());
        assertTrue(trained.out().contains("export parity DJL vs ONNX Runtime"), trained.out());
        assertTrue(trained.out().contains("threshold"), trained.out());

        final ModelBundle bundle = ModelBundle.load(model);
        final Manifest manifest = bundle.manifest();
        assertEquals(List.of("f0", "f1", "f2", "f3", "flag", "colour"),
                manifest.featureSpec().features().stream().map(f -> f.name()).toList());
        assertTrue(List.of("empirical", "gpd").contains(manifest.calibration().method()));
        // calibrated on every row (the validation split alone is too few to show the tail)
        assertEquals(manifest.provenance().rows(), manifest.calibration().rows());
        for (String f : List.of("report/loss.png", "report/scores.png", "report/features.png", "report/report.html")) {
            assertTrue(manifest.files().containsKey(f), f);
        }

        final Path json = dir.resolve("eval/metrics.json");
        final CliRun evaluated = run("evaluate", "--model", model.toString(), "--data", test.toString(),
                "--label-column", "label", "--json", json.toString());
        assertEquals(0, evaluated.exit(), evaluated.err());
        final JsonNode metrics = Json.DOCUMENTS.readTree(json.toFile());
        assertEquals(550, metrics.get("rows").asInt());
        assertEquals(50, metrics.get("anomalies").asInt());
        assertTrue(metrics.get("auroc").asDouble() >= 0.95, "AUROC " + metrics.get("auroc"));
        assertTrue(metrics.get("average_precision").asDouble() > 0.5, "AP " + metrics.get("average_precision"));
        assertTrue(evaluated.out().contains("AUROC"), evaluated.out());
        assertTrue(Files.size(dir.resolve("eval/roc.png")) > 1000);
        assertTrue(Files.size(dir.resolve("eval/pr.png")) > 1000);
    }

    @Test
    void the_same_seed_and_data_give_the_same_model_and_scores_and_another_seed_does_not() throws Exception {
        final Path train = data(dir, "train.csv", 600, 0, 3);
        final Path test = data(dir, "test.csv", 300, 30, 4);
        final String[] small = {"--hidden", "8", "--latent", "2", "--epochs", "5", "--label-column", "label"};
        final List<String> hashes = new ArrayList<>();
        final List<String> versions = new ArrayList<>();
        final List<JsonNode> evaluations = new ArrayList<>();
        for (String seed : List.of("7", "7", "8")) {
            final Path out = dir.resolve("model-" + hashes.size());
            final CliRun r = run(concat(concat(new String[] {"train", "--data", train.toString(), "--out", out.toString(),
                    "--seed", seed}, small)));
            assertEquals(0, r.exit(), r.err());
            hashes.add(ModelBundle.load(out).manifest().contentHash());
            versions.add(ModelBundle.load(out).manifest().modelVersion());
            final Path json = dir.resolve("eval-" + evaluations.size() + ".json");
            assertEquals(0, run("evaluate", "--model", out.toString(), "--data", test.toString(), "--label-column", "label",
                    "--json", json.toString()).exit());
            final com.fasterxml.jackson.databind.node.ObjectNode e =
                    (com.fasterxml.jackson.databind.node.ObjectNode) Json.DOCUMENTS.readTree(json.toFile());
            e.remove("model_version");
            evaluations.add(e);
            // the version carries the training time to the second: the next run gets another one
            Thread.sleep(1100);
        }
        assertEquals(hashes.get(0), hashes.get(1));
        assertNotEquals(versions.get(0), versions.get(1));
        // the sampling noise follows the content hash, not the version: the same weights score the same
        assertEquals(evaluations.get(0), evaluations.get(1));
        assertNotEquals(hashes.get(0), hashes.get(2));
    }

    @Test
    void a_spec_file_chooses_the_features_and_a_broken_one_is_refused() throws IOException {
        final Path train = data(dir, "train.csv", 300, 0, 5);
        final Path spec = dir.resolve("spec.json");
        Files.writeString(spec, "{\"features\": [{\"name\": \"f0\", \"type\": \"continuous\"},"
                + " {\"name\": \"size\", \"path\": \"f1\", \"type\": \"continuous\", \"transform\": \"signed_log\"},"
                + " {\"name\": \"colour\", \"type\": \"categorical\"}]}");
        final Path out = dir.resolve("model");
        final CliRun r = run("train", "--data", train.toString(), "--out", out.toString(), "--spec", spec.toString(),
                "--epochs", "2", "--hidden", "8", "--latent", "2");
        assertEquals(0, r.exit(), r.err());
        final Manifest manifest = ModelBundle.load(out).manifest();
        assertEquals(List.of("f0", "size", "colour"), manifest.featureSpec().features().stream().map(f -> f.name()).toList());
        assertEquals(1 + 1 + 4, manifest.architecture().inputDim());

        Files.writeString(spec, "{\"features\": [{\"name\": \"f0\", \"type\": \"numeric\"}]}");
        final CliRun broken = run("train", "--data", train.toString(), "--out", out.toString(), "--spec", spec.toString());
        assertEquals(1, broken.exit());
        assertTrue(broken.err().contains("does not match feature-spec.schema.json"), broken.err());
    }

    @Test
    void propose_spec_reads_the_avro_schema_and_the_proposal_trains_and_serves_avro_events() throws IOException {
        final Path schema = Files.writeString(dir.resolve("event.avsc"), dev.nelbo.schemas.testing.TestAvro.SCHEMA_JSON);
        final Path spec = dir.resolve("proposed.json");
        final CliRun proposed = run("propose-spec", "--avro-schema", schema.toString(), "--out", spec.toString());
        assertEquals(0, proposed.exit(), proposed.err());
        assertTrue(proposed.out().contains("wrote " + spec + ": 5 features, id event_id, key key, time ts"), proposed.out());
        assertTrue(proposed.out().contains("'tags': map: left out"), proposed.out());
        assertEquals(2, run("propose-spec", "--avro-schema", schema.toString(), "--out", spec.toString()).exit(),
                "an existing spec is not overwritten");
        // the JSON twins of the Avro events train a model with the proposed spec, which then reads the Avro events
        final StringBuilder jsonl = new StringBuilder();
        for (final com.fasterxml.jackson.databind.JsonNode e : dev.nelbo.schemas.testing.TestData.events(3, 600)) {
            jsonl.append(e).append('\n');
        }
        final Path data = Files.writeString(dir.resolve("events.jsonl"), jsonl);
        final Path out = dir.resolve("avro-model");
        final CliRun trained = run("train", "--data", data.toString(), "--out", out.toString(), "--spec", spec.toString(),
                "--epochs", "2", "--hidden", "8", "--latent", "2");
        assertEquals(0, trained.exit(), trained.err());
        final ModelBundle bundle = ModelBundle.load(out);
        final dev.nelbo.schemas.event.EventDecoder avro = new dev.nelbo.schemas.event.EventDecoder(bundle.encoder(),
                dev.nelbo.schemas.event.DecodeLimits.defaults(), Long.MAX_VALUE,
                dev.nelbo.schemas.event.AvroEventReader.format(dev.nelbo.schemas.testing.TestAvro.SCHEMA));
        final float[] x = new float[bundle.encoder().width()];
        final dev.nelbo.schemas.event.DecodedEvent decoded = avro.decode(dev.nelbo.schemas.testing.TestAvro.bytes(
                dev.nelbo.schemas.testing.TestData.event(new java.util.Random(4), 4)), x, new float[x.length], 0, avro.newEvent());
        assertTrue(decoded.ok(), String.valueOf(decoded.failure()));
        final Path desc = Files.write(dir.resolve("events.desc"), dev.nelbo.schemas.testing.TestProto.DESCRIPTOR_SET);
        final CliRun fromProto = run("propose-spec", "--protobuf-descriptor", desc.toString(), "--message",
                "dev.nelbo.test.Event", "--out", dir.resolve("proto-spec.json").toString());
        assertEquals(0, fromProto.exit(), fromProto.err());
        assertTrue(fromProto.out().contains("5 features, id event_id, key key, time ts"), fromProto.out());
        assertEquals(2, run("propose-spec", "--protobuf-descriptor", desc.toString(), "--out",
                dir.resolve("y.json").toString()).exit(), "a descriptor set needs the message type");
        final CliRun missing = run("propose-spec", "--avro-schema", dir.resolve("none.avsc").toString(), "--out",
                dir.resolve("x.json").toString());
        assertEquals(2, missing.exit(), missing.err());
        assertTrue(missing.err().contains("cannot read"), missing.err());
    }

    @Test
    void an_avro_container_file_trains_the_model_its_json_twins_train() throws IOException {
        final List<com.fasterxml.jackson.databind.JsonNode> events = dev.nelbo.schemas.testing.TestData.events(9, 600);
        final Path jsonl = dir.resolve("twins.jsonl");
        final Path avro = dir.resolve("events.avro");
        final StringBuilder lines = new StringBuilder();
        try (org.apache.avro.file.DataFileWriter<org.apache.avro.generic.GenericRecord> w = new org.apache.avro.file.DataFileWriter<>(
                new org.apache.avro.generic.GenericDatumWriter<org.apache.avro.generic.GenericRecord>(
                        dev.nelbo.schemas.testing.TestAvro.SCHEMA))) {
            w.create(dev.nelbo.schemas.testing.TestAvro.SCHEMA, avro.toFile());
            for (final com.fasterxml.jackson.databind.JsonNode e : events) {
                w.append(dev.nelbo.schemas.testing.TestAvro.record(e));
                // the twin as the Avro record holds it: its map, as JSON's object
                final com.fasterxml.jackson.databind.node.ObjectNode twin = e.deepCopy();
                twin.putObject("tags").put("team", "payments");
                lines.append(twin).append('\n');
            }
        }
        Files.writeString(jsonl, lines);
        final String[] small = {"--hidden", "8", "--latent", "2", "--epochs", "3", "--seed", "7"};
        final List<Manifest> manifests = new ArrayList<>();
        for (final Path data : List.of(avro, jsonl)) {
            final Path out = dir.resolve("model-of-" + data.getFileName());
            final CliRun r = run(concat(new String[] {"train", "--data", data.toString(), "--out", out.toString()}, small));
            assertEquals(0, r.exit(), r.err());
            manifests.add(ModelBundle.load(out).manifest());
        }
        // the same spec inferred (the enum as a category, the timestamp as time), the same encoder, the same model
        assertEquals(manifests.get(1).featureSpec(), manifests.get(0).featureSpec());
        assertEquals(manifests.get(1).encoderStats(), manifests.get(0).encoderStats());
        assertEquals(manifests.get(1).calibration(), manifests.get(0).calibration());
        final CliRun notAvro = run("train", "--data", Files.writeString(dir.resolve("junk.avro"), "not avro").toString(),
                "--out", dir.resolve("none").toString());
        assertEquals(1, notAvro.exit(), notAvro.err());
        assertTrue(notAvro.err().contains("is not an Avro container file"), notAvro.err());
    }

    @Test
    void propose_spec_reads_a_subjects_latest_schema_from_a_real_schema_registry() throws IOException {
        final dev.nelbo.testkit.SchemaRegistryServer registry = dev.nelbo.testkit.SchemaRegistryServer.shared();
        final String subject = "propose-" + System.nanoTime() + "-value";
        registry.register(subject, dev.nelbo.schemas.testing.TestAvro.SCHEMA_JSON);
        final int latest = registry.register(subject, dev.nelbo.schemas.testing.TestAvro.evolved("added"));
        final Path fromRegistry = dir.resolve("registry-spec.json");
        final CliRun proposed = run("propose-spec", "--schema-registry-url", registry.url(), "--subject", subject,
                "--out", fromRegistry.toString());
        assertEquals(0, proposed.exit(), proposed.err());
        assertTrue(proposed.out().contains("read subject '" + subject + "' (schema id " + latest + ")"), proposed.out());
        // the latest version's added field is proposed too: the same spec as from that schema's file, no more
        final Path file = Files.writeString(dir.resolve("v2.avsc"), dev.nelbo.schemas.testing.TestAvro.evolved("added"));
        final Path fromFile = dir.resolve("file-spec.json");
        assertEquals(0, run("propose-spec", "--avro-schema", file.toString(), "--out", fromFile.toString()).exit());
        assertEquals(Files.readString(fromFile), Files.readString(fromRegistry));
        assertTrue(Files.readString(fromRegistry).contains("host_os"));
        final CliRun unknown = run("propose-spec", "--schema-registry-url", registry.url(), "--subject", "no-such-value",
                "--out", dir.resolve("none.json").toString());
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("subject 'no-such-value' is not in the schema registry"), unknown.err());
        assertEquals(2, run("propose-spec", "--schema-registry-url", registry.url(), "--out",
                dir.resolve("none.json").toString()).exit(), "a registry needs the subject");
    }

    @Test
    void keygen_writes_a_key_pair_and_train_signs_the_bundle_with_the_private_key() throws Exception {
        final Path priv = dir.resolve("keys/signing.pem");
        final Path pub = dir.resolve("keys/signing.pub");
        Files.createDirectories(priv.getParent());
        final CliRun keygen = run("keygen", "--private-key", priv.toString(), "--public-key", pub.toString());
        assertEquals(0, keygen.exit(), keygen.err());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(priv)));
        final CliRun again = run("keygen", "--private-key", priv.toString(), "--public-key", dir.resolve("other.pub").toString());
        assertEquals(2, again.exit(), "keygen never overwrites a key");
        assertTrue(again.err().contains("exists"), again.err());

        final Path train = data(dir, "train.csv", 300, 0, 9);
        final Path out = dir.resolve("signed");
        final CliRun signed = run("train", "--data", train.toString(), "--out", out.toString(), "--label-column", "label",
                "--epochs", "2", "--hidden", "8", "--latent", "2", "--signing-key", priv.toString());
        assertEquals(0, signed.exit(), signed.err());
        assertTrue(signed.out().contains("signed " + out), signed.out());
        final List<java.security.PublicKey> trusted = dev.nelbo.schemas.bundle.BundleSignature.trustedKeys(pub.toString());
        assertEquals(ModelBundle.load(out).version(), ModelBundle.load(out, trusted).version());

        final CliRun wrongKey = run("train", "--data", train.toString(), "--out", dir.resolve("x").toString(),
                "--signing-key", pub.toString());
        assertEquals(2, wrongKey.exit(), "a public key cannot sign");
        assertTrue(wrongKey.err().contains("--signing-key") && wrongKey.err().contains("Ed25519 private key"), wrongKey.err());
    }

    @Test
    void help_lists_the_subcommands_and_every_option_with_its_default() {
        final CliRun root = run("--help");
        assertEquals(0, root.exit());
        assertTrue(root.out().contains("train") && root.out().contains("evaluate"), root.out());
        final CliRun train = run("train", "--help");
        assertEquals(0, train.exit());
        for (String option : List.of("--data", "--out", "--spec", "--label-column", "--max-rows", "--max-bad-fraction",
                "--beta-warmup-epochs", "--denoise", "--target-fpr", "--seed", "--threads")) {
            assertTrue(train.out().contains(option), option + " in\n" + train.out());
        }
        assertTrue(train.out().contains("Default: 0.001"), train.out());
        // the model options' defaults come from VaeConfig.defaults() through the command's default value provider
        assertTrue(train.out().contains("Default: 64,64") && train.out().contains("Default: " + VaeConfig.defaults().beta()),
                train.out());
        assertTrue(run("evaluate", "--help").out().contains("--json"));
    }

    @Test
    void the_command_line_defaults_are_the_one_default_configuration() {
        final TrainCommand command = new TrainCommand();
        new CommandLine(command).parseArgs("--data", "x.csv", "--out", "m");
        assertEquals(VaeConfig.defaults(), command.config());
    }

    @Test
    void bad_usage_and_bad_input_exit_non_zero_with_one_line() throws IOException {
        final CliRun missing = run("train", "--data", "x.csv");
        assertEquals(2, missing.exit());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertTrue(missing.err().contains("--out"), missing.err());

        final CliRun badValue = run("train", "--data", "x.csv", "--out", "m", "--latent", "0");
        assertEquals(2, badValue.exit());
        assertTrue(badValue.err().contains("latent size must be positive"), badValue.err());

        final CliRun noFile = run("train", "--data", dir.resolve("absent.csv").toString(), "--out", dir.resolve("m").toString());
        assertEquals(1, noFile.exit());
        assertEquals(1, noFile.err().strip().lines().count(), noFile.err());
        assertTrue(noFile.err().startsWith("error: data file"), noFile.err());

        final CliRun noModel = run("evaluate", "--model", dir.resolve("nothing").toString(), "--data",
                data(dir, "t.csv", 10, 2, 4).toString());
        assertEquals(1, noModel.exit());
        assertTrue(noModel.err().contains("not a directory"), noModel.err());
    }

    @Test
    void retrain_help_lists_the_exit_codes_and_bad_config_exits_2_naming_the_key() throws IOException {
        final CliRun help = run("retrain", "--help");
        assertEquals(0, help.exit());
        for (final String code : List.of("0", "1", "2", "3", "4")) {
            assertTrue(help.out().contains("  " + code + "   "), "exit code " + code + " documented:\n" + help.out());
        }
        assertTrue(help.out().contains("--window"), help.out());

        final Path config = dir.resolve("retrain.properties");
        Files.writeString(config, "bootstrap.servers=localhost:1\nnelbo.retrain.windw=7d\n");
        final CliRun unknown = run("retrain", "--config", config.toString());
        assertEquals(2, unknown.exit(), unknown.err());
        assertTrue(unknown.err().contains("'nelbo.retrain.windw'"), unknown.err());
        assertEquals(1, unknown.err().strip().lines().count(), "one line, no stack trace: " + unknown.err());

        final CliRun badFlag = run("retrain", "--set", "bootstrap.servers=localhost:1", "--window", "soon");
        assertEquals(2, badFlag.exit(), badFlag.err());
        assertTrue(badFlag.err().contains("nelbo.retrain.window"), badFlag.err());

        final CliRun noBootstrap = run("rollback", "--to", "v1");
        assertEquals(2, noBootstrap.exit(), noBootstrap.err());
        assertTrue(noBootstrap.err().contains("bootstrap.servers"), noBootstrap.err());
        assertEquals(2, run("rollback", "--set", "bootstrap.servers=localhost:1").exit(), "--to is required");
    }
}
