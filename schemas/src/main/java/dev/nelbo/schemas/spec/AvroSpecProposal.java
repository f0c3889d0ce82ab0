package dev.nelbo.schemas.spec;

import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A feature spec proposed from the events' Avro schema, for the user to edit before training: what the schema says
 * (types, enums, nullable fields, timestamps) without looking at data, so what only data shows (skew, identifiers
 * among strings, how many categories there are) is left to the notes and to the user.
 *
 * <ul>
 *   <li>Nested records flatten into dotted paths (the paths the Avro reader follows).</li>
 *   <li>{@code boolean}: binary; {@code int}, {@code long}, {@code float}, {@code double}, {@code decimal}: continuous;
 *       {@code enum}: categorical, and the spec's vocabulary holds the largest enum; {@code string}: categorical (a
 *       note asks whether it is an identifier).</li>
 *   <li>A union with {@code null}: the field may be missing, policy {@code impute}; otherwise {@code reject}.</li>
 *   <li>The id, key and time fields by name ({@link SpecInference#ID_NAMES}, {@link SpecInference#KEY_NAMES},
 *       {@link SpecInference#TIME_NAMES}), a time field also by its timestamp logical type; with one, the hour of day
 *       is proposed as context.</li>
 *   <li>Arrays, maps, {@code bytes}, {@code fixed}, dates and times of day, and unions of several types are left
 *       out, each with a note.</li>
 * </ul>
 */
public final class AvroSpecProposal {

    private AvroSpecProposal() {
    }

    /**
     * @param schema  the events' schema (a record)
     * @param options the label column to leave out, the default vocabulary size
     * @return the proposed spec and what was decided, field by field
     * @throws IllegalArgumentException when the schema is not a record or leaves no feature
     */
    public static SpecInference.Result propose(final Schema schema, final SpecInference.Options options) {
        if (schema.getType() != Schema.Type.RECORD) {
            throw new IllegalArgumentException("the events' Avro schema must be a record, got " + schema.getType());
        }
        final List<Field> fields = new ArrayList<>();
        flatten(schema, "", false, fields, new ArrayList<>());
        final List<String> notes = new ArrayList<>();
        final String idPath = firstNamed(fields, SpecInference.ID_NAMES, false);
        final String keyPath = firstNamed(fields, SpecInference.KEY_NAMES, false);
        String timePath = firstNamed(fields, SpecInference.TIME_NAMES, true);
        if (timePath == null) {
            timePath = fields.stream().filter(f -> isTimestamp(f.schema)).map(f -> f.path).findFirst().orElse(null);
        }
        final List<FeatureDef> features = new ArrayList<>();
        int vocabulary = options.maxCategories();
        for (final Field f : fields) {
            if (f.path.equals(idPath) || f.path.equals(keyPath) || f.path.equals(timePath)
                    || f.path.equals(options.labelColumn())) {
                continue;
            }
            final MissingPolicy missing = f.nullable ? MissingPolicy.IMPUTE : MissingPolicy.REJECT;
            final Schema s = f.schema;
            final LogicalType logical = s.getLogicalType();
            if (f.skipped != null) {
                notes.add("'" + f.path + "': " + f.skipped + ": left out");
            } else if (logical != null && !(logical instanceof LogicalTypes.Decimal)) {
                notes.add("'" + f.path + "': " + logical.getName() + ": left out (a time is context, not a feature: the"
                        + " time field gives the hour of day)");
            } else if (s.getType() == Schema.Type.BOOLEAN) {
                features.add(new FeatureDef(f.path, f.path, FeatureType.BINARY, Transform.NONE, missing));
            } else if (s.getType() == Schema.Type.ENUM) {
                features.add(new FeatureDef(f.path, f.path, FeatureType.CATEGORICAL, Transform.NONE, missing));
                vocabulary = Math.max(vocabulary, s.getEnumSymbols().size());
            } else if (s.getType() == Schema.Type.STRING) {
                features.add(new FeatureDef(f.path, f.path, FeatureType.CATEGORICAL, Transform.NONE, missing));
                notes.add("'" + f.path + "': string: categorical; remove it if it is an identifier (a value per event)");
            } else if (isNumber(s)) {
                features.add(new FeatureDef(f.path, f.path, FeatureType.CONTINUOUS, Transform.NONE, missing));
            } else {
                notes.add("'" + f.path + "': " + s.getType().getName() + ": left out");
            }
            if (f.nullable && f.skipped == null) {
                notes.add("'" + f.path + "': nullable: policy impute");
            }
        }
        if (features.isEmpty()) {
            throw new IllegalArgumentException("no field of " + schema.getFullName() + " can be a feature");
        }
        if (timePath != null) {
            features.add(new FeatureDef(timePath.replace('.', '_') + "_hour", null, FeatureType.TIME, Transform.NONE,
                    MissingPolicy.REJECT, true, TimePeriod.HOUR_OF_DAY));
            notes.add("'" + timePath + "' is the event time: the hour of day (UTC) is proposed as context; keep it when the"
                    + " training data spans at least a day");
        }
        notes.add("continuous features have no transform: use \"log1p\" for right-skewed, non-negative ones (sizes,"
                + " latencies), which only the data shows");
        return new SpecInference.Result(new FeatureSpec(idPath, keyPath, timePath, vocabulary, features), notes);
    }

    /** One leaf of the schema: its path, its schema (a union's non-null branch), and why it cannot be read, if so. */
    private record Field(String path, Schema schema, boolean nullable, String skipped) {
    }

    private static void flatten(final Schema record, final String prefix, final boolean nullable, final List<Field> out,
                                final List<String> open) {
        if (open.contains(record.getFullName())) {
            out.add(new Field(prefix.isEmpty() ? record.getName() : prefix.substring(0, prefix.length() - 1), record,
                    nullable, "a recursive record"));
            return;
        }
        open.add(record.getFullName());
        for (final Schema.Field f : record.getFields()) {
            final String path = prefix + f.name();
            Schema s = f.schema();
            boolean mayBeNull = nullable;
            if (s.getType() == Schema.Type.UNION) {
                final List<Schema> branches = s.getTypes().stream().filter(b -> b.getType() != Schema.Type.NULL).toList();
                mayBeNull |= branches.size() < s.getTypes().size();
                if (branches.size() != 1) {
                    out.add(new Field(path, s, mayBeNull, "a union of " + branches.size() + " types"));
                    continue;
                }
                s = branches.get(0);
            }
            switch (s.getType()) {
                case RECORD -> flatten(s, path + ".", mayBeNull, out, open);
                case ARRAY, MAP, BYTES, FIXED -> out.add(new Field(path, s, mayBeNull, isNumber(s) ? null
                        : s.getType().getName()));
                default -> out.add(new Field(path, s, mayBeNull, null));
            }
        }
        open.remove(record.getFullName());
    }

    private static boolean isNumber(final Schema s) {
        return switch (s.getType()) {
            case INT, LONG, FLOAT, DOUBLE -> s.getLogicalType() == null;
            case BYTES, FIXED -> s.getLogicalType() instanceof LogicalTypes.Decimal;
            default -> false;
        };
    }

    private static boolean isTimestamp(final Schema s) {
        return s.getLogicalType() != null && s.getLogicalType().getName().toLowerCase(Locale.ROOT).contains("timestamp");
    }

    /** The first field named as one of the names (in their order) that can hold it: text or number, or a time. */
    private static String firstNamed(final List<Field> fields, final List<String> names, final boolean time) {
        for (final String name : names) {
            for (final Field f : fields) {
                if (f.path.equals(name) && f.skipped == null && (time ? isTimestamp(f.schema) || f.schema.getType()
                        == Schema.Type.LONG || f.schema.getType() == Schema.Type.STRING : f.schema.getType()
                        == Schema.Type.STRING || f.schema.getType() == Schema.Type.LONG || f.schema.getType() == Schema.Type.INT)) {
                    return f.path;
                }
            }
        }
        return null;
    }
}
