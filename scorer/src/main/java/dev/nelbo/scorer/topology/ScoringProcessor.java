package dev.nelbo.scorer.topology;

import dev.nelbo.scorer.rules.AlertRules;
import java.util.function.Supplier;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.pipeline.Origin;
import dev.nelbo.scorer.pipeline.Outputs;
import dev.nelbo.scorer.pipeline.PipelineSettings;
import dev.nelbo.scorer.pipeline.ScoringPipeline;
import dev.nelbo.scorer.pipeline.Suppression;
import dev.nelbo.scorer.config.Topics;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Duration;

/**
 * The Kafka Streams side of scoring, and nothing else: hands each record to a {@link ScoringPipeline},
 * forwards what it writes to the sinks, and runs its flushes on a short wall-clock punctuation (latency)
 * and before every commit of the task ({@link StreamsInternals}), which is what keeps batching exactly-once:
 * the outputs of every record whose offset is committed are in the same transaction.
 */
final class ScoringProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    /** Longest time a record waits in the buffer when the batch does not fill up. */
    static final Duration FLUSH_INTERVAL = Duration.ofMillis(10);

    private final ModelManager models;
    private final ScorerMetrics metrics;
    private final PipelineSettings settings;
    private final boolean shadowEnabled;
    private final OutputTimestamps outputTimes;

    private ProcessorContext<byte[], byte[]> context;
    private StreamsInternals internals;
    private ScoringPipeline pipeline;
    private final Supplier<AlertRules> rules;

    /**
     * @param shadowEnabled whether to score with the registry's shadow model too, to {@link ScorerTopology#SHADOW_SINK}
     * @param outputTimes   the timestamps the output topics accept
     * @param rules         the alert rules in force
     */
    ScoringProcessor(final ModelManager models, final ScorerMetrics metrics, final PipelineSettings settings,
                     final boolean shadowEnabled, final OutputTimestamps outputTimes, final Supplier<AlertRules> rules) {
        this.rules = rules;
        this.models = models;
        this.metrics = metrics;
        this.settings = settings;
        this.shadowEnabled = shadowEnabled;
        this.outputTimes = outputTimes;
    }

    @Override
    public void init(final ProcessorContext<byte[], byte[]> ctx) {
        this.context = ctx;
        this.internals = StreamsInternals.of(ctx);
        final KeyValueStore<String, Suppression> suppression = ctx.getStateStore(ScorerTopology.SUPPRESSION_STORE);
        final WriteBehindKeyedStore<byte[]> history = new WriteBehindKeyedStore<>(new KeyValueKeyedStore<>(
                ctx.getStateStore(ScorerTopology.HISTORY_STORE)));
        final WriteBehindKeyedStore<byte[]> entities = new WriteBehindKeyedStore<>(new KeyValueKeyedStore<>(
                ctx.getStateStore(ScorerTopology.ENTITY_STORE)));
        final WriteBehindKeyedStore<byte[]> cadences = new WriteBehindKeyedStore<>(new KeyValueKeyedStore<>(
                ctx.getStateStore(ScorerTopology.SILENCE_STORE)));
        pipeline = new ScoringPipeline(models, metrics, settings, new KeyValueKeyedStore<>(suppression), history, entities,
                cadences, this::forward, shadowEnabled, ctx.taskId().toString(), System::currentTimeMillis, rules);
        internals.beforeEachCommit(ScorerTopology.PRE_COMMIT_STORE, () -> {
            if (pipeline.hasPending()) {
                pipeline.flush();
            }
            history.flush();
            entities.flush();
            cadences.flush();
        });
        ctx.schedule(FLUSH_INTERVAL, PunctuationType.WALL_CLOCK_TIME, ts -> pipeline.onFlushInterval());
        final long purgeEvery = Math.max(1000L, Math.min(Math.max(settings.suppressionWindowMs(), 1), 60_000L));
        ctx.schedule(Duration.ofMillis(purgeEvery), PunctuationType.WALL_CLOCK_TIME, ts -> {
            pipeline.purgeSuppression();
            pipeline.purgeHistory();
            pipeline.purgeEntities();
            pipeline.purgeSilence();
        });
    }

    @Override
    public void process(final Record<byte[], byte[]> record) {
        final RecordMetadata meta = context.recordMetadata().orElseThrow();
        pipeline.accept(record.value(), new Origin(meta.topic(), meta.partition(), meta.offset(), record.timestamp(),
                record.key(), internals.recordContext()));
    }

    private void forward(final Outputs.Kind kind, final Origin origin, final byte[] key, final byte[] value,
                         final byte[] versionHeader) {
        final RecordHeaders headers = new RecordHeaders();
        headers.add(Topics.MODEL_VERSION_HEADER, versionHeader);
        final long timestamp = outputTimes.of(origin.timestamp(), System.currentTimeMillis());
        if (timestamp != origin.timestamp()) {
            metrics.outputTimestampAdjusted();
        }
        internals.forwardAs(origin.context(), new Record<>(key, value, timestamp, headers), sink(kind));
    }

    private static String sink(final Outputs.Kind kind) {
        return switch (kind) {
            case SCORE -> ScorerTopology.SCORES_SINK;
            case ALERT -> ScorerTopology.ALERTS_SINK;
            case DEAD_LETTER -> ScorerTopology.DLQ_SINK;
            case SHADOW -> ScorerTopology.SHADOW_SINK;
        };
    }

    @Override
    public void close() {
        // the stores belong to Streams and are not closed here
        if (pipeline != null) {
            pipeline.close();
        }
    }
}
