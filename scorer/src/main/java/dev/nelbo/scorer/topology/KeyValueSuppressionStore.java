package dev.nelbo.scorer.topology;

import dev.nelbo.scorer.pipeline.Suppression;
import dev.nelbo.scorer.pipeline.SuppressionStore;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.function.BiConsumer;

/** The suppression state in the task's changelogged key-value store. */
final class KeyValueSuppressionStore implements SuppressionStore {

    private final KeyValueStore<String, Suppression> store;

    KeyValueSuppressionStore(final KeyValueStore<String, Suppression> store) {
        this.store = store;
    }

    @Override
    public Suppression get(final String key) {
        return store.get(key);
    }

    @Override
    public void put(final String key, final Suppression value) {
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
    public void forEach(final BiConsumer<String, Suppression> visitor) {
        try (KeyValueIterator<String, Suppression> it = store.all()) {
            while (it.hasNext()) {
                final KeyValue<String, Suppression> kv = it.next();
                visitor.accept(kv.key, kv.value);
            }
        }
    }
}
