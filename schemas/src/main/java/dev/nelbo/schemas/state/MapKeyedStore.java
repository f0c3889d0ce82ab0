package dev.nelbo.schemas.state;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Per-key state in memory: for a pass over a file or a window, where the whole state is built in one run, and for
 * driving the scoring pipeline without Kafka Streams.
 *
 * @param <V> the state of one key
 */
public final class MapKeyedStore<V> implements KeyedStore<V> {

    private final Map<String, V> map = new HashMap<>();

    @Override
    public V get(final String key) {
        return map.get(key);
    }

    @Override
    public void put(final String key, final V value) {
        map.put(key, value);
    }

    @Override
    public void delete(final String key) {
        map.remove(key);
    }

    @Override
    public long size() {
        return map.size();
    }

    @Override
    public void forEach(final BiConsumer<String, V> visitor) {
        map.forEach(visitor);
    }
}
