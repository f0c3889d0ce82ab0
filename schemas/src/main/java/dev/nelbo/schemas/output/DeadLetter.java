package dev.nelbo.schemas.output;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.nelbo.schemas.encoding.FailureReason;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * An input record that could not be scored ({@code dead-letter.schema.json}). Its size is bounded
 * whatever the input: it carries the first {@value #PAYLOAD_PREFIX_BYTES} bytes of the payload, the
 * payload's length and SHA-256 (to find the original on the input topic), and a message of at most
 * {@value #MAX_MESSAGE_CHARS} characters, so a dead letter always fits where the input did.
 *
 * @param reason           typed reason
 * @param field            offending field, or null
 * @param message          readable message
 * @param source           where the record came from
 * @param payloadBase64    the payload's first bytes (all of it when not truncated), base64
 * @param payloadBytes     the payload's length
 * @param payloadSha256    the payload's SHA-256, lowercase hex
 * @param payloadTruncated whether {@code payloadBase64} holds only a prefix
 * @param modelVersion     model version in use, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeadLetter(FailureReason reason, String field, String message, SourceRef source, String payloadBase64,
                         long payloadBytes, String payloadSha256, boolean payloadTruncated, String modelVersion) {

    /** Most payload bytes a dead letter carries. */
    public static final int PAYLOAD_PREFIX_BYTES = 4096;
    /** Longest message and field name. */
    public static final int MAX_MESSAGE_CHARS = 1024;

    /**
     * @param reason       typed reason
     * @param field        offending field, or null
     * @param message      readable message (cut to {@value #MAX_MESSAGE_CHARS} characters)
     * @param source       where the record came from
     * @param payload      the original bytes (null becomes an empty payload)
     * @param modelVersion model version in use, or null
     * @return a bounded dead letter for the record
     */
    public static DeadLetter of(final FailureReason reason, final String field, final String message,
                                final SourceRef source, final byte[] payload, final String modelVersion) {
        final byte[] bytes = payload == null ? new byte[0] : payload;
        final boolean truncated = bytes.length > PAYLOAD_PREFIX_BYTES;
        final byte[] prefix = truncated ? Arrays.copyOf(bytes, PAYLOAD_PREFIX_BYTES) : bytes;
        return new DeadLetter(reason, cut(field), cut(message), source, Base64.getEncoder().encodeToString(prefix),
                bytes.length, sha256(bytes), truncated, modelVersion);
    }

    /** @return the payload bytes carried (the whole payload unless {@link #payloadTruncated()}) */
    public byte[] payload() {
        return Base64.getDecoder().decode(payloadBase64);
    }

    /**
     * @param bytes any bytes
     * @return their SHA-256, lowercase hex
     */
    public static String sha256(final byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static String cut(final String s) {
        return s == null || s.length() <= MAX_MESSAGE_CHARS ? s : s.substring(0, MAX_MESSAGE_CHARS - 3) + "...";
    }
}
