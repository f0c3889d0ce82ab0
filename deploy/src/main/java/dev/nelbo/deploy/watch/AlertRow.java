package dev.nelbo.deploy.watch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.contract.output.AlertKind;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.StringJoiner;

import static dev.nelbo.contract.output.OutputField.DETECTED_AT;
import static dev.nelbo.contract.output.OutputField.ENTITY_EVENTS;
import static dev.nelbo.contract.output.OutputField.LAST_SEEN;
import static dev.nelbo.contract.output.OutputField.USUAL_INTERVAL_MS;
import static dev.nelbo.contract.output.OutputField.ENTITY_EVIDENCE;
import static dev.nelbo.contract.output.OutputField.ENTITY_THRESHOLD;
import static dev.nelbo.contract.output.OutputField.EVENT_ID;
import static dev.nelbo.contract.output.OutputField.EVENT_TIME;
import static dev.nelbo.contract.output.OutputField.EXPECTED;
import static dev.nelbo.contract.output.OutputField.FEATURE;
import static dev.nelbo.contract.output.OutputField.KEY;
import static dev.nelbo.contract.output.OutputField.KIND;
import static dev.nelbo.contract.output.OutputField.OBSERVED;
import static dev.nelbo.contract.output.OutputField.ONSET_EVENT_ID;
import static dev.nelbo.contract.output.OutputField.SCORE;
import static dev.nelbo.contract.output.OutputField.THRESHOLD;
import static dev.nelbo.contract.output.OutputField.TOP_FEATURES;

/** Formats alerts (alert.schema.json) as compact fixed-width terminal rows. */
public final class AlertRow {

    /** Column header matching {@link #format}. */
    public static final String HEADER = String.format("%-8s  %-19s  %-15s  %8s  %8s  %-19s  %s",
            "time", "event_id", "key", "score", "thresh", "planted", "top features (observed / expected)");

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

    private AlertRow() {
    }

    /**
     * @param alert one alert record
     * @param planted the planted kind if the label says so, "normal" for a normal event, "?" when unknown
     * @param width maximum row width
     * @return one line
     */
    public static String format(final JsonNode alert, final String planted, final int width) {
        if (AlertKind.SILENCE.wireName().equals(alert.path(KIND.wireName()).asText())) {
            final long lastSeen = alert.path(LAST_SEEN.wireName()).asLong();
            final String row = String.format("%-8s  %-19s  %-15.15s  %8s  %8s  %-19.19s  SILENCE since %s, usual interval %.0f ms",
                    TIME.format(Instant.ofEpochMilli(alert.path(DETECTED_AT.wireName()).asLong())), "",
                    alert.path(KEY.wireName()).asText(), "", "", planted, TIME.format(Instant.ofEpochMilli(lastSeen)),
                    alert.path(USUAL_INTERVAL_MS.wireName()).asDouble());
            return row.length() <= width ? row : row.substring(0, width - 1) + "…";
        }
        final String time = alert.hasNonNull(EVENT_TIME.wireName()) ? TIME.format(Instant.ofEpochMilli(alert.get(EVENT_TIME.wireName()).asLong())) : "";
        final boolean entity = AlertKind.ENTITY.wireName().equals(alert.path(KIND.wireName()).asText());
        // an entity alert: its score and threshold columns are the entity statistic's
        final StringJoiner features = new StringJoiner("; ", entity ? String.format("ENTITY, %d events since %s: ",
                alert.path(ENTITY_EVENTS.wireName()).asInt(), alert.path(ONSET_EVENT_ID.wireName()).asText()) : "", "");
        for (final JsonNode f : alert.path(TOP_FEATURES.wireName())) {
            features.add(f.path(FEATURE.wireName()).asText() + ' ' + value(f.path(OBSERVED.wireName())) + '/'
                    + value(f.path(EXPECTED.wireName())));
        }
        final String row = String.format("%-8s  %-19.19s  %-15.15s  %8.2f  %8.2f  %-19.19s  %s", time,
                alert.path(EVENT_ID.wireName()).asText(), Optional.ofNullable(alert.get(KEY.wireName())).filter(k -> !k.isNull()).map(JsonNode::asText).orElse(""),
                alert.path((entity ? ENTITY_EVIDENCE : SCORE).wireName()).asDouble(),
                alert.path((entity ? ENTITY_THRESHOLD : THRESHOLD).wireName()).asDouble(), planted, features);
        return row.length() <= width ? row : row.substring(0, width - 1) + "…";
    }

    private static String value(final JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return "-";
        }
        if (v.isNumber()) {
            final double d = v.asDouble();
            return Math.abs(d) >= 100 || d == Math.rint(d) ? String.format("%.0f", d) : String.format("%.2f", d);
        }
        return v.asText();
    }
}
