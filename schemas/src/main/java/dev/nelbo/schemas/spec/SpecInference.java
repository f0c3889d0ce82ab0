package dev.nelbo.schemas.spec;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.encoding.CsvRecordSource;
import dev.nelbo.schemas.encoding.RawValue;
import dev.nelbo.schemas.event.EventReader;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Infers a feature spec from a sample when the user gives none. Numeric columns whose values are
 * only 0/1 (or booleans) become binary, other numeric columns continuous, strings categorical; a
 * string column with nearly one distinct value per row looks like an identifier and is left out; the
 * label column and the id/key/timestamp fields are never features. Missing values seen in the sample
 * make the feature's policy {@code impute}, otherwise {@code reject}.
 */
public final class SpecInference {

    /** Field names recognised as the event id, in order of preference. */
    public static final List<String> ID_NAMES = List.of("event_id", "eventId", "id");
    /** Field names recognised as the entity key. */
    public static final List<String> KEY_NAMES = List.of("key", "entity", "entity_id", "entityId");
    /** Field names recognised as the event time. */
    public static final List<String> TIME_NAMES = List.of("ts", "timestamp", "event_time", "eventTime", "time");
    /** Shortest span of event times for which the hour of day becomes context (a day: every hour seen once). */
    static final double MIN_SPAN_FOR_HOUR_MS = 86_400_000.0;
    /** Shortest span for the day of week (two weeks: every weekday seen twice). */
    static final double MIN_SPAN_FOR_WEEKDAY_MS = 14 * 86_400_000.0;
    /** Skewness above which a non-negative continuous column gets {@code log1p} (when enabled). */
    public static final double SKEW_FOR_LOG = 3.0;

    private SpecInference() {
    }

    /**
     * @param labelColumn     column to exclude (ground truth), or null
     * @param inferTransforms whether strongly right-skewed non-negative columns get {@code log1p}
     * @param maxCategories   vocabulary size for categorical features
     */
    public record Options(String labelColumn, boolean inferTransforms, int maxCategories) {
        /** @return defaults: no label column, transforms inferred, default vocabulary size */
        public static Options defaults() {
            return new Options(null, true, FeatureSpec.DEFAULT_MAX_CATEGORIES);
        }

        /** @return a copy with a label column */
        public Options withLabel(final String label) {
            return new Options(label, inferTransforms, maxCategories);
        }
    }

    /**
     * @param spec  the inferred spec
     * @param notes what was decided and why, one line per column worth mentioning
     */
    public record Result(FeatureSpec spec, List<String> notes) {
        /** Copies the notes. */
        public Result {
            notes = List.copyOf(notes);
        }
    }

    /**
     * Infers a spec from CSV.
     *
     * @param header column names
     * @param sample sample rows (cells)
     * @param options options
     * @return the spec and notes
     * @throws IllegalArgumentException when the label column is not in the header or no feature is left
     */
    public static Result fromCsv(final List<String> header, final List<String[]> sample, final Options options) {
        final Map<String, Column> columns = new LinkedHashMap<>();
        for (String h : header) {
            columns.put(h.trim(), new Column(h.trim()));
        }
        final RawValue raw = new RawValue();
        for (String[] row : sample) {
            int c = 0;
            for (Column col : columns.values()) {
                if (c < row.length) {
                    CsvRecordSource.parseCell(row[c], raw);
                } else {
                    raw.setAbsent();
                }
                col.add(raw);
                c++;
            }
        }
        return decide(columns, sample.size(), options);
    }

    /**
     * Infers a spec from JSON events; nested objects are flattened into dotted paths.
     *
     * @param sample  sample events (objects)
     * @param options options
     * @return the spec and notes
     * @throws IllegalArgumentException when no feature is left
     */
    public static Result fromJson(final List<? extends JsonNode> sample, final Options options) {
        final Map<String, Column> columns = new LinkedHashMap<>();
        for (JsonNode event : sample) {
            collectPaths(event, "", columns);
        }
        final RawValue raw = new RawValue();
        for (JsonNode event : sample) {
            for (Column col : columns.values()) {
                fill(lookup(event, EventReader.splitPath(col.path)), raw);
                col.add(raw);
            }
        }
        return decide(columns, sample.size(), options);
    }

    /** The node at a path, descending only into objects (the reader's semantics), or null when absent. */
    private static JsonNode lookup(final JsonNode root, final String[] segments) {
        JsonNode node = root;
        for (final String s : segments) {
            if (node == null || !node.isObject()) {
                return null;
            }
            node = node.get(s);
        }
        return node;
    }

    private static void fill(final JsonNode node, final RawValue into) {
        if (node == null || node.isMissingNode()) {
            into.setAbsent();
        } else if (node.isNull()) {
            into.setNull();
        } else if (node.isNumber()) {
            into.setNumber(node.doubleValue(), null);
        } else if (node.isBoolean()) {
            into.setBoolean(node.booleanValue());
        } else if (node.isTextual()) {
            into.setText(node.textValue());
        } else {
            into.setStructure();
        }
    }

    private static void collectPaths(final JsonNode node, final String prefix, final Map<String, Column> columns) {
        final Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            final Map.Entry<String, JsonNode> e = it.next();
            final String path = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            if (e.getValue().isObject()) {
                collectPaths(e.getValue(), path, columns);
            } else {
                columns.computeIfAbsent(path, Column::new);
            }
        }
    }

    private static Result decide(final Map<String, Column> columns, final int rows, final Options options) {
        if (rows == 0) {
            throw new IllegalArgumentException("cannot infer a feature spec from an empty sample");
        }
        final List<String> notes = new ArrayList<>();
        if (options.labelColumn() != null && !columns.containsKey(options.labelColumn())) {
            throw new IllegalArgumentException("label column '" + options.labelColumn() + "' is not in the data (fields: "
                    + String.join(", ", columns.keySet()) + ")");
        }
        final String idPath = firstPresent(ID_NAMES, columns);
        final String keyPath = firstPresent(KEY_NAMES, columns);
        final String timePath = firstPresent(TIME_NAMES, columns);
        final Set<String> reserved = new HashSet<>();
        for (String p : new String[] {options.labelColumn(), idPath, keyPath, timePath}) {
            if (p != null) {
                reserved.add(p);
            }
        }
        final List<FeatureDef> features = new ArrayList<>();
        for (Column c : columns.values()) {
            if (reserved.contains(c.path)) {
                continue;
            }
            final MissingPolicy missing = c.missing > 0 ? MissingPolicy.IMPUTE : MissingPolicy.REJECT;
            if (c.structures > 0) {
                notes.add("'" + c.path + "': holds arrays; left out");
            } else if (c.present() == 0) {
                notes.add("'" + c.path + "': always missing in the sample; left out");
            } else if (c.texts > 0) {
                if (c.present() >= 20 && c.distinct.size() > Math.max(options.maxCategories(), c.present() / 2)) {
                    notes.add("'" + c.path + "': " + c.distinct.size() + " distinct strings in " + c.present()
                            + " rows looks like an identifier; left out");
                } else {
                    features.add(new FeatureDef(c.path, c.path, FeatureType.CATEGORICAL, Transform.NONE, missing));
                }
            } else if (c.onlyZeroOne) {
                features.add(new FeatureDef(c.path, c.path, FeatureType.BINARY, Transform.NONE, missing));
            } else {
                Transform t = Transform.NONE;
                if (options.inferTransforms() && c.min >= 0 && c.skewness() > SKEW_FOR_LOG) {
                    t = Transform.LOG1P;
                    notes.add("'" + c.path + "': non-negative and right-skewed (skewness "
                            + String.format(Locale.ROOT, "%.1f", c.skewness()) + "): log1p");
                }
                features.add(new FeatureDef(c.path, c.path, FeatureType.CONTINUOUS, t, missing));
            }
            if (c.missing > 0 && c.present() > 0) {
                notes.add("'" + c.path + "': missing in " + c.missing + " of " + rows + " sample rows: policy impute");
            }
        }
        if (features.isEmpty()) {
            throw new IllegalArgumentException("no usable feature columns in the data (fields: "
                    + String.join(", ", columns.keySet()) + ")");
        }
        if (timePath != null) {
            final double span = columns.get(timePath).spanMillis();
            if (span >= MIN_SPAN_FOR_HOUR_MS) {
                features.add(new FeatureDef(unusedName(timePath + "_hour", features), null, FeatureType.TIME, Transform.NONE,
                        MissingPolicy.REJECT, true, TimePeriod.HOUR_OF_DAY));
                notes.add("'" + timePath + "' spans " + String.format(Locale.ROOT, "%.1f", span / 86_400_000.0)
                        + " days: the hour of day (UTC) is context, so values are judged for their time of day");
            }
            if (span >= MIN_SPAN_FOR_WEEKDAY_MS) {
                features.add(new FeatureDef(unusedName(timePath + "_weekday", features), null, FeatureType.TIME, Transform.NONE,
                        MissingPolicy.REJECT, true, TimePeriod.DAY_OF_WEEK));
                notes.add("'" + timePath + "' spans two weeks or more: the day of week is context too");
            }
        }
        return new Result(new FeatureSpec(idPath, keyPath, timePath, options.maxCategories(), features), notes);
    }

    /** A derived feature's name, made unique against the features already there (an event may carry its own). */
    private static String unusedName(final String wanted, final List<FeatureDef> features) {
        String name = wanted;
        while (true) {
            final String candidate = name;
            if (features.stream().noneMatch(f -> f.name().equals(candidate))) {
                return name;
            }
            name = name + "_";
        }
    }

    private static String firstPresent(final List<String> names, final Map<String, Column> columns) {
        for (String n : names) {
            if (columns.containsKey(n)) {
                return n;
            }
        }
        return null;
    }

    /** Running summary of one sampled column. */
    private static final class Column {
        final String path;
        final Set<String> distinct = new HashSet<>();
        long numbers;
        long texts;
        long missing;
        long structures;
        boolean onlyZeroOne = true;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double s1;
        double s2;
        double s3;

        Column(final String path) {
            this.path = path;
        }

        long present() {
            return numbers + texts;
        }

        void add(final RawValue v) {
            switch (v.kind()) {
                case ABSENT, NULL -> missing++;
                case STRUCTURE -> structures++;
                case TEXT -> {
                    texts++;
                    onlyZeroOne = false;
                    if (distinct.size() <= 10_000) {
                        distinct.add(v.text());
                    }
                }
                case BOOLEAN -> numbers++;
                case NUMBER -> {
                    numbers++;
                    final double x = v.number();
                    if (x != 0.0 && x != 1.0) {
                        onlyZeroOne = false;
                    }
                    if (Double.isFinite(x)) {
                        min = Math.min(min, x);
                        max = Math.max(max, x);
                        s1 += x;
                        s2 += x * x;
                        s3 += x * x * x;
                    }
                }
            }
        }

        /** @return the span of the column read as event times (epoch milliseconds or ISO-8601 strings), 0 when unreadable */
        double spanMillis() {
            if (texts == 0) {
                return numbers > 1 && max > min ? max - min : 0;
            }
            long lo = Long.MAX_VALUE;
            long hi = Long.MIN_VALUE;
            final RawValue v = new RawValue();
            for (final String t : distinct) {
                v.setText(t);
                final Long ms = v.epochMillis();
                if (ms != null) {
                    lo = Math.min(lo, ms);
                    hi = Math.max(hi, ms);
                }
            }
            return hi > lo ? hi - lo : 0;
        }

        double skewness() {
            if (numbers < 3) {
                return 0;
            }
            final double n = numbers;
            final double m = s1 / n;
            final double var = s2 / n - m * m;
            if (!(var > 0)) {
                return 0;
            }
            final double m3 = s3 / n - 3 * m * s2 / n + 2 * m * m * m;
            return m3 / Math.pow(var, 1.5);
        }
    }
}
