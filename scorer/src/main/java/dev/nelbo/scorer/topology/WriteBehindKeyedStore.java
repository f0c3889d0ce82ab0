package dev.nelbo.scorer.topology;

import dev.nelbo.schemas.state.KeyedStore;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Per-key state whose writes reach the underlying store once per commit: the keys written since the last
 * {@link #flush} are held in a map, read from it first, and written to the store (and so to its changelog) by the
 * flush that precedes each commit. History state changes on every event; going through Kafka Streams' store layers
 * (serialising the key, the record cache's sorted map) twice per event cost more than the statistics themselves.
 *
 * <p>Committed state is unchanged by this: the flush runs before the commit, in its transaction under
 * exactly_once_v2, so the changelog holds exactly the state of the committed offsets, as a store written on every
 * event would; after a crash the uncommitted writes are lost with the uncommitted offsets. Not thread-safe: one per
 * stream task.
 *
 * @param <V> the state of one key (never mutated once written: readers may keep a value they got)
 */
final class WriteBehindKeyedStore<V> implements KeyedStore<V> {

    /** Marks a pending delete in {@link #pending} (values are never null). */
    private static final Object DELETED = new Object();

    private final KeyedStore<V> store;
    /** Keys written since the last flush: their value, or {@link #DELETED}. */
    private final Map<String, Object> pending = new HashMap<>();

    WriteBehindKeyedStore(final KeyedStore<V> store) {
        this.store = store;
    }

    @Override
    @SuppressWarnings("unchecked")
    public V get(final String key) {
        final Object v = pending.get(key);
        return v == null ? store.get(key) : v == DELETED ? null : (V) v;
    }

    @Override
    public void put(final String key, final V value) {
        pending.put(key, value);
    }

    /** Deletes at the next flush, as writes are: evicting keys under a flood of new ones stays one write per commit. */
    @Override
    public void delete(final String key) {
        pending.put(key, DELETED);
    }

    /** @return the keys the store held at the last flush (a {@link dev.nelbo.schemas.state.BoundedKeyedStore} above
     *         this one counts exactly) */
    @Override
    public long size() {
        return store.size();
    }

    @Override
    public void forEach(final BiConsumer<String, V> visitor) {
        flush();
        store.forEach(visitor);
    }

    /** Writes the pending keys to the store; must run before every commit. */
    @SuppressWarnings("unchecked")
    void flush() {
        if (!pending.isEmpty()) {
            pending.forEach((key, v) -> {
                if (v == DELETED) {
                    store.delete(key);
                } else {
                    store.put(key, (V) v);
                }
            });
            pending.clear();
        }
    }
}
