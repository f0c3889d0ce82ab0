package dev.nelbo.scorer.offline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.engine.ScoringBatch;
import dev.nelbo.engine.ScoringEngine;
import dev.nelbo.engine.ScoringResults;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.encoding.CsvLine;
import dev.nelbo.schemas.encoding.CsvRecordSource;
import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.encoding.JsonRecordSource;
import dev.nelbo.schemas.encoding.RecordSource;
import dev.nelbo.schemas.event.EventEnvelope;
import dev.nelbo.schemas.output.DeadLetter;
import dev.nelbo.schemas.output.SourceRef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.scorer.output.ScoreMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Offline scoring: a CSV (header row) or JSONL file through the same encoder, engine and output
 * mapping as the streaming scorer. One score record per scoreable line, in input order; lines that
 * cannot be encoded go to the errors file as dead letters with their line number and reason, and the
 * run goes on.
 */
public final class OfflineScorer {

    private static final Logger LOG = LoggerFactory.getLogger(OfflineScorer.class);
    private static final long PROGRESS_EVERY = 100_000;

    private OfflineScorer() {
    }

    /**
     * What a run did.
     *
     * @param scored       score records written
     * @param errors       lines written to the errors file
     * @param modelVersion model version used
     */
    public record Summary(long scored, long errors, String modelVersion) {
    }

    /**
     * @param model   bundle directory
     * @param data    input file (.csv with a header, anything else JSONL)
     * @param out     output JSONL file of score records
     * @param errors  errors JSONL file of dead letters
     * @param samples samples per record
     * @param batch   records per engine call
     * @param device  cpu, cuda or cuda:N
     * @return the summary
     * @throws IllegalArgumentException for a bad bundle, a missing input or a CSV header without the features
     * @throws UncheckedIOException     when reading or writing fails
     */
    public static Summary score(final Path model, final Path data, final Path out, final Path errors, final int samples,
                                final int batch, final String device) {
        final ModelBundle bundle = ModelBundle.load(model);
        if (bundle.manifest().calibration() == null) {
            throw new IllegalArgumentException("model " + bundle.version() + " has no calibration (threshold); calibrate it first");
        }
        final boolean csv = data.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv");
        try (ScoringEngine engine = ScoringEngine.open(bundle, EngineOptions.defaults().withSamples(samples)
                .withDevice(device, false).withMaxBatch(batch));
             BufferedReader in = Files.newBufferedReader(data, StandardCharsets.UTF_8);
             OutputStream scores = Files.newOutputStream(out);
             OutputStream errorLines = Files.newOutputStream(errors)) {
            final Run run = new Run(bundle, engine, data.toString(), scores, errorLines);
            if (csv) {
                run.csv(in);
            } else {
                run.jsonl(in);
            }
            run.flush();
            LOG.info("Scored {} records, {} errors, with model {}", run.scored, run.errors, bundle.version());
            return new Summary(run.scored, run.errors, bundle.version());
        } catch (final NoSuchFileException e) {
            throw new IllegalArgumentException("no such file: " + e.getFile(), e);
        } catch (final IOException e) {
            throw new UncheckedIOException("offline scoring failed: " + e.getMessage(), e);
        }
    }

    /** The state of one run: the batch being filled and what its rows stand for. */
    private static final class Run {
        private final FeatureEncoder encoder;
        private final FeatureSpec spec;
        private final ScoringEngine engine;
        private final ScoringBatch batch;
        private final ScoringResults results;
        private final ScoreMapper mapper;
        private final String file;
        private final OutputStream scores;
        private final OutputStream errorOut;
        private final float[] x;
        private final float[] mask;
        private final List<Row> rows = new ArrayList<>();
        private final String version;
        private long scored;
        private long errors;
        private long lines;

        private record Row(String id, String key, Long time, long line) {
        }

        Run(final ModelBundle bundle, final ScoringEngine engine, final String file, final OutputStream scores,
            final OutputStream errors) {
            this.encoder = bundle.encoder();
            this.spec = encoder.spec();
            this.engine = engine;
            this.batch = engine.newBatch();
            this.results = engine.newResults();
            this.mapper = new ScoreMapper(encoder, bundle.version(), bundle.manifest().calibration().threshold());
            this.version = bundle.version();
            this.file = file;
            this.scores = scores;
            this.errorOut = errors;
            this.x = new float[encoder.width()];
            this.mask = new float[encoder.width()];
        }

        void jsonl(final BufferedReader in) throws IOException {
            final JsonRecordSource source = new JsonRecordSource(spec);
            final String[] idPath = split(spec.idPath());
            final String[] keyPath = split(spec.keyPath());
            final String[] timePath = split(spec.timestampPath());
            String line;
            long n = 0;
            while ((line = in.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                final byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
                try {
                    final ObjectNode event = EventEnvelope.parse(bytes);
                    add(source.reset(event), EventEnvelope.text(event, idPath), EventEnvelope.text(event, keyPath),
                            EventEnvelope.timestampMillis(event, timePath), n);
                } catch (final EncodingException e) {
                    error(e, bytes, n);
                }
            }
        }

        void csv(final BufferedReader in) throws IOException {
            final String headerLine = in.readLine();
            if (headerLine == null) {
                throw new IllegalArgumentException("CSV file " + file + " is empty: expected a header row");
            }
            final List<String> header = Arrays.stream(CsvLine.split(headerLine)).map(String::trim).toList();
            final CsvRecordSource source = new CsvRecordSource(spec, header);
            final int idCol = column(header, spec.idPath());
            final int keyCol = column(header, spec.keyPath());
            final int timeCol = column(header, spec.timestampPath());
            String line;
            long n = 1;
            while ((line = in.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    final String[] cells = CsvLine.split(line);
                    if (cells.length != header.size()) {
                        throw new EncodingException(FailureReason.MALFORMED, null,
                                "CSV line has " + cells.length + " cells but the header has " + header.size());
                    }
                    add(source.reset(cells), cell(cells, idCol), cell(cells, keyCol), time(cell(cells, timeCol)), n);
                } catch (final EncodingException e) {
                    error(e, line.getBytes(StandardCharsets.UTF_8), n);
                }
            }
        }

        private void add(final RecordSource source, final String id, final String key, final Long time, final long line)
                throws IOException {
            encoder.encode(source, x, mask, 0);
            final String recordId = id != null ? id : "line-" + line;
            batch.add(recordId, x, mask);
            rows.add(new Row(recordId, key, time, line));
            if (batch.size() == batch.capacity()) {
                flush();
            }
        }

        void flush() throws IOException {
            if (rows.isEmpty()) {
                return;
            }
            engine.score(batch, results);
            for (int i = 0; i < rows.size(); i++) {
                final Row r = rows.get(i);
                scores.write(ScoreMapper.toJson(mapper.scoreRecord(results, i, r.id(), r.key(), r.time(),
                        SourceRef.fileLine(file, r.line()))));
                scores.write('\n');
            }
            scored += rows.size();
            progress(rows.size());
            rows.clear();
            batch.clear();
        }

        private void error(final EncodingException e, final byte[] original, final long line) throws IOException {
            errorOut.write(ScoreMapper.toJson(DeadLetter.of(e.reason(), e.field(), e.getMessage(), SourceRef.fileLine(file, line),
                    original, version)));
            errorOut.write('\n');
            errors++;
            progress(1);
        }

        private void progress(final int n) {
            final long before = lines;
            lines += n;
            if (lines / PROGRESS_EVERY != before / PROGRESS_EVERY) {
                LOG.info("{} lines done ({} scored, {} errors)", lines, scored, errors);
            }
        }

        private static int column(final List<String> header, final String path) {
            return path == null ? -1 : header.indexOf(path);
        }

        private static String cell(final String[] cells, final int col) {
            return col < 0 || col >= cells.length || cells[col].isEmpty() ? null : cells[col];
        }

        private static Long time(final String text) {
            if (text == null) {
                return null;
            }
            try {
                return (long) Double.parseDouble(text);
            } catch (final NumberFormatException e) {
                try {
                    return Instant.parse(text).toEpochMilli();
                } catch (final DateTimeParseException e2) {
                    return null;
                }
            }
        }

        private static String[] split(final String path) {
            return path == null ? null : JsonRecordSource.splitPath(path);
        }
    }
}
