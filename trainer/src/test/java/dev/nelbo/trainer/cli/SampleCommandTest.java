package dev.nelbo.trainer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.encoding.CsvLine;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.testkit.CliRun;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.nelbo.trainer.cli.NelboTrainerTest.FAST;
import static dev.nelbo.trainer.cli.NelboTrainerTest.concat;
import static dev.nelbo.trainer.cli.NelboTrainerTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sample} on a model trained for real on mixed data (correlated continuous columns, a binary and a categorical
 * one): the samples' marginals are the training data's, the model scores them as normal, the file is a function of
 * the seed, and both output formats are what {@code train} and the scorer read.
 */
class SampleCommandTest {

    private static final int SAMPLES = 4000;

    @TempDir
    static Path dir;

    private static Path model;
    private static List<String[]> training;

    @BeforeAll
    static void train() throws IOException {
        final Path data = NelboTrainerTest.data(dir, "train.csv", 3000, 0, 11);
        model = dir.resolve("model");
        final CliRun trained = run(concat(new String[] {"train", "--data", data.toString(), "--out", model.toString(),
                "--label-column", "label"}, FAST));
        assertEquals(0, trained.exit(), trained.err());
        training = rows(data);
    }

    private static List<String[]> rows(final Path csv) throws IOException {
        return Files.readAllLines(csv).stream().map(CsvLine::split).toList();
    }

    private static Path sample(final String name, final String... extra) {
        final Path out = dir.resolve(name);
        final CliRun r = run(concat(new String[] {"sample", "--model", model.toString(), "--count", Integer.toString(SAMPLES),
                "--out", out.toString()}, extra));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("wrote " + SAMPLES + " events"), r.out());
        return out;
    }

    @Test
    void the_samples_have_the_training_data_s_means_variances_and_frequencies() throws IOException {
        final List<String[]> samples = rows(sample("s.csv", "--seed", "3"));
        assertEquals(List.of("f0", "f1", "f2", "f3", "flag", "colour"), Arrays.asList(samples.get(0)));
        assertEquals(SAMPLES + 1, samples.size());
        for (int c = 0; c < 4; c++) {
            final double[] t = column(training, c);
            final double[] s = column(samples, c);
            final double sd = Math.sqrt(variance(t));
            assertEquals(mean(t), mean(s), 0.15 * sd, "mean of f" + c);
            final double ratio = Math.sqrt(variance(s)) / sd;
            assertTrue(ratio > 0.8 && ratio < 1.25, "sd of f" + c + ": samples/training " + ratio);
        }
        assertEquals(share(training, 4, "1"), share(samples, 4, "true"), 0.05, "share of flag");
        for (final String colour : List.of("red", "green", "blue")) {
            assertEquals(share(training, 5, colour), share(samples, 5, colour), 0.05, "share of " + colour);
        }
        // the dependence between columns is learnt too: f2 follows f0 + f1
        final double[] residual = new double[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            final String[] r = samples.get(i + 1);
            residual[i] = Double.parseDouble(r[2]) - Double.parseDouble(r[0]) - Double.parseDouble(r[1]);
        }
        assertTrue(Math.sqrt(variance(residual)) < 0.5, "f2 - f0 - f1 sd " + Math.sqrt(variance(residual)));
    }

    @Test
    void the_model_scores_its_samples_as_normal_and_planted_anomalies_above_them() throws IOException {
        final List<String> lines = new ArrayList<>(Files.readAllLines(sample("normal.csv", "--seed", "4")));
        lines.set(0, lines.get(0) + ",label");
        for (int i = 1; i < lines.size(); i++) {
            lines.set(i, lines.get(i) + ",0");
        }
        final List<String> anomalies = Files.readAllLines(NelboTrainerTest.data(dir, "anomalies.csv", 0, 100, 12));
        lines.addAll(anomalies.subList(1, anomalies.size()));
        final Path labelled = Files.write(dir.resolve("labelled.csv"), lines);
        final Path json = dir.resolve("eval.json");
        final CliRun r = run("evaluate", "--model", model.toString(), "--data", labelled.toString(), "--json", json.toString());
        assertEquals(0, r.exit(), r.err());
        final JsonNode m = Json.DOCUMENTS.readTree(json.toFile());
        assertEquals(SAMPLES + 100, m.get("rows").asInt(), "every sample is a valid row");
        assertTrue(m.get("false_positive_rate").asDouble() < 0.02, "samples above the threshold: " + m);
        assertTrue(m.get("auroc").asDouble() > 0.95, "anomalies rank above the samples: " + m);
    }

    @Test
    void the_same_seed_gives_the_same_file_and_jsonl_events_carry_the_spec_s_fields() throws IOException {
        final byte[] a = Files.readAllBytes(sample("a.jsonl", "--seed", "9"));
        final byte[] b = Files.readAllBytes(sample("b.jsonl", "--seed", "9"));
        final byte[] c = Files.readAllBytes(sample("c.jsonl", "--seed", "10"));
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
        final JsonNode first = Json.EVENTS.readTree(new String(a, java.nio.charset.StandardCharsets.UTF_8).lines()
                .findFirst().orElseThrow());
        for (final String field : List.of("f0", "f1", "f2", "f3")) {
            assertTrue(first.get(field).isDouble(), first.toString());
        }
        assertTrue(first.get("flag").isBoolean(), first.toString());
        assertTrue(List.of("red", "green", "blue").contains(first.get("colour").asText()), first.toString());
    }

    @Test
    void bad_arguments_exit_2_naming_what_to_fix() {
        final CliRun noContext = run("sample", "--model", model.toString(), "--context", "colour=red", "--out",
                dir.resolve("x.jsonl").toString());
        assertEquals(1, noContext.exit());
        assertTrue(noContext.err().contains("colour") && noContext.err().contains("not a context feature"), noContext.err());
        final CliRun format = run("sample", "--model", model.toString(), "--out", dir.resolve("x.parquet").toString());
        assertEquals(2, format.exit());
        assertTrue(format.err().contains(".jsonl or .csv"), format.err());
        final CliRun time = run("sample", "--model", model.toString(), "--time", "noon", "--out", dir.resolve("x.csv").toString());
        assertEquals(2, time.exit());
        assertTrue(time.err().contains("ISO-8601"), time.err());
    }

    private static double[] column(final List<String[]> rows, final int c) {
        return rows.stream().skip(1).mapToDouble(r -> Double.parseDouble(r[c])).toArray();
    }

    private static double share(final List<String[]> rows, final int c, final String value) {
        final Map<String, Integer> counts = new HashMap<>();
        rows.stream().skip(1).forEach(r -> counts.merge(r[c], 1, Integer::sum));
        return counts.getOrDefault(value, 0) / (double) (rows.size() - 1);
    }

    private static double mean(final double[] v) {
        return Arrays.stream(v).average().orElseThrow();
    }

    private static double variance(final double[] v) {
        final double m = mean(v);
        return Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / (v.length - 1);
    }
}
