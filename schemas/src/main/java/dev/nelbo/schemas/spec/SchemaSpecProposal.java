package dev.nelbo.schemas.spec;

import com.google.protobuf.Descriptors;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A feature spec proposed from the events' schema (Avro or Protobuf), for the user to edit before training: what the
 * schema says (types, enums, nullable fields, timestamps) without looking at data, so what only data shows (skew,
 * identifiers among strings) is left to the notes and to the user. Both formats are flattened into the same leaves,
 * and one set of decisions makes the spec:
 *
 * <ul>
 *   <li>nested records (messages) flatten into dotted paths, the paths the format's reader follows;</li>
 *   <li>booleans are binary; numbers (Avro's {@code decimal} too) continuous; enums categorical (the spec's vocabulary
 *       holds the largest); strings categorical, with a note asking whether one is an identifier;</li>
 *   <li>a field that may be missing (an Avro union with {@code null}, a field inside a nullable record, a Protobuf
 *       message, wrapper or {@code optional} field) gets {@code impute}; any other {@code reject};</li>
 *   <li>the id, key and time fields by name ({@link SpecInference#ID_NAMES}, {@link SpecInference#KEY_NAMES},
 *       {@link SpecInference#TIME_NAMES}), a time field also by its type (Avro's timestamp logical types, Protobuf's
 *       {@code google.protobuf.Timestamp}); with one, the hour of day is proposed as context;</li>
 *   <li>arrays and repeated fields, maps, bytes, dates and times of day, Avro unions of several types: left out, each
 *       with a note.</li>
 * </ul>
 */
public final class SchemaSpecProposal {

    private SchemaSpecProposal() {
    }

    /** What a leaf of a schema holds, as far as a spec cares. */
    private enum Kind { BOOLEAN, NUMBER, ENUM, STRING, TIMESTAMP, INTEGER, SKIPPED }

    /**
     * One leaf of the schema.
     *
     * @param path     its dotted path
     * @param kind     what it holds
     * @param nullable whether it may be missing
     * @param symbols  an enum's number of symbols
     * @param why      a skipped leaf's type, for the note
     */
    private record Leaf(String path, Kind kind, boolean nullable, int symbols, String why) {
    }

    /**
     * @param schema  the events' Avro schema (a record)
     * @param options the label field to leave out, the default vocabulary size
     * @return the proposed spec and what was decided, field by field
     * @throws IllegalArgumentException when the schema is not a record or leaves no feature
     */
    public static SpecInference.Result fromAvro(final Schema schema, final SpecInference.Options options) {
        if (schema.getType() != Schema.Type.RECORD) {
            throw new IllegalArgumentException("the events' Avro schema must be a record, got " + schema.getType());
        }
        final List<Leaf> leaves = new ArrayList<>();
        avro(schema, "", false, leaves, new ArrayList<>());
        return decide(leaves, schema.getFullName(), options);
    }

    /**
     * @param type    the events' Protobuf message type
     * @param options the label field to leave out, the default vocabulary size
     * @return the proposed spec and what was decided, field by field
     * @throws IllegalArgumentException when it leaves no feature
     */
    public static SpecInference.Result fromProtobuf(final Descriptors.Descriptor type, final SpecInference.Options options) {
        final List<Leaf> leaves = new ArrayList<>();
        protobuf(type, "", false, leaves, new ArrayList<>());
        return decide(leaves, type.getFullName(), options);
    }

    private static SpecInference.Result decide(final List<Leaf> leaves, final String typeName,
                                               final SpecInference.Options options) {
        final List<String> notes = new ArrayList<>();
        final String idPath = firstNamed(leaves, SpecInference.ID_NAMES, false);
        final String keyPath = firstNamed(leaves, SpecInference.KEY_NAMES, false);
        String timePath = firstNamed(leaves, SpecInference.TIME_NAMES, true);
        if (timePath == null) {
            timePath = leaves.stream().filter(l -> l.kind == Kind.TIMESTAMP).map(Leaf::path).findFirst().orElse(null);
        }
        final List<FeatureDef> features = new ArrayList<>();
        int vocabulary = options.maxCategories();
        for (final Leaf l : leaves) {
            if (l.path.equals(idPath) || l.path.equals(keyPath) || l.path.equals(timePath) || l.path.equals(options.labelColumn())) {
                continue;
            }
            final MissingPolicy missing = l.nullable ? MissingPolicy.IMPUTE : MissingPolicy.REJECT;
            switch (l.kind) {
                case BOOLEAN -> features.add(new FeatureDef(l.path, l.path, FeatureType.BINARY, Transform.NONE, missing));
                case NUMBER, INTEGER -> features.add(new FeatureDef(l.path, l.path, FeatureType.CONTINUOUS, Transform.NONE,
                        missing));
                case ENUM -> {
                    features.add(new FeatureDef(l.path, l.path, FeatureType.CATEGORICAL, Transform.NONE, missing));
                    vocabulary = Math.max(vocabulary, l.symbols);
                }
                case STRING -> {
                    features.add(new FeatureDef(l.path, l.path, FeatureType.CATEGORICAL, Transform.NONE, missing));
                    notes.add("'" + l.path + "': string: categorical; remove it if it is an identifier (a value per event)");
                }
                case TIMESTAMP -> notes.add("'" + l.path + "': a timestamp: left out (a time is context, not a feature: the"
                        + " time field gives the hour of day)");
                case SKIPPED -> notes.add("'" + l.path + "': " + l.why + ": left out");
            }
            if (l.nullable && l.kind != Kind.SKIPPED && l.kind != Kind.TIMESTAMP) {
                notes.add("'" + l.path + "': may be missing: policy impute");
            }
        }
        if (features.isEmpty()) {
            throw new IllegalArgumentException("no field of " + typeName + " can be a feature");
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

    private static void avro(final Schema record, final String prefix, final boolean nullable, final List<Leaf> out,
                             final List<String> open) {
        if (open.contains(record.getFullName())) {
            out.add(new Leaf(prefix.substring(0, prefix.length() - 1), Kind.SKIPPED, nullable, 0, "a recursive record"));
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
                    out.add(new Leaf(path, Kind.SKIPPED, mayBeNull, 0, "a union of " + branches.size() + " types"));
                    continue;
                }
                s = branches.get(0);
            }
            if (s.getType() == Schema.Type.RECORD) {
                avro(s, path + ".", mayBeNull, out, open);
                continue;
            }
            final LogicalType logical = s.getLogicalType();
            final Kind kind;
            if (logical instanceof LogicalTypes.Decimal) {
                kind = Kind.NUMBER;
            } else if (logical != null) {
                kind = logical.getName().toLowerCase(Locale.ROOT).contains("timestamp") ? Kind.TIMESTAMP : Kind.SKIPPED;
            } else {
                kind = switch (s.getType()) {
                    case BOOLEAN -> Kind.BOOLEAN;
                    case INT, LONG -> Kind.INTEGER;
                    case FLOAT, DOUBLE -> Kind.NUMBER;
                    case ENUM -> Kind.ENUM;
                    case STRING -> Kind.STRING;
                    default -> Kind.SKIPPED;
                };
            }
            out.add(new Leaf(path, kind, mayBeNull, kind == Kind.ENUM ? s.getEnumSymbols().size() : 0,
                    logical != null ? logical.getName() : s.getType().getName()));
        }
        open.remove(record.getFullName());
    }

    private static void protobuf(final Descriptors.Descriptor message, final String prefix, final boolean nullable,
                                 final List<Leaf> out, final List<String> open) {
        if (open.contains(message.getFullName())) {
            out.add(new Leaf(prefix.substring(0, prefix.length() - 1), Kind.SKIPPED, nullable, 0, "a recursive message"));
            return;
        }
        open.add(message.getFullName());
        for (final Descriptors.FieldDescriptor f : message.getFields()) {
            final String path = prefix + f.getName();
            // a message field, a wrapper and an optional scalar can be unset
            final boolean mayBeNull = nullable || f.hasPresence();
            if (f.isMapField()) {
                out.add(new Leaf(path, Kind.SKIPPED, mayBeNull, 0, "map"));
                continue;
            }
            if (f.isRepeated()) {
                out.add(new Leaf(path, Kind.SKIPPED, mayBeNull, 0, "repeated"));
                continue;
            }
            final Kind kind = switch (f.getJavaType()) {
                case BOOLEAN -> Kind.BOOLEAN;
                case INT, LONG -> Kind.INTEGER;
                case FLOAT, DOUBLE -> Kind.NUMBER;
                case ENUM -> Kind.ENUM;
                case STRING -> Kind.STRING;
                case MESSAGE -> wellKnown(f.getMessageType());
                default -> Kind.SKIPPED;
            };
            if (kind == null) {
                protobuf(f.getMessageType(), path + ".", mayBeNull, out, open);
                continue;
            }
            out.add(new Leaf(path, kind, mayBeNull, kind == Kind.ENUM ? f.getEnumType().getValues().size() : 0,
                    f.getJavaType() == Descriptors.FieldDescriptor.JavaType.MESSAGE ? f.getMessageType().getFullName()
                            : f.getType().name().toLowerCase(Locale.ROOT)));
        }
        open.remove(message.getFullName());
    }

    /** What the Protobuf reader reads a well-known message as, or null for a message to flatten. */
    private static Kind wellKnown(final Descriptors.Descriptor m) {
        final String name = m.getFullName();
        if (name.equals("google.protobuf.Timestamp")) {
            return Kind.TIMESTAMP;
        }
        if (name.startsWith("google.protobuf.") && name.endsWith("Value") && m.getFields().size() == 1) {
            return switch (m.getFields().get(0).getJavaType()) {
                case BOOLEAN -> Kind.BOOLEAN;
                case INT, LONG -> Kind.INTEGER;
                case FLOAT, DOUBLE -> Kind.NUMBER;
                case STRING -> Kind.STRING;
                default -> Kind.SKIPPED;
            };
        }
        return name.startsWith("google.protobuf.") ? Kind.SKIPPED : null;
    }

    /** The first leaf named as one of the names (in their order) that can hold it: text or an integer, or a time. */
    private static String firstNamed(final List<Leaf> leaves, final List<String> names, final boolean time) {
        for (final String name : names) {
            for (final Leaf l : leaves) {
                if (l.path.equals(name) && (l.kind == Kind.STRING || l.kind == Kind.INTEGER
                        || time && l.kind == Kind.TIMESTAMP)) {
                    return l.path;
                }
            }
        }
        return null;
    }
}
