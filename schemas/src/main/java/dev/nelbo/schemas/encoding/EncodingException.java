package dev.nelbo.schemas.encoding;

/**
 * A record that cannot be encoded, with a typed reason and the offending field. Thrown per bad record
 * on the hot path, so it carries no stack trace (nothing to learn from one; creating it is costly).
 */
public final class EncodingException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final FailureReason reason;
    private final String field;

    /**
     * @param reason  typed reason
     * @param field   feature or field name, or null when the whole record is at fault
     * @param message readable message (never contains the whole payload)
     */
    public EncodingException(final FailureReason reason, final String field, final String message) {
        super(message, null, false, false);
        this.reason = reason;
        this.field = field;
    }

    /**
     * @param reason  typed reason
     * @param field   feature or field name, or null
     * @param message readable message
     * @param cause   what went wrong underneath (kept for the log of an {@code internal_error})
     */
    public EncodingException(final FailureReason reason, final String field, final String message, final Throwable cause) {
        super(message, cause, false, false);
        this.reason = reason;
        this.field = field;
    }

    /** @return the typed reason */
    public FailureReason reason() {
        return reason;
    }

    /** @return the offending field, or null */
    public String field() {
        return field;
    }
}
