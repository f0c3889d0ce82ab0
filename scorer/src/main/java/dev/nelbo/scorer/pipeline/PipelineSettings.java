package dev.nelbo.scorer.pipeline;

import dev.nelbo.schemas.event.DecodeLimits;
import dev.nelbo.schemas.event.EventFormat;
import dev.nelbo.schemas.history.EntityHistory;
import dev.nelbo.schemas.state.BoundedKeyedStore;
import dev.nelbo.schemas.state.KeyedStore;

import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * What the scoring pipeline needs to know beyond the model (the batch capacity is the engine's,
 * {@code nelbo.batch.max.records}).
 *
 * @param scoresEnabled          whether to write score records
 * @param contributions          whether score records carry per-feature contributions
 * @param topFeatures            features listed per alert
 * @param suppressionWindowMs    per-key alert suppression window (0: off)
 * @param suppressionRetentionMs how long a key that counts suppressed alerts is remembered
 * @param suppressionBound       most keys and bytes the suppression state holds per task
 * @param maxEventTimeSkewMs     largest trusted distance between an event's time and its record timestamp
 * @param limits                 what an event may be before it is dead-lettered unread
 * @param maxOutputBytes         largest output record the producer may send ({@code max.request.size})
 * @param historyRetentionMs     how long an idle key's history is kept (by record time)
 * @param historyBound           most keys and bytes of history held per task
 * @param entity                 the entity test's state (with a model that has the test)
 * @param format                 the events' wire format ({@code nelbo.input.format})
 */
public record PipelineSettings(boolean scoresEnabled, boolean contributions, int topFeatures, long suppressionWindowMs,
                               long suppressionRetentionMs, BoundedKeyedStore.Bound suppressionBound, long maxEventTimeSkewMs,
                               DecodeLimits limits, int maxOutputBytes, long historyRetentionMs,
                               BoundedKeyedStore.Bound historyBound, Entity entity, EventFormat format) {

    /** Kafka's default {@code max.request.size}. */
    public static final int DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
    /** Default {@link #historyRetentionMs}: a week. */
    public static final long DEFAULT_HISTORY_RETENTION_MS = 7L * 24 * 3_600_000L;
    /** Default most keys of history per task. */
    public static final long DEFAULT_HISTORY_MAX_KEYS = 1_000_000L;
    /** Default most bytes of history per task (see {@link BoundedKeyedStore} for what a byte counts). */
    public static final long DEFAULT_HISTORY_MAX_BYTES = 128L << 20;
    /** Default most keys of suppression state per task. */
    public static final long DEFAULT_SUPPRESSION_MAX_KEYS = 100_000L;
    /** Default most bytes of suppression state per task. */
    public static final long DEFAULT_SUPPRESSION_MAX_BYTES = 16L << 20;

    /** Default most keys of entity state per task. */
    public static final long DEFAULT_ENTITY_MAX_KEYS = 1_000_000L;
    /** Default most bytes of entity state per task. */
    public static final long DEFAULT_ENTITY_MAX_BYTES = 64L << 20;

    /** Default most keys of silence state per task. */
    public static final long DEFAULT_SILENCE_MAX_KEYS = 1_000_000L;
    /** Default most bytes of silence state per task. */
    public static final long DEFAULT_SILENCE_MAX_BYTES = 128L << 20;
    /** Default shortest silence alerted: a second. */
    public static final long DEFAULT_SILENCE_MIN_MS = 1_000L;

    /**
     * The entity-level tests' per-key state.
     *
     * @param enabled     whether to run the entity test when the model has one
     * @param retentionMs how long a key whose run of evidence is idle is kept (by record time)
     * @param bound       most keys and bytes of entity evidence held per task
     * @param silence     the silence test
     */
    public record Entity(boolean enabled, long retentionMs, BoundedKeyedStore.Bound bound, Silence silence) {
        /** The defaults of the scorer's settings. */
        public static final Entity DEFAULTS = new Entity(true, DEFAULT_HISTORY_RETENTION_MS,
                new BoundedKeyedStore.Bound(DEFAULT_ENTITY_MAX_KEYS, DEFAULT_ENTITY_MAX_BYTES), Silence.DEFAULTS);

        /** @throws IllegalArgumentException for a retention that is not positive */
        public Entity {
            Objects.requireNonNull(bound, "bound");
            Objects.requireNonNull(silence, "silence");
            if (retentionMs < 1) {
                throw new IllegalArgumentException("entity retention must be positive, got " + retentionMs);
            }
        }

        /**
         * @param test the silence test's settings
         * @return these settings with them
         */
        public Entity withSilence(final Silence test) {
            return new Entity(enabled, retentionMs, bound, test);
        }
    }

    /**
     * The silence test's per-key state.
     *
     * @param enabled     whether to run the test when the model has one
     * @param minMs       the shortest silence alerted, whatever a key's cadence
     * @param retentionMs how long an idle key's cadence is kept (by record time)
     * @param bound       most keys and bytes held per task
     */
    public record Silence(boolean enabled, long minMs, long retentionMs, BoundedKeyedStore.Bound bound) {
        /** The defaults of the scorer's settings. */
        public static final Silence DEFAULTS = new Silence(true, DEFAULT_SILENCE_MIN_MS, DEFAULT_HISTORY_RETENTION_MS,
                new BoundedKeyedStore.Bound(DEFAULT_SILENCE_MAX_KEYS, DEFAULT_SILENCE_MAX_BYTES));

        /** @throws IllegalArgumentException for a retention or minimum that is not positive */
        public Silence {
            Objects.requireNonNull(bound, "bound");
            if (retentionMs < 1 || minMs < 1) {
                throw new IllegalArgumentException("silence retention and minimum must be positive, got " + retentionMs
                        + " and " + minMs);
            }
        }
    }

    /** @throws NullPointerException without limits */
    public PipelineSettings {
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(suppressionBound, "suppressionBound");
        Objects.requireNonNull(historyBound, "historyBound");
        Objects.requireNonNull(entity, "entity");
        Objects.requireNonNull(format, "format");
        if (historyRetentionMs < 1) {
            throw new IllegalArgumentException("history retention must be positive, got " + historyRetentionMs);
        }
    }

    /**
     * @param suppressionWindowMs per-key alert suppression window
     * @return the defaults of the scorer's settings with this window (for tests and benchmarks)
     */
    public static PipelineSettings defaults(final long suppressionWindowMs) {
        return new PipelineSettings(true, false, 3, suppressionWindowMs, Math.max(suppressionWindowMs, 3_600_000L),
                new BoundedKeyedStore.Bound(DEFAULT_SUPPRESSION_MAX_KEYS, DEFAULT_SUPPRESSION_MAX_BYTES), 3_600_000L,
                DecodeLimits.defaults(), DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_HISTORY_RETENTION_MS,
                new BoundedKeyedStore.Bound(DEFAULT_HISTORY_MAX_KEYS, DEFAULT_HISTORY_MAX_BYTES), Entity.DEFAULTS, EventFormat.JSON);
    }

    /** @return a copy with score records switched on or off */
    public PipelineSettings withScores(final boolean enabled) {
        return new PipelineSettings(enabled, contributions, topFeatures, suppressionWindowMs, suppressionRetentionMs,
                suppressionBound, maxEventTimeSkewMs, limits, maxOutputBytes, historyRetentionMs, historyBound, entity, format);
    }

    /** @return a copy with per-feature contributions in score records on or off */
    public PipelineSettings withContributions(final boolean enabled) {
        return new PipelineSettings(scoresEnabled, enabled, topFeatures, suppressionWindowMs, suppressionRetentionMs,
                suppressionBound, maxEventTimeSkewMs, limits, maxOutputBytes, historyRetentionMs, historyBound, entity, format);
    }

    /**
     * @param store     a task's history store
     * @param onEvicted told how many keys were evicted to stay within {@link #historyBound}
     * @return the store within the bound, least recently seen keys evicted first
     */
    public BoundedKeyedStore<byte[]> boundHistory(final KeyedStore<byte[]> store, final LongConsumer onEvicted) {
        return new BoundedKeyedStore<>(store, historyBound, v -> v.length, EntityHistory::recordedSeenAt, onEvicted);
    }

    /**
     * @param store     a task's entity store
     * @param onEvicted told how many keys were evicted to stay within the entity bound
     * @return the store within the bound, least recently seen keys evicted first
     */
    public BoundedKeyedStore<byte[]> boundEntity(final KeyedStore<byte[]> store, final LongConsumer onEvicted) {
        return new BoundedKeyedStore<>(store, entity.bound(), v -> v.length, EntityMonitor::lastSeen, onEvicted);
    }

    /**
     * @param store     a task's silence store
     * @param onEvicted told how many keys were evicted to stay within the silence bound
     * @return the store within the bound, least recently seen keys evicted first, regular keys only by each other
     */
    public BoundedKeyedStore<byte[]> boundSilence(final KeyedStore<byte[]> store, final LongConsumer onEvicted) {
        return new BoundedKeyedStore<>(store, entity.silence().bound(), v -> v.length, SilenceWatch::lastSeen, onEvicted,
                SilenceWatch::regular);
    }

    /**
     * @param store     a task's suppression store
     * @param onEvicted told how many keys were evicted to stay within {@link #suppressionBound}
     * @return the store within the bound, least recently alerted keys evicted first
     */
    public BoundedKeyedStore<Suppression> boundSuppression(final KeyedStore<Suppression> store, final LongConsumer onEvicted) {
        return AlertSuppressor.bounded(store, suppressionBound, onEvicted);
    }
}
