package dev.nelbo.scorer.pipeline;

import java.util.function.BiConsumer;

/** The per-key alert-suppression state (a changelogged Kafka Streams store in the service, a map in tests). */
public interface SuppressionStore {

    /**
     * @param key entity key
     * @return its state, or null
     */
    Suppression get(String key);

    /**
     * @param key   entity key
     * @param value its new state
     */
    void put(String key, Suppression value);

    /** @param key entity key whose state to forget */
    void delete(String key);

    /** @return how many keys the store holds (exact or close) */
    long size();

    /** @param visitor called with every entry (deleting inside the visit is not allowed) */
    void forEach(BiConsumer<String, Suppression> visitor);
}
