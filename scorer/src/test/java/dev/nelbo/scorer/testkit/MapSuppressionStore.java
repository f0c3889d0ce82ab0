package dev.nelbo.scorer.testkit;

import dev.nelbo.scorer.pipeline.Suppression;
import dev.nelbo.scorer.pipeline.SuppressionStore;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/** Suppression state in a map, for driving the pipeline and the suppressor without Kafka Streams. */
public final class MapSuppressionStore implements SuppressionStore {
    private final Map<String, Suppression> map = new HashMap<>();

    @Override
    public Suppression get(final String key) {
        return map.get(key);
    }

    @Override
    public void put(final String key, final Suppression value) {
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
    public void forEach(final BiConsumer<String, Suppression> visitor) {
        map.forEach(visitor);
    }
}
