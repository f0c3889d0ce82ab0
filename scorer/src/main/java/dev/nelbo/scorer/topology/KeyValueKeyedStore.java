package dev.nelbo.scorer.topology;

import dev.nelbo.schemas.state.KeyedStore;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.function.BiConsumer;

/**
 * Per-key state in the task's changelogged key-value store (restored on restart and rebalance).
 *
 * @param <V> the state of one key
 */
final class KeyValueKeyedStore<V> implements KeyedStore<V> {

    private final KeyValueStore<String, V> store;

    KeyValueKeyedStore(final KeyValueStore<String, V> store) {
        this.store = store;
    }

    @Override
    public V get(final String key) {
        return store.get(key);
    }

    @Override
    public void put(final String key, final V value) {
        store.put(key, value);
    }

    @Override
    public void delete(final String key) {
        store.delete(key);
    }

    @Override
    public long size() {
        return store.approximateNumEntries();
    }

    @Override
    public void forEach(final BiConsumer<String, V> visitor) {
        try (KeyValueIterator<String, V> it = store.all()) {
            while (it.hasNext()) {
                final KeyValue<String, V> kv = it.next();
                visitor.accept(kv.key, kv.value);
            }
        }
    }
}
