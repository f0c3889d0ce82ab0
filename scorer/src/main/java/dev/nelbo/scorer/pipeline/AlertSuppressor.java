package dev.nelbo.scorer.pipeline;

import dev.nelbo.schemas.state.KeyedStore;

/**
 * At most one alert per entity key per window, with bounded state. Times are event times bounded against the
 * record timestamps ({@link EventTimes#bound}) and then by the scorer's clock ({@link ScoringPipeline#stateTime}),
 * so a forged future time cannot mute a key for longer than the window.
 *
 * <p>Bounded: a key's entry expires once its window has passed (when it counts suppressed alerts, once the
 * longer retention has passed, so the count can still travel with the key's next alert); at {@code maxKeys}
 * entries a new key is not tracked and its alerts pass unsuppressed (counted), so no alert is lost to a full
 * store. Keys arrive capped in length. Events without a key are never suppressed: there is no entity to
 * group them by, and one shared bucket would let any event mute all others.
 */
public final class AlertSuppressor {

    /** What {@link #offer} returns for an alert that is held back. */
    public static final long HELD = -1;
    /** Bytes a stored entry takes besides its key (two longs). */
    static final int VALUE_BYTES = 16;

    private final KeyedStore<Suppression> store;
    private final long windowMs;
    private final long retentionMs;
    private final long maxKeys;
    private final Runnable onUntracked;
    private long streamTime = Long.MIN_VALUE;

    /**
     * @param store       the state
     * @param windowMs    suppression window (0: no suppression)
     * @param retentionMs how long an entry that counts suppressed alerts is kept (at least the window)
     * @param maxKeys     most keys tracked
     * @param onUntracked called for each alert sent unsuppressed because the state is full
     */
    public AlertSuppressor(final KeyedStore<Suppression> store, final long windowMs, final long retentionMs, final long maxKeys,
                           final Runnable onUntracked) {
        if (windowMs < 0 || retentionMs < windowMs || maxKeys < 1) {
            throw new IllegalArgumentException("suppression needs window >= 0, retention >= window and max keys >= 1, got "
                    + windowMs + ", " + retentionMs + ", " + maxKeys);
        }
        this.store = store;
        this.windowMs = windowMs;
        this.retentionMs = retentionMs;
        this.maxKeys = maxKeys;
        this.onUntracked = onUntracked;
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
        if (state == null && store.size() >= maxKeys) {
            onUntracked.run();
            return 0;
        }
        store.put(key, new Suppression(timeMs, 0));
        return state == null ? 0 : state.suppressed();
    }

    /**
     * Forgets expired keys (against the latest time seen).
     *
     * @return the state's size after the purge
     */
    public KeyedStore.Figures purge() {
        return store.purge((key, s) -> {
            final long age = streamTime == Long.MIN_VALUE ? 0 : streamTime - s.lastAlertMs();
            return age >= (s.suppressed() == 0 ? windowMs : retentionMs);
        }, s -> VALUE_BYTES);
    }
}
