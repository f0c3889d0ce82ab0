package dev.nelbo.scorer.config;

import dev.nelbo.contract.TopicNames;

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
        return new Topics(TopicNames.EVENTS, TopicNames.SCORES, TopicNames.ALERTS, TopicNames.DLQ, TopicNames.REGISTRY);
    }
}
