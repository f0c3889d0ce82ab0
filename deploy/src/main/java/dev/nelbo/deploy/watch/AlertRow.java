package dev.nelbo.deploy.watch;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

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
        final String time = alert.hasNonNull("event_time") ? TIME.format(Instant.ofEpochMilli(alert.get("event_time").asLong())) : "";
        final StringBuilder features = new StringBuilder();
        for (final JsonNode f : alert.path("top_features")) {
            if (features.length() > 0) {
                features.append("; ");
            }
            features.append(f.path("feature").asText()).append(' ').append(value(f.path("observed")))
                    .append('/').append(value(f.path("expected")));
        }
        final String row = String.format("%-8s  %-19.19s  %-15.15s  %8.2f  %8.2f  %-19.19s  %s", time,
                alert.path("event_id").asText(), Optional.ofNullable(alert.get("key")).filter(k -> !k.isNull()).map(JsonNode::asText).orElse(""),
                alert.path("score").asDouble(), alert.path("threshold").asDouble(), planted, features);
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
