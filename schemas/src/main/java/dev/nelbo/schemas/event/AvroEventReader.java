package dev.nelbo.schemas.event;

import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.spec.FeatureSpec;
import org.apache.avro.Conversions;
import org.apache.avro.Schema;
import org.apache.avro.SystemLimitException;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Reads the fields a feature spec names out of one Avro record, binary-encoded with a known writer schema (the
 * schema file of {@code nelbo.input.avro.schema}), with Apache Avro's own datum reader. The spec's dotted paths
 * address record fields (through unions: the branch the record holds) and map keys; the values become what the JSON
 * reader would give for the same event:
 *
 * <ul>
 *   <li>{@code string}, {@code enum} (its symbol), {@code uuid}: text</li>
 *   <li>{@code int}, {@code long}, {@code float}, {@code double}, {@code decimal} (its value): numbers</li>
 *   <li>{@code timestamp-millis}/{@code -micros}/{@code -nanos} and their {@code local-} forms (as UTC): epoch
 *       milliseconds; {@code date}: its midnight UTC in epoch milliseconds; {@code time-millis}/{@code -micros}:
 *       milliseconds of the day</li>
 *   <li>{@code boolean}: a flag; {@code null} (or a union's null branch): null</li>
 *   <li>records, arrays, maps, {@code bytes}, {@code fixed}: a structure (a feature reading one is {@code wrong_type})</li>
 * </ul>
 *
 * <p>Total, as the JSON reader: any bytes give the fields or an {@link EncodingException} ({@code malformed} for
 * bytes that are not a record of the schema, truncated or with bytes left over; {@code too_large}). Avro's own
 * limits on string, bytes and collection lengths are set to the record limit, so a forged length cannot make it
 * allocate more than a record may hold. A recursive schema is refused when the reader is made.
 */
public final class AvroEventReader implements EventParser {

    static {
        // Avro reads these once, when its SystemLimitException class loads: set them before any decoding, unless the
        // operator set them. A record is at most DecodeLimits' bytes, so no length in it can exceed that honestly.
        final String max = Integer.toString(DecodeLimits.DEFAULT_MAX_BYTES);
        for (final String p : List.of(SystemLimitException.MAX_STRING_LENGTH_PROPERTY,
                SystemLimitException.MAX_BYTES_LENGTH_PROPERTY, SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY)) {
            if (System.getProperty(p) == null) {
                System.setProperty(p, max);
            }
        }
    }

    private static final GenericData MODEL = newModel();

    private final Schema schema;
    private final DecodeLimits limits;
    private final SpecPaths slots;
    private final ThreadLocal<State> state;

    /** Per thread: Avro's reader keeps resolution caches, its decoder a buffer. */
    private static final class State {
        private final GenericDatumReader<Object> reader;
        private BinaryDecoder decoder;
        private Object reuse;

        State(final Schema writer, final Schema reader) {
            this.reader = datumReader(writer, reader);
        }
    }

    /**
     * @param writer the schema the records were written with
     * @param reader the schema the spec's paths address (the writer's, or one Avro resolves the writer's to)
     */
    AvroEventReader(final Schema writer, final Schema reader, final FeatureSpec spec, final DecodeLimits limits) {
        this.schema = reader;
        this.limits = limits;
        this.slots = new SpecPaths(spec, segments -> reachable(reader, segments, 0), "the Avro schema " + reader.getFullName(),
                reader.getFields().stream().map(Schema.Field::name).toList());
        this.state = ThreadLocal.withInitial(() -> new State(writer, reader));
    }

    /**
     * @param schema the events' writer schema (a record)
     * @return the format of events binary-encoded with it
     * @throws IllegalArgumentException when the schema is not a record or is recursive (here, so a scorer fails at
     *                                  start), or when a spec's path is not in the schema (at {@link EventFormat#parser})
     */
    public static EventFormat format(final Schema schema) {
        checkReadable(schema);
        return new EventFormat() {
            @Override
            public EventParser parser(final FeatureSpec spec, final DecodeLimits limits) {
                return new AvroEventReader(schema, schema, spec, limits);
            }

            private final GenericDatumReader<Object> whole = datumReader(schema, schema);

            @Override
            public byte[] toJson(final byte[] value) {
                if (value == null || value.length == 0) {
                    throw new EncodingException(FailureReason.MALFORMED, null, "empty record: expected an Avro "
                            + schema.getFullName());
                }
                return AvroEventReader.toJson(whole, value, 0);
            }

            @Override
            public String toString() {
                return "avro (" + schema.getFullName() + ")";
            }
        };
    }

    /**
     * @param schema a schema events are written or read with
     * @throws IllegalArgumentException when it is not a record or is recursive
     */
    static void checkReadable(final Schema schema) {
        if (schema.getType() != Schema.Type.RECORD) {
            throw new IllegalArgumentException("a " + schema.getType() + " schema; the events must be records");
        }
        checkNotRecursive(schema, new HashSet<>());
    }

    /**
     * @param schemaJson an Avro schema ({@code .avsc} text)
     * @return it parsed
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static Schema parseSchema(final String schemaJson) {
        try {
            return new Schema.Parser().parse(schemaJson);
        } catch (final RuntimeException e) {
            throw new IllegalArgumentException("not an Avro schema: " + e.getMessage(), e);
        }
    }

    @Override
    public EventFields newFields() {
        return slots.newFields();
    }

    @Override
    public void read(final byte[] bytes, final EventFields into) {
        into.clear();
        if (bytes == null || bytes.length == 0) {
            throw new EncodingException(FailureReason.MALFORMED, null, "empty record: expected an Avro " + schema.getFullName());
        }
        SpecPaths.checkSize(bytes, limits);
        readFrom(bytes, 0, into);
    }

    /**
     * Reads the record that starts at {@code offset} and ends with the array (a framed record's body).
     *
     * @param bytes  the record value, within the size limit
     * @param offset where the Avro record starts
     * @param into   receives the values (cleared by the caller)
     */
    void readFrom(final byte[] bytes, final int offset, final EventFields into) {
        final State s = state.get();
        s.decoder = DecoderFactory.get().binaryDecoder(bytes, offset, bytes.length - offset, s.decoder);
        final Object record = decode(s.reader, s.decoder, s.reuse);
        s.reuse = record;
        for (int slot = 0; slot < slots.paths.length; slot++) {
            if (slots.paths[slot] != null) {
                set(into.slot(slot), at(record, slots.paths[slot]), slots.needsText[slot]);
            }
        }
    }

    private static boolean reachable(final Schema s, final String[] segments, final int i) {
        if (i == segments.length) {
            return true;
        }
        return switch (s.getType()) {
            case UNION -> s.getTypes().stream().anyMatch(b -> reachable(b, segments, i));
            case RECORD -> s.getField(segments[i]) != null && reachable(s.getField(segments[i]).schema(), segments, i + 1);
            case MAP -> reachable(s.getValueType(), segments, i + 1);
            default -> false;
        };
    }

    private static void checkNotRecursive(final Schema s, final Set<String> open) {
        switch (s.getType()) {
            case RECORD -> {
                if (!open.add(s.getFullName())) {
                    throw new IllegalArgumentException("the Avro schema is recursive (" + s.getFullName() + " contains"
                            + " itself): events of unbounded depth are not read");
                }
                for (final Schema.Field f : s.getFields()) {
                    checkNotRecursive(f.schema(), open);
                }
                open.remove(s.getFullName());
            }
            case UNION -> s.getTypes().forEach(b -> checkNotRecursive(b, open));
            case ARRAY -> checkNotRecursive(s.getElementType(), open);
            case MAP -> checkNotRecursive(s.getValueType(), open);
            default -> {
            }
        }
    }

    /** The value at the path, {@link #ABSENT} when the record does not hold it. */
    private static Object at(final Object record, final String[] segments) {
        Object v = record;
        for (final String segment : segments) {
            if (v instanceof GenericRecord r) {
                final Schema.Field f = r.getSchema().getField(segment);
                if (f == null) {
                    return ABSENT;
                }
                v = r.get(f.pos());
            } else if (v instanceof Map<?, ?> m) {
                final Object next = mapGet(m, segment);
                if (next == ABSENT) {
                    return ABSENT;
                }
                v = next;
            } else {
                return ABSENT;
            }
        }
        return v;
    }

    private static Object mapGet(final Map<?, ?> m, final String key) {
        for (final Map.Entry<?, ?> e : m.entrySet()) {
            if (e.getKey() != null && e.getKey().toString().equals(key)) {
                return e.getValue();
            }
        }
        return ABSENT;
    }

    private static final Object ABSENT = new Object();

    private static void set(final dev.nelbo.schemas.encoding.RawValue slot, final Object v, final boolean text) {
        if (v == ABSENT) {
            slot.setAbsent();
            return;
        }
        final Object p = plain(v);
        if (p == null) {
            slot.setNull();
        } else if (p instanceof String t) {
            slot.setText(t);
        } else if (p instanceof Boolean b) {
            slot.setBoolean(b);
        } else if (p instanceof Long n) {
            slot.setNumber(n, text ? Long.toString(n) : null);
        } else if (p instanceof Double d) {
            slot.setNumber(d, text ? Double.toString(d) : null);
        } else if (p instanceof BigDecimal d) {
            slot.setNumber(d.doubleValue(), text ? d.toString() : null);
        } else {
            // records, arrays, maps, bytes, fixed: nothing a feature reads as a value
            slot.setStructure();
        }
    }

    /**
     * The one place the conversions of the class comment live: a value as Avro's reader gives it, as the JSON reader
     * would see it.
     *
     * @param v a datum (logical types converted)
     * @return null, a String, Boolean, Long, Double or BigDecimal, or {@code v} itself for a structure
     */
    private static Object plain(final Object v) {
        if (v == null || v instanceof Boolean || v instanceof Long || v instanceof Double || v instanceof BigDecimal) {
            return v;
        }
        if (v instanceof CharSequence || v instanceof GenericEnumSymbol<?> || v instanceof UUID) {
            return v.toString();
        }
        if (v instanceof Integer i) {
            return i.longValue();
        }
        if (v instanceof Float f) {
            return f.doubleValue();
        }
        if (v instanceof Instant t) {
            return t.toEpochMilli();
        }
        if (v instanceof LocalDateTime t) {
            return t.toInstant(ZoneOffset.UTC).toEpochMilli();
        }
        if (v instanceof LocalDate d) {
            return d.toEpochDay() * 86_400_000L;
        }
        if (v instanceof LocalTime t) {
            return t.toNanoOfDay() / 1_000_000L;
        }
        return v;
    }

    /**
     * @param writer the schema records are written with
     * @param reader the schema they are read as
     * @return Avro's reader of the one resolved to the other, with this reader's logical-type conversions; shareable
     *         between threads (Avro keeps its resolvers per thread)
     */
    static GenericDatumReader<Object> datumReader(final Schema writer, final Schema reader) {
        return new GenericDatumReader<>(writer, reader, MODEL);
    }

    /**
     * Reads one record that ends where the decoder's bytes end.
     *
     * @return the record
     * @throws EncodingException ({@code malformed}) when the bytes are not one record of the writer schema
     */
    private static Object decode(final GenericDatumReader<Object> datumReader, final BinaryDecoder decoder,
                                 final Object reuse) {
        final String schema = datumReader.getExpected().getFullName();
        try {
            final Object record = datumReader.read(reuse, decoder);
            if (!decoder.isEnd()) {
                throw new EncodingException(FailureReason.MALFORMED, null, "not an Avro " + schema
                        + ": bytes left after the record");
            }
            return record;
        } catch (final EncodingException e) {
            throw e;
        } catch (final IOException | RuntimeException e) {
            // truncated (EOF), an out-of-range union or enum index, a forged length (Avro's SystemLimitException), a
            // string that is not UTF-8: the bytes are not a record of this schema
            throw new EncodingException(FailureReason.MALFORMED, null, "not an Avro " + schema + ": "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
    }

    /**
     * Reads the record that starts at {@code offset} and writes it whole as the JSON event it is a twin of (every
     * field, with the conversions of the class comment; {@code bytes} and {@code fixed} as {@code {"bytes": length}}),
     * so the trainer, which reads JSON, can learn from Avro events.
     *
     * @param datumReader the record's writer schema resolved to the reader schema ({@link #datumReader})
     * @param bytes       the record value
     * @param offset      where the Avro record starts
     * @return the JSON document's bytes
     * @throws EncodingException ({@code malformed}) when the bytes are not a record of the writer schema
     */
    static byte[] toJson(final GenericDatumReader<Object> datumReader, final byte[] bytes, final int offset) {
        return toJson(decode(datumReader, DecoderFactory.get().binaryDecoder(bytes, offset, bytes.length - offset, null),
                null));
    }

    /**
     * @param record a record as Avro's generic reader gives it, with this reader's logical-type conversions or without
     *               them (then as their underlying types)
     * @return it as the JSON event it is a twin of, with the conversions of the class comment
     */
    public static byte[] toJson(final Object record) {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(512);
        try (com.fasterxml.jackson.core.JsonGenerator g = dev.nelbo.schemas.json.Json.EVENTS.getFactory().createGenerator(out)) {
            json(record, g);
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * An Avro object container file (its schema in its header, as {@code avro-tools} and most exporters write it) read
     * as JSON Lines: one record per line, each the JSON event it is a twin of ({@link #toJson(Object)}), streamed, so
     * the trainer and the offline scorer read it as they read a {@code .jsonl} file.
     *
     * @param file the container file
     * @return its records as lines (closing it closes the file)
     * @throws IllegalArgumentException when the file is not an Avro container file
     */
    public static java.io.BufferedReader jsonLines(final java.nio.file.Path file) {
        final org.apache.avro.file.DataFileReader<Object> records;
        try {
            records = new org.apache.avro.file.DataFileReader<>(file.toFile(), new GenericDatumReader<>(null, null, MODEL));
        } catch (final IOException e) {
            throw new IllegalArgumentException("data file " + file + " is not an Avro container file: " + e.getMessage(), e);
        }
        return new java.io.BufferedReader(new java.io.Reader() {
            private char[] line = new char[0];
            private int at;

            @Override
            public int read(final char[] buf, final int off, final int len) throws IOException {
                if (at == line.length) {
                    if (!records.hasNext()) {
                        return -1;
                    }
                    try {
                        line = (new String(toJson(records.next()), java.nio.charset.StandardCharsets.UTF_8) + "\n")
                                .toCharArray();
                    } catch (final RuntimeException e) {
                        throw new IOException("record of " + file + " cannot be read: " + e.getMessage(), e);
                    }
                    at = 0;
                }
                final int n = Math.min(len, line.length - at);
                System.arraycopy(line, at, buf, off, n);
                at += n;
                return n;
            }

            @Override
            public void close() throws IOException {
                records.close();
            }
        });
    }

    private static void json(final Object v, final com.fasterxml.jackson.core.JsonGenerator g) throws IOException {
        if (v instanceof GenericRecord r) {
            g.writeStartObject();
            for (final Schema.Field f : r.getSchema().getFields()) {
                g.writeFieldName(f.name());
                json(r.get(f.pos()), g);
            }
            g.writeEndObject();
            return;
        }
        if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (final Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                json(e.getValue(), g);
            }
            g.writeEndObject();
            return;
        }
        if (v instanceof java.util.Collection<?> c) {
            g.writeStartArray();
            for (final Object o : c) {
                json(o, g);
            }
            g.writeEndArray();
            return;
        }
        final Object p = plain(v);
        if (p == null) {
            g.writeNull();
        } else if (p instanceof String t) {
            g.writeString(t);
        } else if (p instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (p instanceof Long n) {
            g.writeNumber(n);
        } else if (p instanceof Double d) {
            g.writeNumber(d);
        } else if (p instanceof BigDecimal d) {
            g.writeNumber(d);
        } else {
            g.writeStartObject();
            g.writeNumberField("bytes", p instanceof java.nio.ByteBuffer b ? b.remaining()
                    : p instanceof org.apache.avro.generic.GenericFixed f ? f.bytes().length : 0);
            g.writeEndObject();
        }
    }

    private static GenericData newModel() {
        final GenericData m = new GenericData();
        m.addLogicalTypeConversion(new Conversions.DecimalConversion());
        m.addLogicalTypeConversion(new Conversions.UUIDConversion());
        m.addLogicalTypeConversion(new TimeConversions.DateConversion());
        m.addLogicalTypeConversion(new TimeConversions.TimeMillisConversion());
        m.addLogicalTypeConversion(new TimeConversions.TimeMicrosConversion());
        m.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
        m.addLogicalTypeConversion(new TimeConversions.TimestampMicrosConversion());
        m.addLogicalTypeConversion(new TimeConversions.TimestampNanosConversion());
        m.addLogicalTypeConversion(new TimeConversions.LocalTimestampMillisConversion());
        m.addLogicalTypeConversion(new TimeConversions.LocalTimestampMicrosConversion());
        m.addLogicalTypeConversion(new TimeConversions.LocalTimestampNanosConversion());
        return m;
    }
}
