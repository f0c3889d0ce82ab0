package dev.nelbo.scorer.pipeline;

import dev.nelbo.schemas.state.BoundedKeyedStore;
import dev.nelbo.schemas.state.KeyedStore;

import java.util.function.LongConsumer;

/**
 * At most one alert per entity key per window, with bounded state. Times are event times bounded against the
 * record timestamps ({@link dev.nelbo.schemas.event.EventTimes#bound}) and then by the scorer's clock ({@link ScoringPipeline#stateTime}),
 * so a forged future time cannot mute a key for longer than the window.
 *
 * <p>Bounded: a key's entry expires once its window has passed (when it counts suppressed alerts, once the
 * longer retention has passed, so the count can still travel with the key's next alert); the store is bounded in
 * keys and bytes ({@link PipelineSettings#boundSuppression}) and evicts the least recently alerted keys, whose next
 * alert then passes: no alert is lost to a full store. Keys arrive capped in length. Events without a key are never suppressed: there is no entity to
 * group them by, and one shared bucket would let any event mute all others.
 */
public final class AlertSuppressor {

    /** What {@link #offer} returns for an alert that is held back. */
    public static final long HELD = -1;
    /** Bytes a stored entry takes besides its key (two longs). */
    private static final long VALUE_BYTES = 16;

    private final BoundedKeyedStore<Suppression> store;
    private final long windowMs;
    private final long retentionMs;
    private long streamTime = Long.MIN_VALUE;

    /**
     * @param store       the state ({@link #bounded})
     * @param windowMs    suppression window (0: no suppression)
     * @param retentionMs how long an entry that counts suppressed alerts is kept (at least the window)
     */
    public AlertSuppressor(final BoundedKeyedStore<Suppression> store, final long windowMs, final long retentionMs) {
        if (windowMs < 0 || retentionMs < windowMs) {
            throw new IllegalArgumentException("suppression needs window >= 0 and retention >= window, got " + windowMs
                    + ", " + retentionMs);
        }
        this.store = store;
        this.windowMs = windowMs;
        this.retentionMs = retentionMs;
    }

    /**
     * @param store     the suppression store
     * @param bound     most keys and bytes it may hold
     * @param onEvicted told how many keys were evicted to stay within the bound
     * @return the store within the bound, least recently alerted keys evicted first
     */
    static BoundedKeyedStore<Suppression> bounded(final KeyedStore<Suppression> store, final BoundedKeyedStore.Bound bound,
                                                  final LongConsumer onEvicted) {
        return new BoundedKeyedStore<>(store, bound, v -> VALUE_BYTES, Suppression::lastAlertMs, onEvicted);
    }

    /**
     * Decides about an alert for a key.
     *
     * @param key    entity key (capped), or null
     * @param timeMs the alert's (bounded) event time
     * @return {@link #HELD} when it is suppressed, else how many alerts for the key were held back since its
     *         previous alert (to report with this one)
     */
    public long offer(final String key, final long timeMs) {
        streamTime = Math.max(streamTime, timeMs);
        if (key == null || windowMs == 0) {
            return 0;
        }
        final Suppression state = store.get(key);
        if (state != null && timeMs - state.lastAlertMs() < windowMs) {
            store.put(key, new Suppression(state.lastAlertMs(), state.suppressed() + 1));
            return HELD;
        }
        store.put(key, new Suppression(timeMs, 0));
        return state == null ? 0 : state.suppressed();
    }

    /**
     * Forgets expired keys (against the latest time seen).
     *
     * @return the state's size after the purge
     */
    public BoundedKeyedStore.Figures purge() {
        return store.purge((key, s) -> {
            final long age = streamTime == Long.MIN_VALUE ? 0 : streamTime - s.lastAlertMs();
            return age >= (s.suppressed() == 0 ? windowMs : retentionMs);
        });
    }
}
