package dev.nelbo.scorer.pipeline;

import dev.nelbo.schemas.event.DecodeLimits;

import java.util.Objects;

/**
 * What the scoring pipeline needs to know beyond the model (the batch capacity is the engine's,
 * {@code nelbo.batch.max.records}).
 *
 * @param scoresEnabled          whether to write score records
 * @param contributions          whether score records carry per-feature contributions
 * @param topFeatures            features listed per alert
 * @param suppressionWindowMs    per-key alert suppression window (0: off)
 * @param suppressionRetentionMs how long a key that counts suppressed alerts is remembered
 * @param suppressionMaxKeys     most keys the suppression state tracks
 * @param maxEventTimeSkewMs     largest trusted distance between an event's time and its record timestamp
 * @param limits                 what an event may be before it is dead-lettered unread
 * @param maxOutputBytes         largest output record the producer may send ({@code max.request.size})
 */
public record PipelineSettings(boolean scoresEnabled, boolean contributions, int topFeatures, long suppressionWindowMs,
                               long suppressionRetentionMs, long suppressionMaxKeys, long maxEventTimeSkewMs,
                               DecodeLimits limits, int maxOutputBytes) {

    /** Kafka's default {@code max.request.size}. */
    public static final int DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

    /** @throws NullPointerException without limits */
    public PipelineSettings {
        Objects.requireNonNull(limits, "limits");
    }

    /**
     * @param suppressionWindowMs per-key alert suppression window
     * @return the defaults of the scorer's settings with this window (for tests and benchmarks)
     */
    public static PipelineSettings defaults(final long suppressionWindowMs) {
        return new PipelineSettings(true, false, 3, suppressionWindowMs, Math.max(suppressionWindowMs, 3_600_000L),
                100_000, 3_600_000L, DecodeLimits.defaults(), DEFAULT_MAX_OUTPUT_BYTES);
    }

    /** @return a copy with score records switched on or off */
    public PipelineSettings withScores(final boolean enabled) {
        return new PipelineSettings(enabled, contributions, topFeatures, suppressionWindowMs, suppressionRetentionMs,
                suppressionMaxKeys, maxEventTimeSkewMs, limits, maxOutputBytes);
    }

    /** @return a copy with per-feature contributions in score records on or off */
    public PipelineSettings withContributions(final boolean enabled) {
        return new PipelineSettings(scoresEnabled, enabled, topFeatures, suppressionWindowMs, suppressionRetentionMs,
                suppressionMaxKeys, maxEventTimeSkewMs, limits, maxOutputBytes);
    }
}
