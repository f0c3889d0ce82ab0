package dev.nelbo.scorer.output;

import com.fasterxml.jackson.core.io.NumberOutput;
import dev.nelbo.contract.output.OutputField;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A minimal JSON writer into one reusable byte buffer: the score path writes a few small documents per
 * record, and a general serializer (bean introspection, a generator per document) cost more than the model.
 * Field names are pre-encoded by the caller ({@link #name(byte[])}); the caller keeps the structure valid.
 * Doubles are written with Jackson's Schubfach formatter (shortest text that reads back to the same double),
 * non-finite ones as the strings {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}, as Jackson writes them.
 * Not thread-safe.
 */
final class JsonBytes {

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRUE = "true".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FALSE = "false".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

    /** Every output field's name, encoded once, by {@link OutputField#ordinal()}. */
    private static final byte[][] FIELDS = Arrays.stream(OutputField.values()).map(f -> encodeName(f.wireName()))
            .toArray(byte[][]::new);

    private byte[] buf = new byte[1024];
    private int size;
    /** Whether the next member of the current object or array needs a comma first. */
    private boolean comma;

    /**
     * @param name a field name
     * @return its encoded form for {@link #name(byte[])}: the quoted, escaped name and a colon
     */
    static byte[] encodeName(final String name) {
        final JsonBytes b = new JsonBytes();
        b.string(name);
        b.raw((byte) ':');
        return b.toBytes();
    }

    JsonBytes reset() {
        size = 0;
        comma = false;
        return this;
    }

    JsonBytes beginObject() {
        separate();
        raw((byte) '{');
        comma = false;
        return this;
    }

    JsonBytes endObject() {
        raw((byte) '}');
        comma = true;
        return this;
    }

    JsonBytes beginArray() {
        separate();
        raw((byte) '[');
        comma = false;
        return this;
    }

    JsonBytes endArray() {
        raw((byte) ']');
        comma = true;
        return this;
    }

    /** Writes an output field's name; the value follows without a comma. */
    JsonBytes name(final OutputField field) {
        return name(FIELDS[field.ordinal()]);
    }

    /** Writes a pre-encoded field name (from {@link #encodeName}); the value follows without a comma. */
    JsonBytes name(final byte[] encoded) {
        separate();
        raw(encoded, 0, encoded.length);
        comma = false;
        return this;
    }

    JsonBytes value(final String s) {
        separate();
        if (s == null) {
            raw(NULL, 0, NULL.length);
        } else {
            string(s);
        }
        comma = true;
        return this;
    }

    JsonBytes value(final long v) {
        separate();
        ascii(Long.toString(v));
        comma = true;
        return this;
    }

    JsonBytes value(final Long v) {
        return v == null ? nullValue() : value(v.longValue());
    }

    JsonBytes value(final double v) {
        separate();
        if (Double.isFinite(v)) {
            ascii(NumberOutput.toString(v, true));
        } else {
            string(Double.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
        }
        comma = true;
        return this;
    }

    JsonBytes value(final boolean v) {
        separate();
        raw(v ? TRUE : FALSE, 0, v ? TRUE.length : FALSE.length);
        comma = true;
        return this;
    }

    JsonBytes nullValue() {
        separate();
        raw(NULL, 0, NULL.length);
        comma = true;
        return this;
    }

    /** Writes the value of a raw feature: a number (integral ones without a fraction), a string, a boolean or null. */
    JsonBytes observed(final Object v) {
        if (v == null) {
            return nullValue();
        }
        if (v instanceof Boolean b) {
            return value(b.booleanValue());
        }
        if (v instanceof Long l) {
            return value(l.longValue());
        }
        if (v instanceof Double d) {
            return value(d.doubleValue());
        }
        return value(v.toString());
    }

    byte[] toBytes() {
        return Arrays.copyOf(buf, size);
    }

    private void separate() {
        if (comma) {
            raw((byte) ',');
        }
    }

    private void string(final String s) {
        raw((byte) '"');
        final int n = s.length();
        for (int i = 0; i < n; i++) {
            final char c = s.charAt(i);
            if (c < 0x80) {
                if (c == '"' || c == '\\') {
                    raw((byte) '\\');
                    raw((byte) c);
                } else if (c < 0x20) {
                    escape(c);
                } else {
                    raw((byte) c);
                }
            } else if (c < 0x800) {
                raw((byte) (0xc0 | (c >> 6)));
                raw((byte) (0x80 | (c & 0x3f)));
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                final int cp = Character.toCodePoint(c, s.charAt(++i));
                raw((byte) (0xf0 | (cp >> 18)));
                raw((byte) (0x80 | ((cp >> 12) & 0x3f)));
                raw((byte) (0x80 | ((cp >> 6) & 0x3f)));
                raw((byte) (0x80 | (cp & 0x3f)));
            } else if (Character.isSurrogate(c)) {
                // a lone surrogate has no UTF-8 form: keep it visible as an escape instead of corrupting the output
                escape(c);
            } else {
                raw((byte) (0xe0 | (c >> 12)));
                raw((byte) (0x80 | ((c >> 6) & 0x3f)));
                raw((byte) (0x80 | (c & 0x3f)));
            }
        }
        raw((byte) '"');
    }

    private void escape(final char c) {
        raw((byte) '\\');
        raw((byte) 'u');
        raw(HEX[(c >> 12) & 0xf]);
        raw(HEX[(c >> 8) & 0xf]);
        raw(HEX[(c >> 4) & 0xf]);
        raw(HEX[c & 0xf]);
    }

    private void ascii(final String s) {
        final int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            buf[size++] = (byte) s.charAt(i);
        }
    }

    private void raw(final byte b) {
        ensure(1);
        buf[size++] = b;
    }

    private void raw(final byte[] b, final int from, final int n) {
        ensure(n);
        System.arraycopy(b, from, buf, size, n);
        size += n;
    }

    private void ensure(final int n) {
        if (size + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
        }
    }
}
