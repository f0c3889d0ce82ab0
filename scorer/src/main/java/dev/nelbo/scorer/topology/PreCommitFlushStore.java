package dev.nelbo.scorer.topology;

import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

import java.util.Map;

/**
 * A state store that holds nothing and exists only for its pre-commit callback.
 *
 * <p>WHY: the batching processor holds records in memory until it has enough for one engine call. Kafka
 * Streams commits a task's input offsets (inside the producer transaction under exactly-once) whenever
 * its commit interval elapses, on rebalance and on shutdown, and the Processor API has no hook that runs
 * before that. A wall-clock punctuator cannot close the gap: a commit may come between a buffered record
 * and the next punctuation, and then the record's offset is committed without its outputs. The one thing
 * a task always does first when it commits ({@code StreamTask.prepareCommit}) is to flush the caches of
 * its stores, before it flushes the producer and before it hands over the offsets. This store is
 * registered as such a cached store, and its "cache flush" flushes the processor's batch, so every
 * buffered record's outputs are sent inside the same transaction that commits its offset.
 *
 * <p>This relies on a Streams-internal interface ({@code CachedStateStore}); the crash integration test
 * is the proof that it holds on the Kafka version in use.
 */
final class PreCommitFlushStore implements StateStore, CachedStateStore<Object, Object> {

    private final String name;
    private volatile Runnable onFlush = () -> { };
    private volatile boolean open;

    PreCommitFlushStore(final String name) {
        this.name = name;
    }

    /** @param action what to run before every commit of the owning task */
    void onPreCommit(final Runnable action) {
        this.onFlush = action;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(final StateStoreContext context, final StateStore root) {
        context.register(root, (key, value) -> { });
        open = true;
    }

    @Override
    public void close() {
        open = false;
        onFlush = () -> { };
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean setFlushListener(final CacheFlushListener<Object, Object> listener, final boolean sendOldValues) {
        return false;
    }

    @Override
    public void flushCache() {
        onFlush.run();
    }

    @Override
    public void clearCache() {
        // nothing cached
    }

    /**
     * @param name store name
     * @return a builder for a store with logging off (it holds no data)
     */
    static StoreBuilder<PreCommitFlushStore> builder(final String name) {
        return new Builder(name);
    }

    private static final class Builder implements StoreBuilder<PreCommitFlushStore> {
        private final String name;

        Builder(final String name) {
            this.name = name;
        }

        @Override
        public StoreBuilder<PreCommitFlushStore> withCachingEnabled() {
            return this;
        }

        @Override
        public StoreBuilder<PreCommitFlushStore> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<PreCommitFlushStore> withLoggingEnabled(final Map<String, String> config) {
            return this;
        }

        @Override
        public StoreBuilder<PreCommitFlushStore> withLoggingDisabled() {
            return this;
        }

        @Override
        public PreCommitFlushStore build() {
            return new PreCommitFlushStore(name);
        }

        @Override
        public Map<String, String> logConfig() {
            return Map.of();
        }

        @Override
        public boolean loggingEnabled() {
            return false;
        }

        @Override
        public String name() {
            return name;
        }
    }
}
