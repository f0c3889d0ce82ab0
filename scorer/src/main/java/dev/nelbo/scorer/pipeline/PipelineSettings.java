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
 * @param historyRetentionMs     how long an idle key's history is kept (by record time)
 * @param historyMaxKeys         most keys whose history is tracked per task
 */
public record PipelineSettings(boolean scoresEnabled, boolean contributions, int topFeatures, long suppressionWindowMs,
                               long suppressionRetentionMs, long suppressionMaxKeys, long maxEventTimeSkewMs,
                               DecodeLimits limits, int maxOutputBytes, long historyRetentionMs, long historyMaxKeys) {

    /** Kafka's default {@code max.request.size}. */
    public static final int DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
    /** Default {@link #historyRetentionMs}: a week. */
    public static final long DEFAULT_HISTORY_RETENTION_MS = 7L * 24 * 3_600_000L;
    /** Default {@link #historyMaxKeys}. */
    public static final long DEFAULT_HISTORY_MAX_KEYS = 1_000_000L;

    /** @throws NullPointerException without limits */
    public PipelineSettings {
        Objects.requireNonNull(limits, "limits");
        if (historyRetentionMs < 1 || historyMaxKeys < 1) {
            throw new IllegalArgumentException("history retention and max keys must be positive, got " + historyRetentionMs
                    + ", " + historyMaxKeys);
        }
    }

    /**
     * @param suppressionWindowMs per-key alert suppression window
     * @return the defaults of the scorer's settings with this window (for tests and benchmarks)
     */
    public static PipelineSettings defaults(final long suppressionWindowMs) {
        return new PipelineSettings(true, false, 3, suppressionWindowMs, Math.max(suppressionWindowMs, 3_600_000L),
                100_000, 3_600_000L, DecodeLimits.defaults(), DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_HISTORY_RETENTION_MS,
                DEFAULT_HISTORY_MAX_KEYS);
    }

    /** @return a copy with score records switched on or off */
    public PipelineSettings withScores(final boolean enabled) {
        return new PipelineSettings(enabled, contributions, topFeatures, suppressionWindowMs, suppressionRetentionMs,
                suppressionMaxKeys, maxEventTimeSkewMs, limits, maxOutputBytes, historyRetentionMs, historyMaxKeys);
    }

    /** @return a copy with per-feature contributions in score records on or off */
    public PipelineSettings withContributions(final boolean enabled) {
        return new PipelineSettings(scoresEnabled, enabled, topFeatures, suppressionWindowMs, suppressionRetentionMs,
                suppressionMaxKeys, maxEventTimeSkewMs, limits, maxOutputBytes, historyRetentionMs, historyMaxKeys);
    }
}
