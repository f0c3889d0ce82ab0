package dev.nelbo.schemas.history;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/** History state in memory: for a pass over a file or a window, where the whole history is built in one run. */
public final class MapHistoryStore implements HistoryStore {

    private final Map<String, byte[]> map = new HashMap<>();

    @Override
    public byte[] get(final String key) {
        return map.get(key);
    }

    @Override
    public void put(final String key, final byte[] state) {
        map.put(key, state);
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
    public void forEach(final BiConsumer<String, byte[]> visitor) {
        map.forEach(visitor);
    }
}
