package dev.nelbo.schemas.output;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * An event over the threshold ({@code alert.schema.json}), as a test reads it: written apart from
 * {@code OutputField}, whose names the scorer writes, so a test that reads the writer's bytes into it checks them.
 *
 * @param kind                {@code event} or {@code entity}
 * @param eventId             event id
 * @param key                 entity key, or null
 * @param eventTime           event time in epoch ms, or null
 * @param modelVersion        model version
 * @param score               negative ELBO
 * @param threshold           alert threshold
 * @param tailProbability     tail probability of the score
 * @param topFeatures         the features that contributed most, largest first
 * @param suppressedSinceLast alerts for this key suppressed since the previous one was sent
 * @param suppressionWindowMs suppression window
 * @param entityEvidence      kind entity: the key's statistic, else null
 * @param entityThreshold     kind entity: the entity threshold, else null
 * @param onsetEventId        kind entity: the run's first event, else null
 * @param onsetTime           kind entity: its time, else null
 * @param entityEvents        kind entity: the run's events, else null
 * @param clamped             features clamped into the model's range, or null when none was
 * @param historyEvents       past events of its key behind the history features, or null when the model has none
 * @param historyWarmingUp    whether that history is shorter than the longest half-life (a young entity), or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Alert(String kind, String eventId, String key, Long eventTime, String modelVersion, double score,
                    double threshold, double tailProbability, List<TopFeature> topFeatures, long suppressedSinceLast,
                    long suppressionWindowMs, Double entityEvidence, Double entityThreshold, String onsetEventId,
                    Long onsetTime, Integer entityEvents, List<Clamped> clamped, Long historyEvents,
                    Boolean historyWarmingUp) {

    /** Copies the lists. */
    public Alert {
        topFeatures = List.copyOf(topFeatures);
        clamped = clamped == null ? null : List.copyOf(clamped);
    }

    /**
     * One contributing feature.
     *
     * @param feature      feature name
     * @param contribution its reconstruction NLL
     * @param observed     the value in the event (number, string, boolean or null)
     * @param expected     what the decoder expected (mean, most likely category, probability of 1)
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record TopFeature(String feature, double contribution, Object observed, Object expected) {
    }
}
