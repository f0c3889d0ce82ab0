package dev.nelbo.schemas.history;

import java.util.function.BiConsumer;

/**
 * Per-entity history state as bytes ({@link EntityHistory} reads and writes them): a changelogged Kafka Streams
 * store in the scorer, a map when training, scoring a file or retraining ({@link MapHistoryStore}).
 */
public interface HistoryStore {

    /**
     * @param key entity key
     * @return its state, or null
     */
    byte[] get(String key);

    /**
     * @param key   entity key
     * @param state its new state
     */
    void put(String key, byte[] state);

    /** @param key entity key whose history to forget */
    void delete(String key);

    /** @return how many keys the store holds (exact or close) */
    long size();

    /** @param visitor called with every entry (deleting inside the visit is not allowed) */
    void forEach(BiConsumer<String, byte[]> visitor);
}
