package dev.nelbo.schemas.output;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Map;

/**
 * One scored event ({@code score.schema.json}), as a test reads it: written apart from
 * {@code OutputField}, whose names the scorer writes, so a test that reads the writer's bytes into it checks them.
 *
 * @param eventId         event id
 * @param key             entity key, or null
 * @param eventTime       event time in epoch ms, or null
 * @param modelVersion    model version that scored it
 * @param score           negative ELBO
 * @param reconNll        reconstruction negative log-likelihood
 * @param kl              KL(q(z|x) || p(z))
 * @param iwNll           importance-weighted estimate of -log p(x)
 * @param tailProbability P(score of a normal record &gt;= this score) under the calibration
 * @param threshold       the model's alert threshold
 * @param anomaly         score &gt; threshold
 * @param contributions   per-feature reconstruction NLL, or null when not emitted
 * @param clamped         features clamped into the model's range, or null when none was
 * @param source          input coordinates, or null
 * @param historyEvents   past events of its key behind the history features, or null when the model has none
 * @param entityEvidence  the key's entity statistic, or null without an entity test
 * @param entityAnomalous whether the key is anomalous, or null without an entity test
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ScoreRecord(String eventId, String key, Long eventTime, String modelVersion, double score, double reconNll,
                          double kl, double iwNll, double tailProbability, double threshold, boolean anomaly,
                          Map<String, Double> contributions, List<Clamped> clamped, SourceRef source,
                          Long historyEvents, Double entityEvidence, Boolean entityAnomalous) {
}
