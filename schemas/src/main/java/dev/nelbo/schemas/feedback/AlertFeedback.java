package dev.nelbo.schemas.feedback;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.json.WireEnum;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An operator's verdict on one alert ({@code alert-feedback.schema.json}): the value of a record on the compacted
 * feedback topic, whose key is the alert's event id. The scorers measure alert precision from these labels and
 * {@code retrain} trains with them; both read them with {@link #parse}, so a record one accepts the other does too.
 *
 * @param label        the verdict
 * @param modelVersion the model that raised the alert, or null (counted as {@link #UNKNOWN_VERSION})
 * @param kind         the alert's kind ({@code event} or {@code entity}), or null
 * @param key          the alert's entity key, or null
 * @param context      the alert's context values, by feature name (empty when unknown)
 * @param by           who labelled it, or null
 * @param note         why, or null
 * @param labelledAt   when (epoch ms), or null
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record AlertFeedback(Label label, String modelVersion, String kind, String key, Map<String, String> context,
                            String by, String note, Long labelledAt) {

    /** Largest feedback record value accepted (bytes): the schema's bounds fit well inside it. */
    public static final int MAX_BYTES = 16 * 1024;
    /** Longest event id (the record key) accepted. */
    public static final int MAX_ID_CHARS = 1024;
    /** The model version a label without one counts under. */
    public static final String UNKNOWN_VERSION = "unknown";

    /** The verdict. */
    public enum Label {
        /** The alert was on normal behaviour. */
        FALSE_POSITIVE,
        /** The alert was on a real incident. */
        TRUE_POSITIVE;

        /** @return the wire name */
        @JsonValue
        public String wireName() {
            return WireEnum.wireName(this);
        }

        /**
         * @param text a wire name
         * @return the label
         * @throws IllegalArgumentException listing the labels
         */
        @JsonCreator
        public static Label of(final String text) {
            return WireEnum.parse(Label.class, text, "label");
        }
    }

    /** Copies the context, in name order. */
    public AlertFeedback {
        if (label == null) {
            throw new IllegalArgumentException("a label is false_positive or true_positive");
        }
        context = context == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(context));
    }

    /** @return the model version, {@link #UNKNOWN_VERSION} when the label does not say */
    public String modelVersionOrUnknown() {
        return modelVersion == null ? UNKNOWN_VERSION : modelVersion;
    }

    /**
     * Reads one feedback record as the scorers and {@code retrain} do.
     *
     * @param eventId the record key
     * @param value   the record value
     * @return the label
     * @throws IllegalArgumentException saying what is wrong (never quoting the value)
     */
    public static AlertFeedback parse(final String eventId, final byte[] value) {
        checkId(eventId);
        if (value.length > MAX_BYTES) {
            throw new IllegalArgumentException("feedback for '" + eventId + "' is " + value.length + " bytes (at most "
                    + MAX_BYTES + ")");
        }
        final JsonNode json;
        try {
            json = Json.DOCUMENTS.readTree(value);
        } catch (final IOException e) {
            throw new IllegalArgumentException("feedback for '" + eventId + "' is not JSON");
        }
        final List<String> problems = Schemas.validate(SchemaDocument.ALERT_FEEDBACK, json);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("feedback for '" + eventId + "' does not match alert-feedback.schema.json: "
                    + String.join("; ", problems));
        }
        try {
            return Json.DOCUMENTS.treeToValue(json, AlertFeedback.class);
        } catch (final com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("feedback for '" + eventId + "': " + e.getOriginalMessage());
        }
    }

    /**
     * Applies one record of the feedback topic, as the scorers and the commands read it.
     *
     * @param labels  the labels in force, by event id
     * @param eventId the record key
     * @param value   the record value, or null (a tombstone: the label is withdrawn)
     * @return whether the labels changed
     * @throws IllegalArgumentException when the record is not a label (the one it would replace stays)
     */
    public static boolean apply(final Map<String, AlertFeedback> labels, final String eventId, final byte[] value) {
        checkId(eventId);
        if (value == null) {
            return labels.remove(eventId) != null;
        }
        final AlertFeedback label = parse(eventId, value);
        return !label.equals(labels.put(eventId, label));
    }

    /**
     * @param eventId a record key
     * @throws IllegalArgumentException when it cannot name an alert
     */
    public static void checkId(final String eventId) {
        if (eventId == null || eventId.isEmpty()) {
            throw new IllegalArgumentException("a feedback record is keyed by the alert's event id; this one has no key");
        }
        if (eventId.length() > MAX_ID_CHARS) {
            throw new IllegalArgumentException("a feedback key is an event id of at most " + MAX_ID_CHARS + " characters, got "
                    + eventId.length());
        }
    }

    /** @return the record value */
    public byte[] toJson() {
        try {
            return Json.DOCUMENTS.writeValueAsString(this).getBytes(StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
