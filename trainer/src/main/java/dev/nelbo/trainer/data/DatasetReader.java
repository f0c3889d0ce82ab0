package dev.nelbo.trainer.data;

import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.trainer.calibration.SilenceCalibrator;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.encoding.RecordSource;
import dev.nelbo.schemas.event.EventFields;
import dev.nelbo.schemas.history.HistoryTracker;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.SpecInference;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Reads CSV (with a header) or JSON Lines into encoded rows, streaming: memory holds the encoded
 * float rows, never the parsed records. Training reads the file twice: the first pass fits the
 * encoder (validating every line exactly as scoring will) and draws a uniform reservoir sample of
 * line numbers when {@code --max-rows} is smaller than the file; the second encodes the chosen lines.
 *
 * <p>Refused lines are counted per reason with line numbers; the read fails when their share
 * exceeds {@code maxBadFraction}.
 */
public final class DatasetReader {

    private DatasetReader() {
    }

    /**
     * What to read for training.
     *
     * @param file           CSV or JSONL file
     * @param spec           feature spec, or null to infer one
     * @param labelColumn    column/field excluded from the features, or null
     * @param maxRows        most rows kept (uniform reservoir sample beyond)
     * @param maxBadFraction largest tolerated share of refused lines
     * @param seed           seed of the reservoir sample
     * @param minRows        fewest usable rows for training
     */
    public record TrainingRead(Path file, FeatureSpec spec, String labelColumn, long maxRows, double maxBadFraction,
                               long seed, int minRows) {
    }

    /**
     * Reads and encodes a training file, fitting the encoder on it.
     *
     * @param read what to read
     * @return the encoded rows (labels null)
     * @throws IllegalArgumentException with a message saying what to fix (missing/empty file, unknown
     *                                  format, too many bad lines, too few rows, spec problems)
     */
    public static Dataset readForTraining(final TrainingRead read) {
        if (read.maxRows() < 1) {
            throw new IllegalArgumentException("--max-rows must be positive, got " + read.maxRows());
        }
        final LineSource lines = LineSource.open(read.file(), read.labelColumn());
        final List<String> notes = new ArrayList<>();
        final FeatureSpec spec;
        if (read.spec() != null) {
            if (read.labelColumn() != null && read.spec().features().stream()
                    .anyMatch(f -> f.path().equals(read.labelColumn()) || f.name().equals(read.labelColumn()))) {
                throw new IllegalArgumentException("the spec lists the label column '" + read.labelColumn()
                        + "' as a feature: remove it from the spec or pass another --label-column");
            }
            spec = read.spec();
        } else {
            final SpecInference.Result inferred = lines.inferSpec(SpecInference.Options.defaults().withLabel(read.labelColumn()));
            spec = inferred.spec();
            notes.add("inferred a spec with " + spec.features().size() + " features (pass --spec FILE to fix it)");
            notes.addAll(inferred.notes());
        }

        // Pass 1: fit and validate every line; reservoir-sample the usable line numbers (Algorithm R).
        final FeatureEncoder.Fitter fitter = new FeatureEncoder.Fitter(spec);
        final BadLines bad = new BadLines();
        final Reservoir reservoir = new Reservoir(read.maxRows(), new Random(read.seed()));
        // history features are built over every usable line in file order, in both passes, the same way
        final HistoryTracker fitHistory = HistoryTracker.forTraining(spec, null);
        // every usable line, not the sample: a sample's gaps between a key's events are not the key's
        final SilenceCalibrator cadences = new SilenceCalibrator();
        lines.scan(spec, false, bad, (line, record, label) -> {
            cadences.accept(record.key(), record.timeOrMin());
            fitter.accept(record.withHistory(fitHistory, record.timeOrMin()));
            commit(fitHistory);
            reservoir.offer(line);
        });
        checkBadShare(read.file(), bad, reservoir.seen(), read.maxBadFraction());
        if (reservoir.seen() < read.minRows()) {
            throw new IllegalArgumentException("only " + reservoir.seen() + " usable rows in " + read.file()
                    + "; training needs at least " + read.minRows() + " (validation and calibration hold some back)");
        }
        final FeatureEncoder.Fitted fitted = fitter.finish();
        notes.addAll(fitted.summary().notes());
        final FeatureEncoder encoder = fitted.encoder();

        // Pass 2: encode the chosen lines.
        final long[] chosen = reservoir.sortedLines();
        final int width = encoder.width();
        final float[] x = new float[chosen.length * width];
        final float[] mask = new float[chosen.length * width];
        final int[] row = {0};
        final String[] keys = new String[chosen.length];
        // one String per key, not per row
        final java.util.Map<String, String> distinctKeys = new java.util.HashMap<>();
        final BadLines late = new BadLines();
        final HistoryTracker encodeHistory = HistoryTracker.forTraining(spec, encoder);
        final float[] scratchX = new float[width];
        final float[] scratchMask = new float[width];
        lines.scan(spec, false, late, (line, record, label) -> {
            final RecordSource source = record.withHistory(encodeHistory, record.timeOrMin());
            if (row[0] < chosen.length && chosen[row[0]] == line) {
                encoder.encode(source, x, mask, row[0]);
                keys[row[0]] = record.key() == null ? null : distinctKeys.computeIfAbsent(record.key(), k -> k);
                row[0]++;
            } else if (encodeHistory != null) {
                // a line left out of the sample still belongs to its entity's history, if it encodes
                encoder.encode(source, scratchX, scratchMask, 0);
            } else {
                return;
            }
            commit(encodeHistory);
        });
        if (row[0] != chosen.length) {
            throw new IllegalStateException(read.file() + " changed while it was read (" + row[0] + " of "
                    + chosen.length + " sampled lines found again)");
        }
        if (reservoir.seen() > chosen.length) {
            notes.add(String.format(Locale.ROOT, "sampled %d of %d usable rows (--max-rows)", chosen.length, reservoir.seen()));
        }
        return new Dataset(read.file().toString(), encoder, x, mask, chosen.length, null, keys, reservoir.seen(), bad, notes,
                cadences.ratios());
    }

    /**
     * Reads and encodes a labelled file with an existing encoder (evaluation).
     *
     * @param file           CSV or JSONL file
     * @param encoder        the model's encoder
     * @param labelColumn    column/field with 0/1 labels
     * @param maxBadFraction largest tolerated share of refused lines
     * @return the encoded rows with labels
     * @throws IllegalArgumentException with a message saying what to fix
     */
    public static Dataset readForEvaluation(final Path file, final FeatureEncoder encoder, final String labelColumn,
                                            final double maxBadFraction) {
        final LineSource lines = LineSource.open(file, labelColumn);
        final int width = encoder.width();
        final Rows rows = new Rows(width);
        final BadLines bad = new BadLines();
        final HistoryTracker history = HistoryTracker.inMemory(encoder);
        lines.scan(encoder.spec(), true, bad, (line, record, label) -> {
            rows.add(encoder, record.withHistory(history, record.timeOrMin()), label);
            commit(history);
        });
        checkBadShare(file, bad, rows.count, maxBadFraction);
        if (rows.count == 0) {
            throw new IllegalArgumentException("no usable rows in " + file);
        }
        return new Dataset(file.toString(), encoder, Arrays.copyOf(rows.x, rows.count * width),
                Arrays.copyOf(rows.mask, rows.count * width), rows.count, Arrays.copyOf(rows.labels, rows.count), null,
                rows.count, bad, List.of(), null);
    }

    private static void checkBadShare(final Path file, final BadLines bad, final long usable, final double maxBadFraction) {
        final long total = usable + bad.total();
        if (total == 0) {
            throw new IllegalArgumentException(file + " has no data rows: add records after the header (CSV) or one JSON object per line (JSONL)");
        }
        final double share = (double) bad.total() / total;
        if (share > maxBadFraction) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%d of %d lines in %s are unusable (%.2f%%, more than --max-bad-fraction %s): %s. Fix those lines,"
                            + " correct the spec, or raise --max-bad-fraction",
                    bad.total(), total, file, 100 * share, maxBadFraction, bad.summary()));
        }
    }

    /** Growable row-major buffers for a single pass of unknown length. */
    private static final class Rows {
        private final int width;
        private float[] x;
        private float[] mask;
        private int[] labels;
        private int count;

        Rows(final int width) {
            this.width = width;
            x = new float[1024 * width];
            mask = new float[1024 * width];
            labels = new int[1024];
        }

        void add(final FeatureEncoder encoder, final RecordSource record, final int label) {
            if (count == labels.length) {
                x = Arrays.copyOf(x, x.length * 2);
                mask = Arrays.copyOf(mask, mask.length * 2);
                labels = Arrays.copyOf(labels, labels.length * 2);
            }
            encoder.encode(record, x, mask, count);
            labels[count++] = label;
        }
    }

    /** Uniform sample of at most {@code capacity} line numbers from a stream of unknown length. */
    private static final class Reservoir {
        private final long capacity;
        private final Random random;
        private long[] lines = new long[1024];
        private int size;
        private long seen;

        Reservoir(final long capacity, final Random random) {
            this.capacity = Math.min(capacity, Integer.MAX_VALUE - 8);
            this.random = random;
        }

        void offer(final long line) {
            seen++;
            if (size < capacity) {
                if (size == lines.length) {
                    lines = Arrays.copyOf(lines, (int) Math.min(capacity, 2L * lines.length));
                }
                lines[size++] = line;
            } else {
                final long j = (long) (random.nextDouble() * seen);
                if (j < capacity) {
                    lines[(int) j] = line;
                }
            }
        }

        long seen() {
            return seen;
        }

        long[] sortedLines() {
            final long[] out = Arrays.copyOf(lines, size);
            Arrays.sort(out);
            return out;
        }
    }

    /** Receives one parsed, labelled data line; throws {@link EncodingException} to refuse it. */
    @FunctionalInterface
    interface RowSink {
        void accept(long line, EventFields record, int label);
    }

    private static void commit(final HistoryTracker history) {
        if (history != null) {
            history.commit();
        }
    }

    static EncodingException malformed(final String message) {
        return new EncodingException(FailureReason.MALFORMED, null, message);
    }
}
