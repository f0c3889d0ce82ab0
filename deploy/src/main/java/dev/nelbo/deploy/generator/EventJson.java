package dev.nelbo.deploy.generator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * The wire format of generated events (one JSON object per event) and of their labels.
 *
 * <p>Labels normally go to a separate JSONL file ({@link #label(Label)}), so the event stream is exactly
 * what production traffic looks like. With {@link InlineLabels} the label is also written into the event
 * under the given field names; a trainer must then be told to ignore them (e.g. {@code --label-column}).
 */
public final class EventJson {

    /** Field holding the event id; also the join key between events and labels. */
    public static final String EVENT_ID = "event_id";
    /** Field holding the ISO-8601 timestamp. */
    public static final String TIMESTAMP = "ts";
    /** Field holding the service, the default record key. */
    public static final String SERVICE = "service";
    /** Field holding the service instance (the entity of history features). */
    public static final String HOST = "host";
    /** Label file: true for a planted anomaly. */
    public static final String LABEL_ANOMALY = "anomaly";
    /** Label file: the anomaly kind, null for normal events. */
    public static final String LABEL_KIND = "kind";
    /** Label file: what was changed. */
    public static final String LABEL_DETAIL = "detail";
    /** Label field: the episode (host and first event) of an anomaly that spans events; absent for one-event anomalies. */
    public static final String LABEL_EPISODE = "episode";
    /** Label field: the host that falls silent after this event (a planted silence); absent otherwise. */
    public static final String LABEL_SILENCE_HOST = "silence_host";
    /** Label field: that host's last event time before the silence (epoch ms), this event's. */
    public static final String LABEL_SILENCE_SINCE = "silence_since";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private EventJson() {
    }

    /**
     * Names of the label fields written into events when labels are inlined.
     *
     * @param anomalyField boolean field, true for a planted anomaly
     * @param kindField string field with the anomaly kind, null for normal events
     */
    public record InlineLabels(String anomalyField, String kindField) {
    }

    /**
     * @param labelled the event and its label
     * @param inline label fields to add to the event, or empty to keep the event clean
     * @return one line of JSON, no trailing newline
     */
    public static String event(final LabelledEvent labelled, final Optional<InlineLabels> inline) {
        final TelemetryEvent e = labelled.event();
        final ObjectNode node = MAPPER.createObjectNode()
                .put(EVENT_ID, e.eventId())
                .put(TIMESTAMP, e.timestamp().toString())
                .put(SERVICE, e.service())
                .put(HOST, e.host())
                .put("method", e.method())
                .put("region", e.region())
                .put("status_class", e.statusClass())
                .put("latency_ms", e.latencyMs())
                .put("request_bytes", e.requestBytes())
                .put("response_bytes", e.responseBytes())
                .put("retried", e.retried())
                .put("cache_hit", e.cacheHit())
                .put("service_rps", e.serviceRps())
                .put("hour_of_day", e.hourOfDay());
        inline.ifPresent(fields -> {
            node.put(fields.anomalyField(), labelled.label().anomaly());
            node.put(fields.kindField(), labelled.label().kind().map(AnomalyKind::label).orElse(null));
        });
        return write(node);
    }

    /**
     * @param label ground truth of one event
     * @return one line of JSON: event_id, anomaly, kind, detail, and episode for an anomaly that spans events
     */
    public static String label(final Label label) {
        final ObjectNode node = MAPPER.createObjectNode()
                .put(EVENT_ID, label.eventId())
                .put(LABEL_ANOMALY, label.anomaly())
                .put(LABEL_KIND, label.kind().map(AnomalyKind::label).orElse(null))
                .put(LABEL_DETAIL, label.detail());
        if (label.episode() != null) {
            node.put(LABEL_EPISODE, label.episode());
        }
        if (label.silence() != null) {
            node.put(LABEL_SILENCE_HOST, label.silence().host()).put(LABEL_SILENCE_SINCE, label.silence().since().toEpochMilli());
        }
        return write(node);
    }

    private static String write(final ObjectNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a generated event", e);
        }
    }
}
