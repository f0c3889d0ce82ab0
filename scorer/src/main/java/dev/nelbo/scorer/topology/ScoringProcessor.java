package dev.nelbo.scorer.topology;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.engine.ScoringBatch;
import dev.nelbo.engine.ScoringEngine;
import dev.nelbo.engine.ScoringResults;
import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.encoding.JsonRecordSource;
import dev.nelbo.schemas.event.EventEnvelope;
import dev.nelbo.schemas.output.DeadLetter;
import dev.nelbo.schemas.output.ScoreRecord;
import dev.nelbo.schemas.output.SourceRef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.model.LoadedModel;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.output.ScoreMapper;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.processor.internals.ProcessorNode;
import org.apache.kafka.streams.processor.internals.ProcessorRecordContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Parses, encodes and buffers events, scores them in batches through the engine and forwards score
 * records, alerts and dead letters.
 *
 * <p>Exactly-once with batching: buffered records live only in memory and are flushed (scored and
 * forwarded) when the batch is full, on a short wall-clock punctuation (latency) and, through
 * {@link PreCommitFlushStore}, before the task commits. Full batches (and large ones at the punctuation)
 * are scored on the model manager's inference thread while the task parses the next batch; their outputs
 * are forwarded from the stream thread at the next flush, and always before the commit. So the outputs of
 * every record whose offset is committed are in the same transaction; a crash loses the buffer together
 * with the uncommitted offsets and the records are processed again.
 *
 * <p>Model swaps happen only between batches: a batch is encoded and scored by one model.
 */
final class ScoringProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    /** Longest time a record waits in the buffer when the batch does not fill up. */
    static final Duration FLUSH_INTERVAL = Duration.ofMillis(10);
    /** Events above this size are dead-lettered as {@code too_large} without being parsed. */
    static final int MAX_EVENT_BYTES = 256 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(ScoringProcessor.class);

    private final ModelManager models;
    private final ScorerMetrics metrics;
    private final Settings settings;
    private final ExecutorService inference;

    private InternalProcessorContext<byte[], byte[]> context;
    private ProcessorNode<?, ?, ?, ?> node;
    private KeyValueStore<String, Suppression> suppression;

    private LoadedModel model;
    private ScoringEngine engine;
    /** The batch being filled by {@link #process}. */
    private Slot filling;
    /** A full batch being scored on the inference executor while the next one fills, or null. */
    private Slot inFlight;
    /** The other slot, idle. */
    private Slot spare;
    private float[] rowX;
    private float[] rowMask;
    private FeatureEncoder encoder;
    private JsonRecordSource source;
    private ScoreMapper mapper;
    /** The model version as header bytes (shared by every output: headers are only read downstream). */
    private byte[] versionHeader;
    private String[] idPath;
    private String[] keyPath;
    private String[] timePath;

    private final boolean shadowEnabled;
    private ShadowScorer shadow;
    private long maxEventTime = Long.MIN_VALUE;

    /** One batch with its results and the records it stands for. */
    private static final class Slot {
        private final ScoringBatch batch;
        private final ScoringResults results;
        private final List<Pending> pending = new ArrayList<>();
        private Future<?> scoring;
        private long scoringNanos;

        Slot(final ScoringEngine engine) {
            this.batch = engine.newBatch();
            this.results = engine.newResults();
        }

        boolean isEmpty() {
            return pending.isEmpty();
        }

        void clear() {
            pending.clear();
            batch.clear();
            scoring = null;
        }
    }

    /**
     * What the processor needs to know beyond the model (the batch capacity is the engine's,
     * {@code nelbo.batch.max.records}).
     *
     * @param topics             topic names (for dead-letter sources)
     * @param scoresEnabled      whether to write score records
     * @param suppressionWindowMs per-key alert suppression window
     * @param topFeatures        features listed per alert
     */
    record Settings(Topics topics, boolean scoresEnabled, long suppressionWindowMs, int topFeatures) {
    }

    /** One buffered record: everything needed to write its outputs after scoring. */
    private record Pending(byte[] kafkaKey, long timestamp, ProcessorRecordContext recordContext, ObjectNode event,
                           String eventId, String key, Long eventTime, SourceRef source) implements ShadowScorer.Row {
    }

    ScoringProcessor(final ModelManager models, final ScorerMetrics metrics, final Settings settings) {
        this(models, metrics, settings, false);
    }

    /**
     * @param shadowEnabled whether to score with the registry's shadow model too, to {@link ScorerTopology#SHADOW_SINK}
     */
    ScoringProcessor(final ModelManager models, final ScorerMetrics metrics, final Settings settings,
                     final boolean shadowEnabled) {
        this.models = models;
        this.metrics = metrics;
        this.settings = settings;
        this.shadowEnabled = shadowEnabled;
        this.inference = models.inferenceExecutor();
    }

    @Override
    @SuppressWarnings("unchecked")
    public void init(final ProcessorContext<byte[], byte[]> ctx) {
        if (!(ctx instanceof InternalProcessorContext)) {
            throw new IllegalStateException("the scoring processor needs Kafka Streams' own processor context, got "
                    + ctx.getClass().getName());
        }
        this.context = (InternalProcessorContext<byte[], byte[]>) ctx;
        this.node = context.currentNode();
        this.suppression = ctx.getStateStore(ScorerTopology.SUPPRESSION_STORE);
        final PreCommitFlushStore hook = ctx.getStateStore(ScorerTopology.PRE_COMMIT_STORE);
        hook.onPreCommit(this::flushOutsideProcessing);
        ctx.schedule(FLUSH_INTERVAL, PunctuationType.WALL_CLOCK_TIME, ts -> onFlushInterval());
        if (shadowEnabled) {
            shadow = new ShadowScorer(models, metrics, context.taskId().toString());
        }
        final long purgeEvery = Math.max(1000L, Math.min(settings.suppressionWindowMs(), 60_000L));
        ctx.schedule(Duration.ofMillis(purgeEvery), PunctuationType.WALL_CLOCK_TIME, ts -> purgeSuppression());
    }

    @Override
    public void process(final Record<byte[], byte[]> record) {
        metrics.recordIn();
        final RecordMetadata meta = context.recordMetadata().orElseThrow();
        final SourceRef src = SourceRef.kafka(meta.topic(), meta.partition(), meta.offset());
        if (inFlight == null && (filling == null || filling.isEmpty())) {
            followCurrentModel();
        }
        if (model == null) {
            throw new IllegalStateException("no model loaded; the service must not start processing without one");
        }
        final byte[] value = record.value();
        if (value != null && value.length > MAX_EVENT_BYTES) {
            deadLetter(record, src, new EncodingException(FailureReason.TOO_LARGE, null,
                    "record of " + value.length + " bytes exceeds the limit of " + MAX_EVENT_BYTES + " bytes"));
            return;
        }
        final ObjectNode event;
        try {
            event = EventEnvelope.parse(value);
            encoder.encode(source.reset(event), rowX, rowMask, 0);
        } catch (final EncodingException e) {
            deadLetter(record, src, e);
            return;
        }
        final String eventId = orElse(EventEnvelope.text(event, idPath), meta.topic() + "-" + meta.partition() + "@" + meta.offset());
        final String key = keyPath != null ? EventEnvelope.text(event, keyPath)
                : record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        final Long eventTime = orElse(EventEnvelope.timestampMillis(event, timePath), record.timestamp());
        // the event id seeds the record's sampling noise: the same event scores the same on replay
        filling.batch.add(eventId, rowX, rowMask);
        filling.pending.add(new Pending(record.key(), record.timestamp(), context.recordContext(), event, eventId, key, eventTime,
                src));
        if (filling.batch.size() == filling.batch.capacity()) {
            rotate();
        }
    }

    /** Called from the task's commit, outside record processing: forwarding needs this node and a record context. */
    private void flushOutsideProcessing() {
        if (inFlight == null && (filling == null || filling.isEmpty())) {
            return;
        }
        final ProcessorNode<?, ?, ?, ?> previousNode = context.currentNode();
        final ProcessorRecordContext previousContext = context.recordContext();
        context.setCurrentNode(node);
        try {
            flushAll();
        } finally {
            context.setRecordContext(previousContext);
            context.setCurrentNode(previousNode);
        }
    }

    /**
     * A full batch: forward the outputs of the batch in flight (waiting for it if need be), then hand this
     * one to the inference executor and keep filling the other slot. This overlaps the engine with parsing.
     */
    private void rotate() {
        drainInFlight();
        final Slot full = filling;
        full.scoringNanos = 0;
        full.scoring = inference.submit(() -> {
            final long start = System.nanoTime();
            engine.score(full.batch, full.results);
            full.scoringNanos = System.nanoTime() - start;
        });
        inFlight = full;
        filling = spare;
        spare = null;
    }

    /**
     * The flush interval passed. At a low input rate (a small batch) everything is scored and forwarded now,
     * for latency. Under a backlog (a batch of a quarter of the capacity or more) the batch goes to the
     * inference thread like a full one and its outputs follow at the next flush, batch or commit: that keeps
     * the engine off the stream thread when throughput matters.
     */
    private void onFlushInterval() {
        if (filling != null && filling.batch.size() >= Math.max(2, filling.batch.capacity() / 4)) {
            rotate();
        } else {
            flushAll();
        }
    }

    /** Forwards the outputs of everything buffered: the batch in flight, then the one being filled. */
    private void flushAll() {
        drainInFlight();
        if (filling != null && !filling.isEmpty()) {
            final long start = System.nanoTime();
            engine.score(filling.batch, filling.results);
            filling.scoringNanos = System.nanoTime() - start;
            emit(filling);
        }
    }

    private void drainInFlight() {
        if (inFlight == null) {
            return;
        }
        final Slot done = inFlight;
        inFlight = null;
        await(done);
        emit(done);
        spare = done;
    }

    private static void await(final Slot slot) {
        try {
            slot.scoring.get();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while a batch was being scored", e);
        } catch (final ExecutionException e) {
            throw new IllegalStateException("scoring a batch failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Forwards the outputs of a scored batch and empties it. */
    private void emit(final Slot slot) {
        final int n = slot.pending.size();
        metrics.batchScored(n, slot.scoringNanos / 1e9);
        final ScoringResults results = slot.results;
        final ProcessorRecordContext previousContext = context.recordContext();
        final long now = System.currentTimeMillis();
        final boolean[] anomalies = shadow == null ? null : new boolean[n];
        try {
            for (int i = 0; i < n; i++) {
                final Pending p = slot.pending.get(i);
                context.setRecordContext(p.recordContext());
                final ScoreRecord score = mapper.scoreRecord(results, i, p.eventId(), p.key(), p.eventTime(), p.source());
                metrics.score(score.score());
                if (settings.scoresEnabled()) {
                    context.forward(new Record<>(p.kafkaKey(), ScoreMapper.toJson(score), p.timestamp(), headers()),
                            ScorerTopology.SCORES_SINK);
                }
                if (score.anomaly()) {
                    alert(results, p, i);
                }
                if (anomalies != null) {
                    anomalies[i] = score.anomaly();
                }
                if (p.eventTime() != null) {
                    metrics.endToEndLatency(Math.max(0, now - p.eventTime()) / 1000.0);
                }
                maxEventTime = Math.max(maxEventTime, p.eventTime() == null ? p.timestamp() : p.eventTime());
            }
            if (shadow != null) {
                shadow.score(slot.pending, anomalies, (row, value, headers) -> {
                    final Pending p = slot.pending.get(row);
                    context.setRecordContext(p.recordContext());
                    context.forward(new Record<>(p.kafkaKey(), value, p.timestamp(), headers), ScorerTopology.SHADOW_SINK);
                });
            }
        } finally {
            context.setRecordContext(previousContext);
            slot.clear();
        }
    }

    private void alert(final ScoringResults results, final Pending p, final int row) {
        final String storeKey = p.key() == null ? "" : p.key();
        final long at = p.eventTime() == null ? p.timestamp() : p.eventTime();
        final Suppression state = suppression.get(storeKey);
        final long window = settings.suppressionWindowMs();
        if (Suppression.holdsBack(state, at, window)) {
            suppression.put(storeKey, new Suppression(state.lastAlertMs(), state.suppressed() + 1));
            metrics.alertSuppressed();
            return;
        }
        final long suppressed = state == null ? 0 : state.suppressed();
        context.forward(new Record<>(p.kafkaKey(), ScoreMapper.toJson(mapper.alert(results, row, p.event(), p.eventId(),
                p.key(), p.eventTime(), settings.topFeatures(), suppressed, window)), p.timestamp(), headers()),
                ScorerTopology.ALERTS_SINK);
        suppression.put(storeKey, new Suppression(at, 0));
        metrics.alert();
    }

    private void deadLetter(final Record<byte[], byte[]> record, final SourceRef src, final EncodingException e) {
        final DeadLetter letter = DeadLetter.of(e.reason(), e.field(), e.getMessage(), src, record.value(), model.version());
        context.forward(new Record<>(record.key(), ScoreMapper.toJson(letter), record.timestamp(), headers()),
                ScorerTopology.DLQ_SINK);
        metrics.deadLettered(e.reason().wireName());
        LOG.debug("Dead-lettered {}-{}@{}: {} {}", src.topic(), src.partition(), src.offset(), e.reason().wireName(),
                e.getMessage());
    }

    /** Between batches only: move to the model the manager publishes, if it changed. */
    private void followCurrentModel() {
        final ModelManager.Lease lease = models.borrowCurrent(model);
        if (lease == null) {
            return;
        }
        final LoadedModel latest = lease.model();
        final ScoringEngine next = lease.engine();
        if (model != null) {
            model.giveBack(engine);
            LOG.info("Task {} now scores with model {} (was {})", context.taskId(), latest.version(), model.version());
        } else {
            LOG.info("Task {} scores with model {}", context.taskId(), latest.version());
        }
        model = latest;
        engine = next;
        filling = new Slot(engine);
        spare = new Slot(engine);
        inFlight = null;
        rowX = new float[filling.batch.width()];
        rowMask = new float[filling.batch.width()];
        encoder = latest.encoder();
        final FeatureSpec spec = encoder.spec();
        source = new JsonRecordSource(spec);
        mapper = new ScoreMapper(encoder, latest.version(), latest.threshold());
        versionHeader = latest.version().getBytes(StandardCharsets.UTF_8);
        idPath = split(spec.idPath());
        keyPath = split(spec.keyPath());
        timePath = split(spec.timestampPath());
    }

    /** Forgets keys whose window has passed and that have nothing to report, so the store stays bounded. */
    private void purgeSuppression() {
        if (maxEventTime == Long.MIN_VALUE) {
            return;
        }
        final List<String> expired = new ArrayList<>();
        try (KeyValueIterator<String, Suppression> it = suppression.all()) {
            while (it.hasNext()) {
                final KeyValue<String, Suppression> kv = it.next();
                if (kv.value.suppressed() == 0 && maxEventTime - kv.value.lastAlertMs() >= settings.suppressionWindowMs()) {
                    expired.add(kv.key);
                }
            }
        }
        expired.forEach(suppression::delete);
    }

    private Headers headers() {
        final RecordHeaders h = new RecordHeaders();
        h.add(Topics.MODEL_VERSION_HEADER, versionHeader);
        return h;
    }

    @Override
    public void close() {
        // Buffered records were flushed by the commit that precedes a clean close; after a dirty close they
        // are reprocessed from the last committed offset. The stores belong to Streams and are not closed here.
        if (shadow != null) {
            shadow.release();
        }
        if (inFlight != null) {
            // the engine goes back to the pool only once no batch is running on it
            try {
                inFlight.scoring.get();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (final ExecutionException e) {
                LOG.debug("Batch in flight failed during close: {}", e.getCause().getMessage());
            }
            inFlight = null;
        }
        if (model != null) {
            model.giveBack(engine);
            model = null;
            engine = null;
        }
    }

    private static String[] split(final String path) {
        return path == null ? null : JsonRecordSource.splitPath(path);
    }

    private static <T> T orElse(final T value, final T fallback) {
        return value != null ? value : fallback;
    }
}
