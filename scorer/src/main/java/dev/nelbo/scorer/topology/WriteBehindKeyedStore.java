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

    private final KeyedStore<V> store;
    private final Map<String, V> pending = new HashMap<>();
    /** Pending keys the store does not hold yet (so {@link #size} counts them). */
    private long added;

    WriteBehindKeyedStore(final KeyedStore<V> store) {
        this.store = store;
    }

    @Override
    public V get(final String key) {
        final V v = pending.get(key);
        return v != null ? v : store.get(key);
    }

    @Override
    public void put(final String key, final V value) {
        if (pending.put(key, value) == null && store.get(key) == null) {
            added++;
        }
    }

    @Override
    public void delete(final String key) {
        flush();
        store.delete(key);
    }

    @Override
    public long size() {
        return store.size() + added;
    }

    @Override
    public void forEach(final BiConsumer<String, V> visitor) {
        flush();
        store.forEach(visitor);
    }

    /** Writes the pending keys to the store; must run before every commit. */
    void flush() {
        if (!pending.isEmpty()) {
            pending.forEach(store::put);
            pending.clear();
            added = 0;
        }
    }
}
