package dev.nelbo.schemas.event;

/**
 * What an event may be before it is refused unread, each limit with its own dead-letter reason. They
 * bound the work and memory one record can cost, whatever its bytes.
 *
 * @param maxBytes        largest record value ({@code too_large})
 * @param maxDepth        deepest nesting of objects and arrays, the event object itself being depth 1
 *                        ({@code too_deep})
 * @param maxNumberLength longest number literal in characters ({@code number_too_long})
 * @param maxStringLength longest string or field name in characters ({@code string_too_long})
 */
public record DecodeLimits(int maxBytes, int maxDepth, int maxNumberLength, int maxStringLength) {

    /** Default {@link #maxBytes}: 256 KiB. */
    public static final int DEFAULT_MAX_BYTES = 256 * 1024;
    /** Default {@link #maxDepth}. */
    public static final int DEFAULT_MAX_DEPTH = 64;
    /** Default {@link #maxNumberLength}: far more than any double needs (at most 25 characters). */
    public static final int DEFAULT_MAX_NUMBER_LENGTH = 100;
    /** Default {@link #maxStringLength}. */
    public static final int DEFAULT_MAX_STRING_LENGTH = 64 * 1024;

    /** @throws IllegalArgumentException for a limit below 1 */
    public DecodeLimits {
        if (maxBytes < 1 || maxDepth < 1 || maxNumberLength < 1 || maxStringLength < 1) {
            throw new IllegalArgumentException("event limits must be positive, got bytes " + maxBytes + ", depth "
                    + maxDepth + ", number length " + maxNumberLength + ", string length " + maxStringLength);
        }
    }

    /** @return the defaults */
    public static DecodeLimits defaults() {
        return new DecodeLimits(DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, DEFAULT_MAX_NUMBER_LENGTH, DEFAULT_MAX_STRING_LENGTH);
    }
}
