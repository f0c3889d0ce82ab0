package dev.nelbo.scorer.topology;

import dev.nelbo.schemas.history.HistoryStore;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.function.BiConsumer;

/** The entity history in the task's changelogged key-value store (restored on restart and rebalance). */
final class KeyValueHistoryStore implements HistoryStore {

    private final KeyValueStore<String, byte[]> store;

    KeyValueHistoryStore(final KeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    @Override
    public byte[] get(final String key) {
        return store.get(key);
    }

    @Override
    public void put(final String key, final byte[] state) {
        store.put(key, state);
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
    public void forEach(final BiConsumer<String, byte[]> visitor) {
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                final KeyValue<String, byte[]> kv = it.next();
                visitor.accept(kv.key, kv.value);
            }
        }
    }
}
