package dev.nelbo.schemas.state;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;
import java.util.function.ToLongFunction;

/**
 * Per-key state by entity key: alert suppression and entity history. A changelogged Kafka Streams store in the
 * scorer; a map ({@link MapKeyedStore}) when training, scoring a file or retraining, and in tests.
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

    /**
     * Forgets the entries {@code expired} selects.
     *
     * @param expired    whether an entry has expired
     * @param valueBytes serialized size of a kept entry's value
     * @return the state's size afterwards, and how many keys were removed
     */
    default Figures purge(final BiPredicate<String, V> expired, final ToLongFunction<V> valueBytes) {
        final List<String> gone = new ArrayList<>();
        final long[] kept = new long[2];
        forEach((key, value) -> {
            if (expired.test(key, value)) {
                gone.add(key);
            } else {
                kept[0]++;
                kept[1] += key.getBytes(StandardCharsets.UTF_8).length + valueBytes.applyAsLong(value);
            }
        });
        gone.forEach(this::delete);
        return new Figures(kept[0], kept[1], gone.size());
    }

    /**
     * @param keys    keys held
     * @param bytes   serialized size of the entries held
     * @param expired keys just removed
     */
    record Figures(long keys, long bytes, long expired) {
    }
}
