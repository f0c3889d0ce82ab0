package dev.nelbo.scorer.topology;

import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.processor.internals.ProcessorNode;
import org.apache.kafka.streams.processor.internals.ProcessorRecordContext;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

import java.util.Map;

/**
 * Everything the scorer needs from Kafka Streams beyond its public API, in one place. Two things:
 *
 * <ul>
 *   <li><b>A hook before every commit.</b> The batching pipeline holds records in memory until it has enough
 *   for one engine call. Kafka Streams commits a task's input offsets (inside the producer transaction under
 *   exactly-once) whenever its commit interval elapses, on rebalance and on shutdown, and the Processor API
 *   has no hook that runs before that. A wall-clock punctuator cannot close the gap: a commit may come
 *   between a buffered record and the next punctuation, and then the record's offset is committed without
 *   its outputs. The one thing a task always does first when it commits ({@code StreamTask.prepareCommit})
 *   is to flush the caches of its stores, before it flushes the producer and hands over the offsets.
 *   {@link PreCommitFlushStore} is registered as such a cached store ({@code CachedStateStore}, internal),
 *   and its "cache flush" runs the pipeline's flush, so every buffered record's outputs are sent inside the
 *   same transaction that commits its offset.</li>
 *   <li><b>Forwarding a buffered record's outputs as that record.</b> Outputs of a batch are forwarded after
 *   the records were processed (from a later record, a punctuation or the commit hook). Setting each output's
 *   record context back to its input's (internal {@code InternalProcessorContext}) keeps what Streams
 *   attaches to a send correct, notably the source coordinates the production exception handler reports.</li>
 * </ul>
 *
 * <p>{@code PreCommitFlushContractTest} checks the commit order on a real broker and {@code CrashIntegrationTest}
 * checks exactly-once end to end: either fails when a Kafka upgrade changes what this class relies on.
 */
final class StreamsInternals {

    private final InternalProcessorContext<byte[], byte[]> context;
    private final ProcessorNode<?, ?, ?, ?> node;

    private StreamsInternals(final InternalProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.node = context.currentNode();
    }

    /**
     * @param ctx the processor's context, in {@code init}
     * @return the internals of that context
     * @throws IllegalStateException when the context is not Kafka Streams' own
     */
    @SuppressWarnings("unchecked")
    static StreamsInternals of(final ProcessorContext<byte[], byte[]> ctx) {
        if (!(ctx instanceof InternalProcessorContext)) {
            throw new IllegalStateException("the scoring processor needs Kafka Streams' own processor context, got "
                    + ctx.getClass().getName());
        }
        return new StreamsInternals((InternalProcessorContext<byte[], byte[]>) ctx);
    }

    /**
     * @param storeName the task's {@link PreCommitFlushStore}
     * @param flush     what to run before every commit of the task, as the processor (so it may forward)
     */
    void beforeEachCommit(final String storeName, final Runnable flush) {
        final PreCommitFlushStore hook = context.getStateStore(storeName);
        hook.onPreCommit(() -> {
            final ProcessorNode<?, ?, ?, ?> previousNode = context.currentNode();
            final ProcessorRecordContext previousContext = context.recordContext();
            context.setCurrentNode(node);
            try {
                flush.run();
            } finally {
                context.setRecordContext(previousContext);
                context.setCurrentNode(previousNode);
            }
        });
    }

    /** @return the record context of the record being processed (to forward its outputs with later) */
    Object recordContext() {
        return context.recordContext();
    }

    /**
     * @param recordContext a context from {@link #recordContext()}
     * @param output        the output record
     * @param child         the sink
     */
    void forwardAs(final Object recordContext, final Record<byte[], byte[]> output, final String child) {
        final ProcessorRecordContext previous = context.recordContext();
        context.setRecordContext((ProcessorRecordContext) recordContext);
        try {
            context.forward(output, child);
        } finally {
            context.setRecordContext(previous);
        }
    }

    /**
     * @param name store name
     * @return a builder for a pre-commit hook store (logging off: it holds no data)
     */
    static StoreBuilder<PreCommitFlushStore> preCommitStore(final String name) {
        return new PreCommitFlushStore.Builder(name);
    }

    /** A state store that holds nothing and exists only for its pre-commit callback (see the class comment). */
    static final class PreCommitFlushStore implements StateStore, CachedStateStore<Object, Object> {

        private final String name;
        private volatile Runnable onFlush = () -> { };
        private volatile boolean open;

        PreCommitFlushStore(final String name) {
            this.name = name;
        }

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
}
