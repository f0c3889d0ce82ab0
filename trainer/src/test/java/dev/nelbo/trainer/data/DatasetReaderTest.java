package dev.nelbo.trainer.data;

import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;
import dev.nelbo.schemas.spec.MissingPolicy;
import dev.nelbo.schemas.spec.Transform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetReaderTest {

    @TempDir
    Path dir;

    private Path write(final String name, final List<String> lines) throws IOException {
        final Path file = dir.resolve(name);
        Files.write(file, lines);
        return file;
    }

    /** A CSV with columns a (continuous), b (0/1), c (categorical) and label. */
    private Path csv(final int rows, final long seed) throws IOException {
        final Random random = new Random(seed);
        final List<String> lines = new ArrayList<>();
        lines.add("a,b,c,label");
        for (int i = 0; i < rows; i++) {
            lines.add(String.format(Locale.ROOT, "%.4f,%d,%s,%d", random.nextGaussian(), random.nextInt(2),
                    random.nextBoolean() ? "red" : "\"blue, dark\"", i % 10 == 0 ? 1 : 0));
        }
        return write("data.csv", lines);
    }

    private static DatasetReader.TrainingRead training(final Path file, final FeatureSpec spec, final long maxRows,
                                                       final double maxBad) {
        return new DatasetReader.TrainingRead(file, spec, "label", maxRows, maxBad, 1L, 50);
    }

    private static String failure(final DatasetReader.TrainingRead read) {
        return assertThrows(IllegalArgumentException.class, () -> DatasetReader.readForTraining(read)).getMessage();
    }

    @Test
    void csv_is_read_with_an_inferred_spec_quoted_cells_and_the_label_left_out() throws IOException {
        final Dataset data = DatasetReader.readForTraining(training(csv(300, 1), null, 1_000_000, 0.01));
        assertEquals(300, data.rows());
        assertNull(data.labels());
        final List<String> features = data.encoder().spec().features().stream().map(FeatureDef::name).toList();
        assertEquals(List.of("a", "b", "c"), features);
        assertEquals(FeatureType.BINARY, data.encoder().spec().feature("b").type());
        assertEquals(FeatureType.CATEGORICAL, data.encoder().spec().feature("c").type());
        assertEquals(data.encoder().width() * 300, data.x().length);
        assertTrue(data.notes().get(0).contains("inferred a spec"), data.notes().toString());
    }

    @Test
    void max_rows_draws_a_seeded_uniform_sample() throws IOException {
        final Path file = csv(1000, 2);
        final Dataset a = DatasetReader.readForTraining(training(file, null, 200, 0.01));
        final Dataset b = DatasetReader.readForTraining(training(file, null, 200, 0.01));
        assertEquals(200, a.rows());
        assertEquals(1000, a.usable());
        assertArrayEquals(a.x(), b.x());
        // Uniform over the file: the sample reaches into its second half.
        final Dataset all = DatasetReader.readForTraining(training(file, null, 1000, 0.01));
        final int width = all.encoder().width();
        final float lastSampled = a.x()[(a.rows() - 1) * width];
        int position = -1;
        for (int r = 0; r < all.rows(); r++) {
            if (all.x()[r * width] == lastSampled) {
                position = r;
            }
        }
        assertTrue(position > 500, "last sampled row is at " + position);
        assertTrue(a.notes().stream().anyMatch(n -> n.contains("sampled 200 of 1000")), a.notes().toString());
    }

    @Test
    void a_few_malformed_lines_are_skipped_and_reported_with_line_numbers() throws IOException {
        final List<String> lines = new ArrayList<>(Files.readAllLines(csv(300, 3)));
        lines.set(5, "1.0,0");                 // line 6: too few cells
        lines.set(9, "1.0,0,\"red,0");         // line 10: unterminated quote
        final Path file = write("some-bad.csv", lines);
        final Dataset data = DatasetReader.readForTraining(training(file, null, 1_000_000, 0.01));
        assertEquals(298, data.rows());
        assertEquals(2, data.bad().total());
        assertEquals(6, data.bad().examples().get(0).line());
        assertEquals(FailureReason.MALFORMED, data.bad().examples().get(0).reason());
        assertTrue(data.bad().examples().get(0).message().contains("2 cells but the header has 4"));
        assertEquals(10, data.bad().examples().get(1).line());
        assertTrue(data.bad().examples().get(1).message().contains("unterminated quote"));
    }

    @Test
    void too_many_bad_lines_fail_naming_the_reason_the_feature_and_a_line() throws IOException {
        final List<String> lines = new ArrayList<>(Files.readAllLines(csv(300, 4)));
        for (int i = 20; i < 40; i++) {
            lines.set(i, "fast,1,red,0");
        }
        final Path file = write("wrong-type.csv", lines);
        final FeatureSpec spec = new FeatureSpec(null, null, null, null, List.of(
                new FeatureDef("a", "a", FeatureType.CONTINUOUS, Transform.NONE, MissingPolicy.REJECT),
                new FeatureDef("b", "b", FeatureType.BINARY, Transform.NONE, MissingPolicy.REJECT)));
        final String message = failure(training(file, spec, 1_000_000, 0.01));
        assertTrue(message.contains("20 of 300 lines"), message);
        assertTrue(message.contains("--max-bad-fraction"), message);
        assertTrue(message.contains("wrong_type on 'a'"), message);
        assertTrue(message.contains("line 21"), message);
        assertTrue(message.contains("should be a number"), message);
        // The same file passes when the user accepts that share.
        assertEquals(280, DatasetReader.readForTraining(training(file, spec, 1_000_000, 0.1)).rows());
    }

    @Test
    void empty_missing_unknown_and_header_only_files_say_what_to_fix() throws IOException {
        assertTrue(failure(training(write("empty.csv", List.of()), null, 10, 0.01)).contains("is empty"));
        assertTrue(failure(training(dir.resolve("nope.csv"), null, 10, 0.01)).contains("does not exist"));
        assertTrue(failure(training(write("data.parquet", List.of("x")), null, 10, 0.01))
                .contains("cannot tell the format"));
        assertTrue(failure(training(write("header.csv", List.of("a,b,label")), null, 10, 0.01))
                .contains("no readable data rows"));
        assertTrue(failure(training(write("blank-header.csv", List.of("", "1,2")), null, 10, 0.01))
                .contains("no header line"));
    }

    @Test
    void too_few_rows_and_label_problems_fail_with_a_message() throws IOException {
        assertTrue(failure(training(csv(20, 5), null, 1000, 0.01)).contains("only 20 usable rows"));
        final DatasetReader.TrainingRead noLabel = new DatasetReader.TrainingRead(csv(100, 6), null, "target", 1000,
                0.01, 1L, 50);
        assertTrue(failure(noLabel).contains("label column 'target' is not in the header"));
        final FeatureSpec withLabel = new FeatureSpec(null, null, null, null, List.of(
                new FeatureDef("label", "label", FeatureType.BINARY, Transform.NONE, MissingPolicy.REJECT)));
        assertTrue(failure(training(csv(100, 7), withLabel, 1000, 0.01)).contains("lists the label column"));
    }

    @Test
    void jsonl_reads_nested_fields_and_counts_broken_and_non_object_lines() throws IOException {
        final Random random = new Random(8);
        final List<String> lines = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            lines.add(String.format(Locale.ROOT, "{\"id\":\"e%d\",\"http\":{\"latency_ms\":%.3f,\"status\":\"%s\"},\"label\":%d}",
                    i, Math.abs(random.nextGaussian()) * 50, i % 3 == 0 ? "500" : "200", i % 50 == 0 ? 1 : 0));
        }
        lines.set(3, "{\"http\": {\"latency_ms\": 3");
        lines.add("[1, 2, 3]");
        lines.add("");
        final Path file = write("events.jsonl", lines);
        final Dataset data = DatasetReader.readForTraining(new DatasetReader.TrainingRead(file, null, "label", 1000,
                0.05, 1L, 50));
        assertEquals(199, data.rows());
        assertEquals(List.of("http.latency_ms", "http.status"),
                data.encoder().spec().features().stream().map(FeatureDef::name).toList());
        assertEquals(1L, data.bad().counts().get(FailureReason.MALFORMED));
        assertEquals(1L, data.bad().counts().get(FailureReason.NOT_AN_OBJECT));
        assertEquals(4, data.bad().examples().get(0).line());
        assertEquals(201, data.bad().examples().get(1).line());

        final Dataset labelled = DatasetReader.readForEvaluation(file, data.encoder(), "label", 0.05);
        assertEquals(199, labelled.rows());
        assertEquals(4, java.util.Arrays.stream(labelled.labels()).sum());
    }

    @Test
    void evaluation_refuses_labels_other_than_zero_and_one() throws IOException {
        final Path file = csv(300, 9);
        final Dataset trained = DatasetReader.readForTraining(training(file, null, 1000, 0.01));
        final List<String> lines = new ArrayList<>(Files.readAllLines(file));
        lines.set(1, lines.get(1).replaceAll(",[01]$", ",2"));
        final Path relabelled = write("relabelled.csv", lines);
        final Dataset data = DatasetReader.readForEvaluation(relabelled, trained.encoder(), "label", 0.01);
        assertEquals(299, data.rows());
        assertEquals(FailureReason.INVALID_VALUE, data.bad().examples().get(0).reason());
        assertTrue(data.bad().examples().get(0).message().contains("must be 0 or 1, got '2'"));
    }
}
