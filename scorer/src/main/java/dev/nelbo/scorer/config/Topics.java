package dev.nelbo.scorer.config;

import java.util.Objects;

/**
 * The topic names one scorer application uses.
 *
 * @param events   input events
 * @param scores   score records
 * @param alerts   alerts
 * @param dlq      dead letters
 * @param registry compacted model registry
 */
public record Topics(String events, String scores, String alerts, String dlq, String registry) {

    /** Default input topic. */
    public static final String EVENTS = "events";
    /** Default scores topic. */
    public static final String SCORES = "scores";
    /** Default alerts topic. */
    public static final String ALERTS = "alerts";
    /** Default dead-letter topic. */
    public static final String DLQ = "events-dlq";
    /** Default model registry topic. */
    public static final String REGISTRY = "nelbo-models";
    /** Header carried by every output record: the model version that produced it. */
    public static final String MODEL_VERSION_HEADER = "nelbo-model-version";

    /** Validates that all names are set. */
    public Topics {
        Objects.requireNonNull(events, "events");
        Objects.requireNonNull(scores, "scores");
        Objects.requireNonNull(alerts, "alerts");
        Objects.requireNonNull(dlq, "dlq");
        Objects.requireNonNull(registry, "registry");
    }

    /** @return the default topic names */
    public static Topics defaults() {
        return new Topics(EVENTS, SCORES, ALERTS, DLQ, REGISTRY);
    }
}
