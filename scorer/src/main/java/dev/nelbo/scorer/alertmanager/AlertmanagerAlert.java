package dev.nelbo.scorer.alertmanager;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.contract.output.AlertKind;
import dev.nelbo.contract.output.OutputField;
import dev.nelbo.schemas.json.Json;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;

import static dev.nelbo.contract.output.OutputField.CONTRIBUTION;
import static dev.nelbo.contract.output.OutputField.ENTITY_EVENTS;
import static dev.nelbo.contract.output.OutputField.ENTITY_EVIDENCE;
import static dev.nelbo.contract.output.OutputField.ENTITY_THRESHOLD;
import static dev.nelbo.contract.output.OutputField.EVENT_ID;
import static dev.nelbo.contract.output.OutputField.EVENT_TIME;
import static dev.nelbo.contract.output.OutputField.EXPECTED;
import static dev.nelbo.contract.output.OutputField.FEATURE;
import static dev.nelbo.contract.output.OutputField.KEY;
import static dev.nelbo.contract.output.OutputField.KIND;
import static dev.nelbo.contract.output.OutputField.LAST_SEEN;
import static dev.nelbo.contract.output.OutputField.MODEL_VERSION;
import static dev.nelbo.contract.output.OutputField.OBSERVED;
import static dev.nelbo.contract.output.OutputField.ONSET_EVENT_ID;
import static dev.nelbo.contract.output.OutputField.OVERDUE_AT;
import static dev.nelbo.contract.output.OutputField.SCORE;
import static dev.nelbo.contract.output.OutputField.TAIL_PROBABILITY;
import static dev.nelbo.contract.output.OutputField.THRESHOLD;
import static dev.nelbo.contract.output.OutputField.TOP_FEATURES;
import static dev.nelbo.contract.output.OutputField.USUAL_INTERVAL_MS;

/**
 * One nelbo alert ({@code alert.schema.json}) as an alert of Alertmanager's API ({@code POST /api/v2/alerts}).
 *
 * <p>Labels are what an on-call team routes, groups and silences on: {@code alertname} ({@value #ALERT_NAME}),
 * {@code kind}, {@code key}, {@code model_version}, {@code top_feature}, the configured static labels, and the alert's
 * identity: {@code event_id} for event and entity alerts, {@code last_seen} for a silence (a silence names no event;
 * one key's silence is one last-seen time). Alertmanager identifies an alert by its label set, so an alert sent again
 * after a restart updates the one it already holds instead of notifying twice. Annotations carry what a person reads:
 * a summary, the score against its threshold, each top feature's observed and expected values.
 *
 * <p>{@code startsAt} is the alert's own time (event time; for a silence, when the key became overdue), never ahead of
 * the bridge's clock; {@code endsAt} is the resolve period after the later of that and the time it is sent, so an alert
 * read late (after an outage of the bridge) still fires.
 */
public final class AlertmanagerAlert {

    /** The {@code alertname} label of every alert the bridge sends. */
    public static final String ALERT_NAME = "NelboAnomaly";
    /** Longest label value; longer keys and names are cut (the annotation keeps up to {@link #MAX_ANNOTATION}). */
    static final int MAX_LABEL = 256;
    /** Longest annotation value. */
    static final int MAX_ANNOTATION = 4096;

    private AlertmanagerAlert() {
    }

    /** An alert record the bridge cannot send: not JSON, not an object, or without the fields of its kind. */
    public static final class UnreadableAlert extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UnreadableAlert(final String message) {
            super(message);
        }
    }

    /**
     * @param value        the alert record's value
     * @param staticLabels labels added to every alert (validated names)
     * @param resolveMs    how long after it is sent an alert resolves
     * @param nowMs        the bridge's clock
     * @return the Alertmanager alert
     * @throws UnreadableAlert when the record is not an alert
     */
    public static ObjectNode of(final byte[] value, final Map<String, String> staticLabels, final long resolveMs,
                                final long nowMs) {
        final JsonNode alert;
        try {
            alert = value == null ? null : Json.DOCUMENTS.readTree(value);
        } catch (final JsonProcessingException e) {
            // the parser's message quotes the input: only where it failed goes to the log
            throw new UnreadableAlert("not JSON (at byte " + (e.getLocation() == null ? "?" : e.getLocation().getByteOffset())
                    + ")");
        } catch (final java.io.IOException e) {
            throw new UnreadableAlert("unreadable: " + e.getMessage());
        }
        if (alert == null || !alert.isObject()) {
            throw new UnreadableAlert("not a JSON object");
        }
        final String kindText = alert.path(KIND.wireName()).asText(AlertKind.EVENT.wireName());
        final AlertKind kind = java.util.Arrays.stream(AlertKind.values()).filter(k -> k.wireName().equals(kindText))
                .findFirst().orElseThrow(() -> new UnreadableAlert("unknown kind '" + cut(kindText, 40) + "'"));
        final String modelVersion = text(alert, MODEL_VERSION).orElseThrow(() -> missing(MODEL_VERSION));
        final Optional<String> key = text(alert, KEY);

        final ObjectNode labels = JsonNodeFactory.instance.objectNode();
        staticLabels.forEach(labels::put);
        labels.put("alertname", ALERT_NAME);
        labels.put("kind", kind.wireName());
        key.ifPresent(k -> labels.put("key", cut(k, MAX_LABEL)));
        labels.put("model_version", cut(modelVersion, MAX_LABEL));
        final ObjectNode annotations = JsonNodeFactory.instance.objectNode();
        key.ifPresent(k -> annotations.put("key", cut(k, MAX_ANNOTATION)));
        final long at;
        if (kind == AlertKind.SILENCE) {
            final long lastSeen = number(alert, LAST_SEEN);
            labels.put("last_seen", Long.toString(lastSeen));
            at = number(alert, OVERDUE_AT);
            annotations.put("summary", String.format(Locale.ROOT, "%s silent since %s (usually every %.0f ms)",
                    cut(key.orElse("(no key)"), 200), Instant.ofEpochMilli(lastSeen), alert.path(USUAL_INTERVAL_MS.wireName())
                            .asDouble()));
            annotations.put("last_seen", Instant.ofEpochMilli(lastSeen).toString());
            annotations.put("usual_interval_ms", alert.path(USUAL_INTERVAL_MS.wireName()).asText());
        } else {
            final String eventId = text(alert, EVENT_ID).orElseThrow(() -> missing(EVENT_ID));
            labels.put("event_id", cut(eventId, MAX_LABEL));
            at = alert.path(EVENT_TIME.wireName()).isIntegralNumber() ? alert.get(EVENT_TIME.wireName()).asLong() : nowMs;
            final JsonNode top = alert.path(TOP_FEATURES.wireName());
            if (top.isArray() && !top.isEmpty()) {
                text(top.get(0), FEATURE).ifPresent(f -> labels.put("top_feature", cut(f, MAX_LABEL)));
            }
            final StringJoiner features = new StringJoiner("; ");
            for (final JsonNode f : top) {
                features.add(String.format(Locale.ROOT, "%s observed %s, expected %s (contribution %s)",
                        f.path(FEATURE.wireName()).asText(), f.path(OBSERVED.wireName()).asText(),
                        f.path(EXPECTED.wireName()).asText(), f.path(CONTRIBUTION.wireName()).asText()));
            }
            if (kind == AlertKind.ENTITY) {
                annotations.put("summary", String.format(Locale.ROOT, "entity %s anomalous over %d events since %s:"
                                + " evidence %s over %s", cut(key.orElse("(no key)"), 200),
                        alert.path(ENTITY_EVENTS.wireName()).asLong(), cut(alert.path(ONSET_EVENT_ID.wireName()).asText(), 200),
                        alert.path(ENTITY_EVIDENCE.wireName()).asText(), alert.path(ENTITY_THRESHOLD.wireName()).asText()));
                annotations.put("entity_evidence", alert.path(ENTITY_EVIDENCE.wireName()).asText());
                annotations.put("entity_threshold", alert.path(ENTITY_THRESHOLD.wireName()).asText());
            } else {
                annotations.put("summary", String.format(Locale.ROOT, "anomalous event %s%s: score %s over %s",
                        cut(eventId, 200), key.map(k -> " of " + cut(k, 200)).orElse(""),
                        alert.path(SCORE.wireName()).asText(), alert.path(THRESHOLD.wireName()).asText()));
            }
            annotations.put("event_id", cut(eventId, MAX_ANNOTATION));
            annotations.put("score", alert.path(SCORE.wireName()).asText());
            annotations.put("threshold", alert.path(THRESHOLD.wireName()).asText());
            annotations.put("tail_probability", alert.path(TAIL_PROBABILITY.wireName()).asText());
            annotations.put("top_features", cut(features.toString(), MAX_ANNOTATION));
        }
        final long startsAt = Math.min(at, nowMs);
        final ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.set("labels", labels);
        out.set("annotations", annotations);
        out.put("startsAt", Instant.ofEpochMilli(startsAt).toString());
        out.put("endsAt", Instant.ofEpochMilli(Math.max(startsAt, nowMs) + resolveMs).toString());
        return out;
    }

    /** @return the label set that identifies the alert in Alertmanager, as text (for logs: no payload) */
    static String identity(final ObjectNode alertmanagerAlert) {
        final JsonNode labels = alertmanagerAlert.path("labels");
        return labels.path("kind").asText() + " " + labels.path("key").asText("-") + " "
                + labels.path(labels.has("event_id") ? "event_id" : "last_seen").asText();
    }

    private static Optional<String> text(final JsonNode node, final OutputField field) {
        final JsonNode v = node.get(field.wireName());
        return v != null && v.isTextual() && !v.asText().isEmpty() ? Optional.of(v.asText()) : Optional.empty();
    }

    private static long number(final JsonNode node, final OutputField field) {
        final JsonNode v = node.get(field.wireName());
        if (v == null || !v.isIntegralNumber()) {
            throw missing(field);
        }
        return v.asLong();
    }

    private static UnreadableAlert missing(final OutputField field) {
        return new UnreadableAlert("no '" + field.wireName() + "'");
    }

    /**
     * @return the text cut to max characters, never inside a surrogate pair, and with lone surrogates (which are not
     * UTF-8) replaced
     */
    static String cut(final String s, final int max) {
        final StringBuilder b = new StringBuilder(Math.min(s.length(), max));
        int i = 0;
        // max - 1 leaves room for the ellipsis when the text is longer
        final int room = s.length() > max ? max - 1 : max;
        while (i < s.length()) {
            final char c = s.charAt(i);
            final boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
            if (b.length() + (pair ? 2 : 1) > room) {
                break;
            }
            if (pair) {
                b.append(c).append(s.charAt(i + 1));
                i += 2;
            } else {
                b.append(Character.isSurrogate(c) ? '\uFFFD' : c);
                i++;
            }
        }
        return i < s.length() ? b.append('…').toString() : b.toString();
    }
}
