package dev.nelbo.schemas.encoding;

/**
 * A mutable holder for one raw field value, reused across records so that reading a record
 * allocates nothing. A {@link RecordSource} fills it; the {@link FeatureEncoder} reads it.
 */
public final class RawValue {

    /** What the field held. */
    public enum Kind {
        /** The path does not exist in the record. */
        ABSENT,
        /** Explicit null (or an empty CSV cell). */
        NULL,
        /** A number; see {@link #number()}. */
        NUMBER,
        /** A boolean; see {@link #bool()}. */
        BOOLEAN,
        /** A string; see {@link #text()}. */
        TEXT,
        /** An object or array. */
        STRUCTURE
    }

    private Kind kind = Kind.ABSENT;
    private double number;
    private boolean bool;
    private String text;

    /** Marks the value absent. */
    public void setAbsent() {
        set(Kind.ABSENT, Double.NaN, false, null);
    }

    /** Marks the value null. */
    public void setNull() {
        set(Kind.NULL, Double.NaN, false, null);
    }

    /**
     * @param value the number
     * @param text  its original text when known (for categorical features fed numbers), else null
     */
    public void setNumber(final double value, final String text) {
        set(Kind.NUMBER, value, false, text);
    }

    /** @param value the boolean */
    public void setBoolean(final boolean value) {
        set(Kind.BOOLEAN, Double.NaN, value, null);
    }

    /** @param value the string */
    public void setText(final String value) {
        set(Kind.TEXT, Double.NaN, false, value);
    }

    /** Marks the value an object or array. */
    public void setStructure() {
        set(Kind.STRUCTURE, Double.NaN, false, null);
    }

    /** @param other the value to copy into this one */
    public void set(final RawValue other) {
        set(other.kind, other.number, other.bool, other.text);
    }

    private void set(final Kind k, final double n, final boolean b, final String t) {
        kind = k;
        number = n;
        bool = b;
        text = t;
    }

    /** @return the kind */
    public Kind kind() {
        return kind;
    }

    /** @return the number (NUMBER only) */
    public double number() {
        return number;
    }

    /** @return the boolean (BOOLEAN only) */
    public boolean bool() {
        return bool;
    }

    /** @return the text (TEXT, and NUMBER when its text is known) */
    public String text() {
        return text;
    }

    /** @return a short description of the kind for messages */
    public String describe() {
        return switch (kind) {
            case ABSENT -> "absent";
            case NULL -> "null";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case TEXT -> "a string";
            case STRUCTURE -> "an object or array";
        };
    }

    /**
     * @return the value as an instant in epoch milliseconds: a number (epoch milliseconds) or an ISO-8601 string
     *         ({@code 2026-11-21T12:00:00Z}); null for anything else or a string that does not parse
     */
    public Long epochMillis() {
        if (kind == Kind.NUMBER) {
            return Double.isFinite(number) ? (long) number : null;
        }
        if (kind == Kind.TEXT) {
            try {
                return java.time.Instant.parse(text).toEpochMilli();
            } catch (final java.time.format.DateTimeParseException | ArithmeticException e) {
                return null;
            }
        }
        return null;
    }
}
