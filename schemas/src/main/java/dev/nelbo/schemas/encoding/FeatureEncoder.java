package dev.nelbo.schemas.encoding;

import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;
import dev.nelbo.schemas.spec.MissingPolicy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a record into the model's input: a float vector plus an observed-mask. The ONE encoding used
 * by training and by scoring. Continuous values are transformed, then standardised with the training
 * mean and standard deviation; binary values are 0/1; categorical values are one-hot over the top-K
 * training values plus an out-of-vocabulary column; a time feature is the sine and cosine of the event time's
 * position in its cycle (local time in the spec's zone). Context features come last: the decoder reconstructs
 * only the columns before them ({@link #reconstructedWidth()}).
 *
 * <p>Missing values under policy {@code impute} get their training expectation (0 after
 * standardisation, the training rate for binary, the training frequencies for categorical) and mask 0,
 * so they take no part in the reconstruction term.
 *
 * <p>Extreme values are anomalies, not errors: a continuous value more than {@link #MAX_ABS_ENCODED}
 * standard deviations from the training mean (infinity and numbers beyond a double included) is clamped
 * to that bound for the model and reported to the caller, which flags it in the score and the alert.
 * Fitting, in contrast, refuses infinite values: they would make the statistics meaningless.
 *
 * <p>Instances are immutable and thread-safe; {@link #encode} allocates nothing beyond what the
 * caller passes in except a thread-local {@link RawValue}.
 */
public final class FeatureEncoder {

    /** A standard deviation below this counts as a constant column (scale 1 is used instead). */
    public static final double MIN_SCALE = 1e-12;
    /**
     * Encoded continuous values are clamped to this magnitude (in standard deviations): far beyond anything
     * normal, yet small enough that the graphs and the likelihood stay finite in float arithmetic.
     */
    public static final double MAX_ABS_ENCODED = 1e6;

    /** Largest distance, in training standard deviations, of a value that enters its entity's history. */
    public static final double MAX_HISTORY_Z = 20;

    private final FeatureSpec spec;
    private final EncoderStats stats;
    private final List<ColumnBlock> layout;
    private final int width;
    private final FeatureDef[] defs;
    private final double[] centre;
    private final double[] invScale;
    private final Map<String, Integer>[] vocab;
    private final float[][] imputed;
    private final java.time.zone.ZoneRules zone;
    private final int reconstructedWidth;
    private final ThreadLocal<RawValue> scratch = ThreadLocal.withInitial(RawValue::new);

    /**
     * Rebuilds an encoder from a manifest's spec and statistics.
     *
     * @param spec  feature spec
     * @param stats fitted statistics, one per feature in spec order
     * @throws IllegalArgumentException when spec and statistics do not belong together
     */
    @SuppressWarnings("unchecked")
    public FeatureEncoder(final FeatureSpec spec, final EncoderStats stats) {
        this.spec = spec;
        this.stats = stats;
        final List<FeatureDef> features = spec.features();
        if (stats.features().size() != features.size()) {
            throw new IllegalArgumentException("encoder statistics cover " + stats.features().size()
                    + " features but the spec has " + features.size());
        }
        final int n = features.size();
        defs = features.toArray(new FeatureDef[0]);
        centre = new double[n];
        invScale = new double[n];
        vocab = new Map[n];
        imputed = new float[n][];
        final List<ColumnBlock> blocks = new ArrayList<>(n);
        int offset = 0;
        for (int i = 0; i < n; i++) {
            final FeatureDef f = defs[i];
            final FeatureStats s = stats.features().get(i);
            if (!s.name().equals(f.name())) {
                throw new IllegalArgumentException("encoder statistics #" + i + " are for '" + s.name()
                        + "' but the spec's feature #" + i + " is '" + f.name() + "'");
            }
            centre[i] = s.centre();
            invScale[i] = 1.0 / s.scale();
            int w = 1;
            if (f.type() == FeatureType.CATEGORICAL) {
                if (s.vocabulary() == null) {
                    throw new IllegalArgumentException("categorical feature '" + f.name() + "' has no vocabulary in its statistics");
                }
                final Map<String, Integer> m = new HashMap<>();
                for (int k = 0; k < s.vocabulary().size(); k++) {
                    m.put(s.vocabulary().get(k), k);
                }
                vocab[i] = m;
                w = s.vocabulary().size() + 1;
                final double[] freq = s.frequencies();
                imputed[i] = new float[w];
                for (int k = 0; k < w; k++) {
                    imputed[i][k] = (float) freq[k];
                }
            } else if (f.type() == FeatureType.BINARY) {
                imputed[i] = new float[] {(float) s.centre()};
            } else if (f.type() == FeatureType.TIME) {
                w = 2;
                imputed[i] = new float[] {0f, 0f};
            } else {
                imputed[i] = new float[] {0f};
            }
            blocks.add(new ColumnBlock(f.name(), f.type().likelihood(), offset, w, f.contextual()));
            offset += w;
        }
        layout = List.copyOf(blocks);
        width = offset;
        zone = spec.zoneRules();
        reconstructedWidth = ColumnBlock.reconstructedWidth(layout, width);
    }

    /**
     * Fits statistics on training records.
     *
     * @param spec    feature spec
     * @param records training records (iterated once)
     * @return the fitted encoder and a summary
     * @throws EncodingException when a training record is unusable (wrong type, not finite, missing
     *                           under policy reject); the caller decides whether to skip or fail
     */
    public static Fitted fit(final FeatureSpec spec, final Iterable<? extends RecordSource> records) {
        final Fitter fitter = new Fitter(spec);
        for (RecordSource r : records) {
            fitter.accept(r);
        }
        return fitter.finish();
    }

    /**
     * An encoder fitted on training data with a summary of what it saw.
     *
     * @param encoder the encoder
     * @param summary fit summary
     */
    public record Fitted(FeatureEncoder encoder, FitSummary summary) {
    }

    /**
     * Incremental fitting: validates each record exactly as {@link #encode} will (same reasons), so
     * rows that would be dead-lettered at scoring time are reported at training time.
     */
    public static final class Fitter {
        private final FeatureSpec spec;
        private final FeatureDef[] defs;
        private final long[] count;
        private final double[] mean;
        private final double[] m2;
        private final Map<String, long[]>[] counts;
        private final RawValue raw = new RawValue();
        private long rows;

        /** @param spec feature spec */
        @SuppressWarnings("unchecked")
        public Fitter(final FeatureSpec spec) {
            this.spec = spec;
            defs = spec.features().toArray(new FeatureDef[0]);
            count = new long[defs.length];
            mean = new double[defs.length];
            m2 = new double[defs.length];
            counts = new Map[defs.length];
            for (int i = 0; i < defs.length; i++) {
                if (defs[i].type() == FeatureType.CATEGORICAL) {
                    counts[i] = new HashMap<>();
                }
            }
        }

        /**
         * Adds one record; either all of its features are counted or none.
         *
         * @param record the record
         * @throws EncodingException when the record is unusable
         */
        public void accept(final RecordSource record) {
            final double[] values = new double[defs.length];
            final String[] texts = new String[defs.length];
            final boolean[] present = new boolean[defs.length];
            for (int i = 0; i < defs.length; i++) {
                record.read(i, raw);
                final FeatureDef f = defs[i];
                if (isMissing(raw)) {
                    requireImputable(f, raw);
                    continue;
                }
                present[i] = true;
                switch (f.type()) {
                    case CONTINUOUS -> values[i] = finiteForFit(f, raw, continuousValue(f, raw));
                    case BINARY -> values[i] = binaryValue(f, raw);
                    case CATEGORICAL -> texts[i] = categoryText(f, raw);
                    case TIME -> timeMillis(f, raw);
                }
            }
            for (int i = 0; i < defs.length; i++) {
                if (!present[i]) {
                    continue;
                }
                count[i]++;
                if (texts[i] != null) {
                    counts[i].computeIfAbsent(texts[i], k -> new long[1])[0]++;
                } else {
                    final double d = values[i] - mean[i];
                    mean[i] += d / count[i];
                    m2[i] += d * (values[i] - mean[i]);
                }
            }
            rows++;
        }

        /**
         * @return the fitted encoder
         * @throws IllegalArgumentException when no records were accepted or a feature was never seen
         */
        public Fitted finish() {
            if (rows == 0) {
                throw new IllegalArgumentException("cannot fit the feature encoder on zero usable records");
            }
            final List<String> notes = new ArrayList<>();
            final List<FeatureStats> out = new ArrayList<>(defs.length);
            for (int i = 0; i < defs.length; i++) {
                final FeatureDef f = defs[i];
                if (count[i] == 0) {
                    throw new IllegalArgumentException("feature '" + f.name() + "' has no values in the training data: "
                            + "check its path '" + f.path() + "' or drop it from the spec");
                }
                switch (f.type()) {
                    case CONTINUOUS -> {
                        final double sd = count[i] > 1 ? Math.sqrt(m2[i] / (count[i] - 1)) : 0.0;
                        final boolean constant = !(sd >= MIN_SCALE);
                        if (constant) {
                            notes.add("feature '" + f.name() + "' is constant in training (sd=" + sd + "): scale set to 1");
                        }
                        out.add(new FeatureStats(f.name(), mean[i], constant ? 1.0 : sd, constant, null, null, count[i]));
                    }
                    case BINARY -> {
                        final boolean constant = mean[i] == 0.0 || mean[i] == 1.0;
                        if (constant) {
                            notes.add("binary feature '" + f.name() + "' is always " + (int) mean[i] + " in training");
                        }
                        out.add(new FeatureStats(f.name(), mean[i], 1.0, constant, null, null, count[i]));
                    }
                    case CATEGORICAL -> out.add(vocabularyStats(f, counts[i], count[i], spec.maxCategories(), notes));
                    // sine and cosine are in [-1, 1] already: nothing to fit
                    case TIME -> out.add(new FeatureStats(f.name(), 0.0, 1.0, false, null, null, count[i]));
                }
            }
            final FeatureEncoder enc = new FeatureEncoder(spec, new EncoderStats(out));
            return new Fitted(enc, new FitSummary(rows, notes));
        }

        private static FeatureStats vocabularyStats(final FeatureDef f, final Map<String, long[]> counts, final long total,
                                                    final int maxCategories, final List<String> notes) {
            final List<Map.Entry<String, long[]>> entries = new ArrayList<>(counts.entrySet());
            // Most frequent first; ties by value so the vocabulary does not depend on hash order.
            entries.sort(Comparator.<Map.Entry<String, long[]>>comparingLong(e -> -e.getValue()[0])
                    .thenComparing(Map.Entry::getKey));
            final int k = Math.min(maxCategories, entries.size());
            final List<String> vocabulary = new ArrayList<>(k);
            final double[] freq = new double[k + 1];
            long kept = 0;
            for (int j = 0; j < k; j++) {
                vocabulary.add(entries.get(j).getKey());
                freq[j] = (double) entries.get(j).getValue()[0] / total;
                kept += entries.get(j).getValue()[0];
            }
            freq[k] = (double) (total - kept) / total;
            if (entries.size() > k) {
                notes.add("categorical feature '" + f.name() + "' has " + entries.size() + " distinct values: kept the top "
                        + k + ", the rest share the out-of-vocabulary slot (" + String.format("%.2f%%", 100 * freq[k]) + " of rows)");
            }
            if (k == 1) {
                notes.add("categorical feature '" + f.name() + "' has a single value in training");
            }
            return new FeatureStats(f.name(), 0.0, 1.0, k == 1, vocabulary, freq, total);
        }
    }

    /** @return the feature spec */
    public FeatureSpec spec() {
        return spec;
    }

    /** @return the fitted statistics */
    public EncoderStats stats() {
        return stats;
    }

    /** @return where each feature lives in the encoded vector */
    public List<ColumnBlock> layout() {
        return layout;
    }

    /**
     * The feature a per-context setting names, which must be a categorical context feature.
     *
     * @param feature its name
     * @param setting the setting naming it, for messages ({@code --threshold-by})
     * @return its index in {@link #layout()}
     * @throws IllegalArgumentException naming the setting and the feature otherwise
     */
    public int categoricalContext(final String feature, final String setting) {
        for (int f = 0; f < layout.size(); f++) {
            final ColumnBlock b = layout.get(f);
            if (b.feature().equals(feature)) {
                if (!b.contextual() || b.likelihood() != Likelihood.CATEGORICAL) {
                    throw new IllegalArgumentException(setting + " " + feature + ": not a categorical context feature"
                            + " (mark it \"context\": true in the spec)");
                }
                return f;
            }
        }
        throw new IllegalArgumentException(setting + " " + feature + ": no such feature; the features are "
                + layout.stream().map(ColumnBlock::feature).toList());
    }

    /** @return width D of the encoded vector */
    public int width() {
        return width;
    }

    /**
     * @return the columns the decoder reconstructs: {@code [0, reconstructedWidth)}; the rest, up to {@link #width()},
     *         are context (all of it for a model without context features)
     */
    public int reconstructedWidth() {
        return reconstructedWidth;
    }

    /**
     * Encodes one record into row {@code row} of row-major buffers of width {@link #width()}.
     *
     * @param record record to read
     * @param x      encoded values
     * @param mask   observed-mask (1 observed, 0 missing), same layout as x
     * @param row    row index in the buffers
     * @throws EncodingException with a typed reason and the feature name when the record cannot be
     *                           encoded; the buffers' row is then unspecified
     */
    public void encode(final RecordSource record, final float[] x, final float[] mask, final int row) {
        encode(record, x, mask, row, null);
    }

    /**
     * Encodes one record (see {@link #encode(RecordSource, float[], float[], int)}) and reports the features
     * whose values were clamped to {@link #MAX_ABS_ENCODED}.
     *
     * @param record  record to read
     * @param x       encoded values
     * @param mask    observed-mask, same layout as x
     * @param row     row index in the buffers
     * @param clamped receives the indices of clamped features (at most one per feature), or null
     * @return how many features were clamped
     * @throws EncodingException with a typed reason and the feature name when the record cannot be encoded
     */
    public int encode(final RecordSource record, final float[] x, final float[] mask, final int row, final int[] clamped) {
        final RawValue raw = scratch.get();
        int clamps = 0;
        final int base = row * width;
        for (int i = 0; i < defs.length; i++) {
            record.read(i, raw);
            final FeatureDef f = defs[i];
            final ColumnBlock block = layout.get(i);
            final int at = base + block.offset();
            if (isMissing(raw)) {
                requireImputable(f, raw);
                System.arraycopy(imputed[i], 0, x, at, block.width());
                fill(mask, at, block.width(), 0f);
                continue;
            }
            switch (f.type()) {
                case CONTINUOUS -> {
                    final double z = (continuousValue(f, raw) - centre[i]) * invScale[i];
                    if (Math.abs(z) <= MAX_ABS_ENCODED) {
                        x[at] = (float) z;
                    } else {
                        // z is +-infinity or beyond the bound (never NaN: continuousValue refuses NaN)
                        x[at] = (float) Math.copySign(MAX_ABS_ENCODED, z);
                        if (clamped != null) {
                            clamped[clamps] = i;
                        }
                        clamps++;
                    }
                }
                case BINARY -> x[at] = (float) binaryValue(f, raw);
                case CATEGORICAL -> {
                    final Integer k = vocab[i].get(categoryText(f, raw));
                    fill(x, at, block.width(), 0f);
                    x[at + (k == null ? block.width() - 1 : k)] = 1f;
                }
                case TIME -> {
                    final double angle = 2 * Math.PI * f.period().fraction(timeMillis(f, raw), zone);
                    x[at] = (float) Math.sin(angle);
                    x[at + 1] = (float) Math.cos(angle);
                }
            }
            fill(mask, at, block.width(), 1f);
        }
        return clamps;
    }

    /**
     * The raw-unit value that encoded value {@code encoded} of continuous feature {@code feature}
     * stands for (undoes standardisation and the transform); used to show expected values.
     *
     * @param feature feature index
     * @param encoded encoded (standardised) value
     * @return the value in the event's units
     */
    public double decodeContinuous(final int feature, final double encoded) {
        return defs[feature].transform().invert(encoded / invScale[feature] + centre[feature]);
    }

    /**
     * @param feature  categorical feature index
     * @param category column within the block
     * @return the vocabulary value, or {@code "<other>"} for the out-of-vocabulary slot
     */
    public String category(final int feature, final int category) {
        final List<String> v = stats.features().get(feature).vocabulary();
        return category < v.size() ? v.get(category) : "<other>";
    }

    /**
     * The value an entity's history summarises for a continuous feature: its transformed value, or NaN when
     * it is missing, not a number or not finite (see also {@link #historyEligible}).
     *
     * @param f   a continuous feature
     * @param raw its raw value in a record that encodes
     * @return the transformed value, or NaN
     */
    public static double historyValue(final FeatureDef f, final RawValue raw) {
        if (raw.kind() != RawValue.Kind.NUMBER || !Double.isFinite(raw.number())) {
            return Double.NaN;
        }
        final double t = f.transform().apply(raw.number());
        return Double.isFinite(t) ? t : Double.NaN;
    }

    /**
     * Whether a value may enter its entity's history: within {@link #MAX_HISTORY_Z} training standard deviations
     * of the training mean. A value beyond is anomalous whatever the entity (its event alerts on its own) and
     * would drag the entity's baseline for many events; a level any entity had in training is well inside.
     *
     * @param feature     index of a continuous feature
     * @param transformed its transformed value
     * @return whether the value is within the bound
     */
    public boolean historyEligible(final int feature, final double transformed) {
        return Math.abs((transformed - centre[feature]) * invScale[feature]) <= MAX_HISTORY_Z;
    }

    private static void fill(final float[] a, final int from, final int n, final float v) {
        for (int j = 0; j < n; j++) {
            a[from + j] = v;
        }
    }

    private static boolean isMissing(final RawValue raw) {
        return raw.kind() == RawValue.Kind.ABSENT || raw.kind() == RawValue.Kind.NULL;
    }

    private static void requireImputable(final FeatureDef f, final RawValue raw) {
        if (f.missing() == MissingPolicy.REJECT) {
            throw new EncodingException(FailureReason.MISSING_FIELD, f.name(), "feature '" + f.name() + "' at '"
                    + f.path() + "' is " + raw.describe() + " and its missing policy is reject");
        }
    }

    private static double continuousValue(final FeatureDef f, final RawValue raw) {
        final double v;
        if (raw.kind() == RawValue.Kind.NUMBER) {
            v = raw.number();
        } else if (raw.kind() == RawValue.Kind.TEXT && nonFiniteWord(raw.text()) != null) {
            v = nonFiniteWord(raw.text());
        } else {
            throw wrongType(f, raw, "a number");
        }
        if (Double.isNaN(v)) {
            throw new EncodingException(FailureReason.NOT_FINITE, f.name(), "feature '" + f.name() + "' is NaN");
        }
        final double t = f.transform().apply(v);
        if (Double.isNaN(t)) {
            throw new EncodingException(FailureReason.INVALID_VALUE, f.name(), "feature '" + f.name() + "': transform "
                    + f.transform().wireName() + " is undefined for " + v);
        }
        return t;
    }

    private static long timeMillis(final FeatureDef f, final RawValue raw) {
        final Long millis = raw.epochMillis();
        if (millis == null) {
            throw wrongType(f, raw, "an event time (epoch milliseconds or an ISO-8601 instant such as 2026-11-21T12:00:00Z)");
        }
        return millis;
    }

    /** Training statistics need finite values: infinity (or a number beyond a double) is refused there. */
    private static double finiteForFit(final FeatureDef f, final RawValue raw, final double transformed) {
        if (!Double.isFinite(transformed)) {
            throw new EncodingException(FailureReason.NOT_FINITE, f.name(), "feature '" + f.name()
                    + "' is infinite or beyond a double: training data needs finite values");
        }
        return transformed;
    }

    private static double binaryValue(final FeatureDef f, final RawValue raw) {
        if (raw.kind() == RawValue.Kind.BOOLEAN) {
            return raw.bool() ? 1.0 : 0.0;
        }
        if (raw.kind() != RawValue.Kind.NUMBER) {
            throw wrongType(f, raw, "0/1 or a boolean");
        }
        if (raw.number() == 0.0 || raw.number() == 1.0) {
            return raw.number();
        }
        if (Double.isNaN(raw.number())) {
            throw new EncodingException(FailureReason.NOT_FINITE, f.name(), "binary feature '" + f.name() + "' is NaN");
        }
        throw new EncodingException(FailureReason.INVALID_VALUE, f.name(), "binary feature '" + f.name()
                + "' must be 0 or 1, got " + raw.number());
    }

    private static String categoryText(final FeatureDef f, final RawValue raw) {
        if (raw.kind() == RawValue.Kind.TEXT) {
            return raw.text();
        }
        if (raw.kind() == RawValue.Kind.NUMBER && raw.text() != null) {
            return raw.text();
        }
        if (raw.kind() == RawValue.Kind.BOOLEAN) {
            return raw.bool() ? "true" : "false";
        }
        throw wrongType(f, raw, "a string");
    }

    /** @return the value of the words JSON writers use for non-finite doubles, or null for any other text */
    private static Double nonFiniteWord(final String s) {
        return switch (s) {
            case "NaN" -> Double.NaN;
            case "Infinity", "+Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> null;
        };
    }

    private static EncodingException wrongType(final FeatureDef f, final RawValue raw, final String expected) {
        return new EncodingException(FailureReason.WRONG_TYPE, f.name(), "feature '" + f.name() + "' should be "
                + expected + " but is " + raw.describe());
    }
}
