package dev.nelbo.schemas.output;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.nelbo.schemas.encoding.FailureReason;

import java.util.Base64;

/**
 * An input record that could not be scored ({@code dead-letter.schema.json}).
 *
 * @param reason        typed reason
 * @param field         offending field, or null
 * @param message       readable message
 * @param source        where the record came from
 * @param payloadBase64 the original bytes, base64
 * @param modelVersion  model version in use, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeadLetter(FailureReason reason, String field, String message, SourceRef source, String payloadBase64,
                         String modelVersion) {

    /**
     * @return a dead letter carrying the original bytes (null bytes become an empty payload)
     */
    public static DeadLetter of(final FailureReason reason, final String field, final String message,
                                final SourceRef source, final byte[] payload, final String modelVersion) {
        return new DeadLetter(reason, field, message, source,
                Base64.getEncoder().encodeToString(payload == null ? new byte[0] : payload), modelVersion);
    }

    /** @return the original bytes */
    public byte[] payload() {
        return Base64.getDecoder().decode(payloadBase64);
    }
}
