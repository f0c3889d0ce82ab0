package dev.nelbo.trainer.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.encoding.CsvLine;
import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.event.DecodeLimits;
import dev.nelbo.schemas.event.AvroEventReader;
import dev.nelbo.schemas.event.CsvEventReader;
import dev.nelbo.schemas.event.EventFields;
import dev.nelbo.schemas.event.EventReader;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.SpecInference;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A data file seen as numbered data lines: CSV with a header line, or JSON Lines (one event object
 * per line). The format follows the file name ({@code .csv}; {@code .jsonl}, {@code .ndjson},
 * {@code .json}). Each scan re-reads the file, so nothing but the current line is held in memory.
 */
abstract class LineSource {

    /** Data lines used to infer a spec when none is given. */
    static final int INFERENCE_SAMPLE = 2000;

    final Path file;
    final String labelColumn;

    private LineSource(final Path file, final String labelColumn) {
        this.file = file;
        this.labelColumn = labelColumn;
    }

    /**
     * @throws IllegalArgumentException for a missing, unreadable, empty or unrecognised file
     */
    static LineSource open(final Path file, final String labelColumn) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("data file " + file + " does not exist or is not a file");
        }
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException("data file " + file + " is not readable");
        }
        final String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        final boolean empty;
        try {
            empty = Files.size(file) == 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        if (empty) {
            throw new IllegalArgumentException("data file " + file + " is empty: expected "
                    + (name.endsWith(".csv") ? "a header line and data rows" : "one JSON object per line"));
        }
        if (name.endsWith(".csv")) {
            return new Csv(file, labelColumn);
        }
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")) {
            return new JsonLines(file, labelColumn);
        }
        if (name.endsWith(".avro")) {
            return new AvroFile(file, labelColumn);
        }
        throw new IllegalArgumentException("cannot tell the format of " + file
                + " from its name: use .csv (with a header), .jsonl (one JSON object per line) or .avro (an Avro"
                + " container file)");
    }

    /** Infers a spec from the first {@value #INFERENCE_SAMPLE} readable data lines. */
    abstract SpecInference.Result inferSpec(SpecInference.Options options);

    /**
     * Reads every data line; unusable lines (also those the sink refuses) go to {@code bad}.
     *
     * @param spec      feature spec the records are read through
     * @param withLabel whether each line must carry a 0/1 label in the label column
     * @param bad       tally of refused lines
     * @param sink      receives usable lines
     */
    abstract void scan(FeatureSpec spec, boolean withLabel, BadLines bad, DatasetReader.RowSink sink);

    BufferedReader reader() {
        try {
            return Files.newBufferedReader(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    static int parseLabel(final String text, final String labelColumn) {
        final String t = text == null ? "" : text.trim();
        switch (t) {
            case "0", "0.0", "false" -> {
                return 0;
            }
            case "1", "1.0", "true" -> {
                return 1;
            }
            default -> throw new EncodingException(t.isEmpty() ? FailureReason.MISSING_FIELD : FailureReason.INVALID_VALUE,
                    labelColumn, "label '" + labelColumn + "' must be 0 or 1, got " + (t.isEmpty() ? "nothing" : "'" + t + "'"));
        }
    }

    /** CSV with a header line. */
    private static final class Csv extends LineSource {
        private final List<String> header;
        private final int labelIndex;

        Csv(final Path file, final String labelColumn) {
            super(file, labelColumn);
            try (BufferedReader in = reader()) {
                final String first = in.readLine();
                if (first == null || first.isBlank()) {
                    throw new IllegalArgumentException("data file " + file + " has no header line: the first line of a CSV"
                            + " must name the columns");
                }
                header = Arrays.stream(CsvLine.split(stripBom(first))).map(String::trim).toList();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
            labelIndex = labelColumn == null ? -1 : header.indexOf(labelColumn);
            if (labelColumn != null && labelIndex < 0) {
                throw new IllegalArgumentException("label column '" + labelColumn + "' is not in the header of " + file
                        + " (columns: " + String.join(",", header) + ")");
            }
        }

        @Override
        SpecInference.Result inferSpec(final SpecInference.Options options) {
            final List<String[]> sample = new ArrayList<>();
            try (BufferedReader in = reader()) {
                in.readLine();
                String line;
                while (sample.size() < INFERENCE_SAMPLE && (line = in.readLine()) != null) {
                    if (line.isBlank()) {
                        continue;
                    }
                    try {
                        final String[] cells = CsvLine.split(line);
                        if (cells.length == header.size()) {
                            sample.add(cells);
                        }
                    } catch (EncodingException e) {
                        // malformed lines are reported by the scan, not by inference
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
            if (sample.isEmpty()) {
                throw new IllegalArgumentException(file + " has no readable data rows after the header");
            }
            return SpecInference.fromCsv(header, sample, options);
        }

        @Override
        void scan(final FeatureSpec spec, final boolean withLabel, final BadLines bad, final DatasetReader.RowSink sink) {
            final CsvEventReader events = new CsvEventReader(spec, header);
            final EventFields fields = events.newFields();
            try (BufferedReader in = reader()) {
                in.readLine();
                String line;
                long number = 1;
                while ((line = in.readLine()) != null) {
                    number++;
                    if (line.isBlank()) {
                        continue;
                    }
                    try {
                        final String[] cells = CsvLine.split(line);
                        if (cells.length != header.size()) {
                            throw DatasetReader.malformed(cells.length + " cells but the header has " + header.size());
                        }
                        final int label = withLabel ? parseLabel(cells[labelIndex], labelColumn) : -1;
                        events.read(cells, fields);
                        sink.accept(number, fields, label);
                    } catch (EncodingException e) {
                        bad.add(number, e.reason(), e.field(), e.getMessage());
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }

        private static String stripBom(final String s) {
            return s.startsWith("\uFEFF") ? s.substring(1) : s;
        }
    }

    /** JSON Lines: one event object per line, read as the scorer reads Kafka values. */
    private static class JsonLines extends LineSource {

        JsonLines(final Path file, final String labelColumn) {
            super(file, labelColumn);
        }

        @Override
        SpecInference.Result inferSpec(final SpecInference.Options options) {
            final List<JsonNode> sample = new ArrayList<>();
            try (BufferedReader in = reader()) {
                String line;
                while (sample.size() < INFERENCE_SAMPLE && (line = in.readLine()) != null) {
                    if (line.isBlank()) {
                        continue;
                    }
                    try {
                        final JsonNode node = Json.EVENTS.readTree(line);
                        if (node != null && node.isObject()) {
                            sample.add(node);
                        }
                    } catch (JsonProcessingException e) {
                        // malformed lines are reported by the scan, not by inference
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
            if (sample.isEmpty()) {
                throw new IllegalArgumentException(file + " has no readable JSON object lines");
            }
            if (labelColumn != null && sample.stream().noneMatch(n -> hasPath(n, labelColumn))) {
                throw new IllegalArgumentException("label field '" + labelColumn + "' does not occur in the first "
                        + sample.size() + " events of " + file);
            }
            return SpecInference.fromJson(sample, options);
        }

        private static boolean hasPath(final JsonNode event, final String path) {
            JsonNode node = event;
            for (final String segment : EventReader.splitPath(path)) {
                if (node == null || !node.isObject()) {
                    return false;
                }
                node = node.get(segment);
            }
            return node != null;
        }

        @Override
        void scan(final FeatureSpec spec, final boolean withLabel, final BadLines bad, final DatasetReader.RowSink sink) {
            final EventReader events = labelColumn == null ? EventReader.forSpec(spec, DecodeLimits.defaults())
                    : EventReader.forSpec(spec, DecodeLimits.defaults(), labelColumn);
            final EventFields fields = events.newFields();
            try (BufferedReader in = reader()) {
                String line;
                long number = 0;
                while ((line = in.readLine()) != null) {
                    number++;
                    if (line.isBlank()) {
                        continue;
                    }
                    try {
                        events.read(line.getBytes(StandardCharsets.UTF_8), fields);
                        final int label = withLabel ? parseLabel(fields.extra(0), labelColumn) : -1;
                        sink.accept(number, fields, label);
                    } catch (EncodingException e) {
                        bad.add(number, e.reason(), e.field(), e.getMessage());
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
    }

    /**
     * An Avro object container file (its schema in its header), each record read as the JSON event it is a twin of
     * ({@code AvroEventReader.toJson}): a model trained on it reads the same events from Kafka in Avro (a schema file or
     * a schema registry) to the same model input. Line numbers are record numbers.
     */
    private static final class AvroFile extends JsonLines {

        AvroFile(final Path file, final String labelColumn) {
            super(file, labelColumn);
        }

        @Override
        BufferedReader reader() {
            return AvroEventReader.jsonLines(file);
        }
    }
}
