package dev.nelbo.contract.output;

import java.util.EnumSet;
import java.util.Set;

/**
 * Every field of nelbo's output records, the one place each name is written: the scorer's writer (streaming and
 * offline) writes them by these names, the tools read them by these names, and a test in {@code schemas} checks each
 * document's fields here against its JSON Schema ({@code score.schema.json}, {@code alert.schema.json},
 * {@code dead-letter.schema.json}). A field is added or renamed here (and in the schema, which the test enforces).
 */
public enum OutputField {
    EVENT_ID("event_id", Part.SCORE, Part.ALERT),
    KEY("key", Part.SCORE, Part.ALERT),
    EVENT_TIME("event_time", Part.SCORE, Part.ALERT),
    MODEL_VERSION("model_version", Part.SCORE, Part.ALERT, Part.DEAD_LETTER),
    SCORE("score", Part.SCORE, Part.ALERT),
    RECON_NLL("recon_nll", Part.SCORE),
    KL("kl", Part.SCORE),
    IW_NLL("iw_nll", Part.SCORE),
    TAIL_PROBABILITY("tail_probability", Part.SCORE, Part.ALERT),
    THRESHOLD("threshold", Part.SCORE, Part.ALERT),
    ANOMALY("anomaly", Part.SCORE),
    CONTRIBUTIONS("contributions", Part.SCORE),
    TOP_FEATURES("top_features", Part.ALERT),
    SUPPRESSED_SINCE_LAST("suppressed_since_last", Part.ALERT),
    SUPPRESSION_WINDOW_MS("suppression_window_ms", Part.ALERT),
    HISTORY_EVENTS("history_events", Part.SCORE, Part.ALERT),
    HISTORY_WARMING_UP("history_warming_up", Part.ALERT),
    CLAMPED("clamped", Part.SCORE, Part.ALERT),
    SOURCE("source", Part.SCORE, Part.DEAD_LETTER),
    REASON("reason", Part.DEAD_LETTER),
    FIELD("field", Part.DEAD_LETTER),
    MESSAGE("message", Part.DEAD_LETTER),
    PAYLOAD_BASE64("payload_base64", Part.DEAD_LETTER),
    PAYLOAD_BYTES("payload_bytes", Part.DEAD_LETTER),
    PAYLOAD_SHA256("payload_sha256", Part.DEAD_LETTER),
    PAYLOAD_TRUNCATED("payload_truncated", Part.DEAD_LETTER),
    TOPIC("topic", Part.SOURCE),
    PARTITION("partition", Part.SOURCE),
    OFFSET("offset", Part.SOURCE),
    FILE("file", Part.SOURCE),
    LINE("line", Part.SOURCE),
    FEATURE("feature", Part.TOP_FEATURE, Part.CLAMPED_VALUE),
    CONTRIBUTION("contribution", Part.TOP_FEATURE),
    OBSERVED("observed", Part.TOP_FEATURE, Part.CLAMPED_VALUE),
    EXPECTED("expected", Part.TOP_FEATURE),
    KIND("kind", Part.ALERT),
    ENTITY_EVIDENCE("entity_evidence", Part.SCORE, Part.ALERT),
    ENTITY_ANOMALOUS("entity_anomalous", Part.SCORE),
    ENTITY_THRESHOLD("entity_threshold", Part.ALERT),
    ONSET_EVENT_ID("onset_event_id", Part.ALERT),
    ONSET_TIME("onset_time", Part.ALERT),
    ENTITY_EVENTS("entity_events", Part.ALERT),
    /** Kind silence: the key's latest event time (epoch ms). */
    LAST_SEEN("last_seen", Part.ALERT),
    /** Kind silence: the key's reference interval between events (ms), learnt from its own events. */
    USUAL_INTERVAL_MS("usual_interval_ms", Part.ALERT),
    /** Kind silence: when the key became overdue (epoch ms): last seen plus the calibrated number of its intervals. */
    OVERDUE_AT("overdue_at", Part.ALERT),
    /** Kind silence: the task's clock when the silence was found (epoch ms; see docs/scorer.md on the clock). */
    DETECTED_AT("detected_at", Part.ALERT),
    /** The alert rule that decided to send the alert (a direction rule its leading deviation met), when one did. */
    RULE("rule", Part.ALERT),
    /** The event's values of the model's categorical and binary context features, by feature name. */
    CONTEXT("context", Part.ALERT);

    /** The output objects: the three records and the objects nested in them. */
    public enum Part {
        /** A score record ({@code score.schema.json}). */
        SCORE,
        /** An alert ({@code alert.schema.json}). */
        ALERT,
        /** A dead letter ({@code dead-letter.schema.json}). */
        DEAD_LETTER,
        /** Where a record came from ({@code source}: Kafka coordinates, or a file and line). */
        SOURCE,
        /** One of an alert's {@code top_features}. */
        TOP_FEATURE,
        /** One of the {@code clamped} features. */
        CLAMPED_VALUE
    }

    private final String wireName;
    private final Set<Part> parts;

    OutputField(final String wireName, final Part first, final Part... more) {
        this.wireName = wireName;
        this.parts = EnumSet.of(first, more);
    }

    /** @return the field's name in the JSON */
    public String wireName() {
        return wireName;
    }

    /**
     * @param part an output object
     * @return whether the field belongs to it
     */
    public boolean in(final Part part) {
        return parts.contains(part);
    }

    @Override
    public String toString() {
        return wireName;
    }
}
