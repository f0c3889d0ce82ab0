package dev.nelbo.schemas.state;

import java.util.function.BiConsumer;

/**
 * Per-key state by entity key: alert suppression and entity history. A changelogged Kafka Streams store in the
 * scorer, bounded and expired by {@link BoundedKeyedStore}; a map ({@link MapKeyedStore}) when training, scoring a
 * file or retraining, and in tests.
 *
 * @param <V> the state of one key
 */
public interface KeyedStore<V> {

    /**
     * @param key entity key
     * @return its state, or null
     */
    V get(String key);

    /**
     * @param key   entity key
     * @param value its new state
     */
    void put(String key, V value);

    /** @param key entity key whose state to forget */
    void delete(String key);

    /** @return how many keys the store holds (exact or close) */
    long size();

    /** @param visitor called with every entry (deleting inside the visit is not allowed) */
    void forEach(BiConsumer<String, V> visitor);
}
