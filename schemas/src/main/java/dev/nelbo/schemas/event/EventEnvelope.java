package dev.nelbo.schemas.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.encoding.JsonRecordSource;
import dev.nelbo.schemas.json.Json;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * One input event ({@code event.schema.json}): a JSON object whose id, key, time and features are
 * found by the feature spec's dotted paths. Parsing here is the one way both the trainer (JSONL) and
 * the scorer (Kafka values) turn bytes into an event, with the same typed failures.
 *
 * @param body the event object
 */
public record EventEnvelope(ObjectNode body) {

    /** @param body the event object (copied) */
    @JsonCreator
    public EventEnvelope {
        body = body.deepCopy();
    }

    /** @return the event object */
    @JsonValue
    public ObjectNode json() {
        return body;
    }

    /**
     * Parses event bytes without copying the tree (the hot path).
     *
     * @param bytes UTF-8 JSON
     * @return the event object
     * @throws EncodingException {@code malformed} when not JSON, {@code not_an_object} when not an object
     */
    public static ObjectNode parse(final byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new EncodingException(FailureReason.MALFORMED, null, "empty record: expected a JSON object");
        }
        final JsonNode node;
        try {
            node = Json.EVENTS.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new EncodingException(FailureReason.MALFORMED, null, "not valid JSON: " + e.getOriginalMessage()
                    + " at " + e.getLocation().offsetDescription());
        } catch (IOException e) {
            throw new EncodingException(FailureReason.MALFORMED, null, "not valid JSON: " + e.getMessage());
        }
        if (node == null || node.isMissingNode()) {
            throw new EncodingException(FailureReason.MALFORMED, null, "no JSON value in the record");
        }
        if (!node.isObject()) {
            throw new EncodingException(FailureReason.NOT_AN_OBJECT, null, "expected a JSON object but got " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        return (ObjectNode) node;
    }

    /**
     * @param event    event object
     * @param segments split path, or null
     * @return the text at the path (numbers as text), or null when absent, null or a structure
     */
    public static String text(final JsonNode event, final String[] segments) {
        if (segments == null) {
            return null;
        }
        final JsonNode n = JsonRecordSource.lookup(event, segments);
        return n == null || n.isNull() || n.isContainerNode() ? null : n.asText();
    }

    /**
     * @param event    event object
     * @param segments split timestamp path, or null
     * @return epoch millis from a number or an ISO-8601 string, or null when absent or unreadable
     */
    public static Long timestampMillis(final JsonNode event, final String[] segments) {
        if (segments == null) {
            return null;
        }
        final JsonNode n = JsonRecordSource.lookup(event, segments);
        if (n == null) {
            return null;
        }
        if (n.isNumber()) {
            final double v = n.doubleValue();
            return Double.isFinite(v) ? (long) v : null;
        }
        if (n.isTextual()) {
            try {
                return Instant.parse(n.textValue()).toEpochMilli();
            } catch (DateTimeParseException e) {
                return null;
            }
        }
        return null;
    }
}
