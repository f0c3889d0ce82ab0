package dev.nelbo.scorer.offline;

import dev.nelbo.engine.EngineOptions;
import dev.nelbo.engine.ScoringBatch;
import dev.nelbo.engine.ScoringEngine;
import dev.nelbo.engine.ScoringResults;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.encoding.CsvLine;
import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.event.AvroEventReader;
import dev.nelbo.schemas.event.CsvEventReader;
import dev.nelbo.schemas.event.DecodeLimits;
import dev.nelbo.schemas.event.DecodedEvent;
import dev.nelbo.schemas.event.EventDecoder;
import dev.nelbo.schemas.history.HistoryTracker;
import dev.nelbo.schemas.output.DeadLetter;
import dev.nelbo.schemas.output.SourceRef;
import dev.nelbo.schemas.state.MapKeyedStore;
import dev.nelbo.scorer.model.LoadedModel;
import dev.nelbo.scorer.output.ScoreWriter;
import dev.nelbo.scorer.pipeline.EntityMonitor;
import dev.nelbo.scorer.pipeline.PipelineSettings;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Offline scoring: a CSV (header row) or JSONL file through the same encoder, engine and output
 * mapping as the streaming scorer. One score record per scoreable line, in input order; lines that
 * cannot be encoded go to the errors file as dead letters with their line number and reason, and the
 * run goes on. A model with an entity test runs it per key (the spec's key path) in file order, as the streaming scorer
 * does per partition, so score records carry {@code entity_evidence} and {@code entity_anomalous} (entity alerts are
 * the streaming scorer's).
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
        final String name = data.getFileName().toString().toLowerCase(Locale.ROOT);
        final boolean csv = name.endsWith(".csv");
        try (ScoringEngine engine = ScoringEngine.open(bundle, EngineOptions.defaults().withSamples(samples)
                .withDevice(device, false).withMaxBatch(batch));
             // an Avro container file is read as the JSON events its records are twins of
             BufferedReader in = name.endsWith(".avro") ? AvroEventReader.jsonLines(data)
                     : Files.newBufferedReader(data, StandardCharsets.UTF_8);
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
        private final ModelBundle bundle;
        private final EventDecoder decoder;
        private final DecodedEvent decoded;
        private final HistoryTracker history;
        private final ScoringEngine engine;
        private final ScoringBatch batch;
        private final ScoringResults results;
        private final ScoreWriter writer;
        private final String file;
        private final OutputStream scores;
        private final OutputStream errorOut;
        private final List<Row> rows = new ArrayList<>();
        private final EntityMonitor entities;
        private CsvEventReader csv;
        private long scored;
        private long errors;
        private long lines;

        /** A scored row's outputs need its id, key, time, line and, when it has clamped values, its text again. */
        private record Row(String id, String key, Long time, long line, int clamped, Object original, long pastEvents) {
        }

        Run(final ModelBundle bundle, final ScoringEngine engine, final String file, final OutputStream scores,
            final OutputStream errors) {
            this.bundle = bundle;
            this.decoder = new EventDecoder(bundle.encoder(), DecodeLimits.defaults());
            this.decoded = decoder.newEvent();
            this.history = HistoryTracker.inMemory(bundle.encoder());
            this.engine = engine;
            this.batch = engine.newBatch();
            this.results = engine.newResults();
            this.writer = new ScoreWriter(bundle.encoder(), bundle.version(), true, 3);
            this.entities = new EntityMonitor(PipelineSettings.defaults(0).boundEntity(new MapKeyedStore<>(), evicted -> { }));
            entities.model(LoadedModel.entityEvidenceOf(bundle), results.featureCount());
            this.file = file;
            this.scores = scores;
            this.errorOut = errors;
        }

        void jsonl(final BufferedReader in) throws IOException {
            String line;
            long n = 0;
            while ((line = in.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                final byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
                add(decoder.decode(bytes, batch.x(), batch.mask(), batch.nextRow(), decoded, history, Long.MIN_VALUE), bytes, n,
                        bytes);
            }
        }

        void csv(final BufferedReader in) throws IOException {
            final String headerLine = in.readLine();
            if (headerLine == null) {
                throw new IllegalArgumentException("CSV file " + file + " is empty: expected a header row");
            }
            final List<String> header = Arrays.stream(CsvLine.split(headerLine)).map(String::trim).toList();
            csv = new CsvEventReader(bundle.encoder().spec(), header);
            String line;
            long n = 1;
            while ((line = in.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                final byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
                final String[] cells;
                try {
                    cells = CsvLine.split(line);
                } catch (final EncodingException e) {
                    error(e, bytes, n);
                    continue;
                }
                add(decoder.decode(cells, csv, batch.x(), batch.mask(), batch.nextRow(), decoded, history), bytes, n, cells);
            }
        }

        private void add(final DecodedEvent event, final byte[] bytes, final long line, final Object original)
                throws IOException {
            if (!event.ok()) {
                error(event.failure(), bytes, line);
                return;
            }
            final String id = event.fields().id() != null ? event.fields().id() : "line-" + line;
            batch.commitRow(id);
            rows.add(new Row(id, event.fields().key(), event.fields().timeMillis(), line, event.clampedCount(),
                    event.clampedCount() > 0 ? original : null, event.pastEvents()));
            if (batch.size() == batch.capacity()) {
                flush();
            }
        }

        void flush() throws IOException {
            if (rows.isEmpty()) {
                return;
            }
            engine.score(batch, results);
            final float[] x = new float[batch.width()];
            final float[] mask = new float[batch.width()];
            for (int i = 0; i < rows.size(); i++) {
                final Row r = rows.get(i);
                final boolean observed = entities.enabled() && r.key() != null;
                if (observed) {
                    // file order stands for record order; the line number for the time the state keeps
                    entities.observe(r.key(), results, i, r.id(), r.line());
                }
                scores.write(writer.score(results, i, r.id(), r.key(), r.time(), SourceRef.fileLine(file, r.line()),
                        r.clamped() > 0 ? again(r.original(), x, mask) : null, r.pastEvents(),
                        observed ? entities.statistic() : Double.NaN, observed && entities.anomalous()));
                scores.write('\n');
            }
            scored += rows.size();
            progress(rows.size());
            rows.clear();
            batch.clear();
        }

        /** The decode result of a line read before, for its clamped values (the same text decodes the same). */
        private DecodedEvent again(final Object original, final float[] x, final float[] mask) {
            return original instanceof byte[] json ? decoder.decode(json, x, mask, 0, decoded)
                    : decoder.decode((String[]) original, csv, x, mask, 0, decoded, null);
        }

        private void error(final EncodingException e, final byte[] original, final long line) throws IOException {
            errorOut.write(ScoreWriter.deadLetter(DeadLetter.of(e.reason(), e.field(), e.getMessage(),
                    SourceRef.fileLine(file, line), original, bundle.version())));
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
    }
}
