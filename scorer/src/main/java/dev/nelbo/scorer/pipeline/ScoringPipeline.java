package dev.nelbo.scorer.pipeline;

import dev.nelbo.engine.ScoringEngine;
import dev.nelbo.engine.ScoringResults;
import dev.nelbo.engine.entity.Cadence;
import dev.nelbo.schemas.event.DecodedEvent;
import dev.nelbo.schemas.event.EventDecoder;
import dev.nelbo.schemas.event.EventFields;
import dev.nelbo.schemas.event.EventTimes;
import dev.nelbo.schemas.event.Utf8;
import dev.nelbo.schemas.history.EntityHistory;
import dev.nelbo.schemas.history.HistoryTracker;
import dev.nelbo.schemas.output.SourceRef;
import dev.nelbo.schemas.state.BoundedKeyedStore;
import dev.nelbo.schemas.state.KeyedStore;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.model.LoadedModel;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.output.ScoreWriter;
import dev.nelbo.scorer.rules.AlertRules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The scorer's per-record path, without Kafka Streams: decode each record into the batch being filled (or
 * dead-letter it with its reason), score full batches on the model manager's inference thread while the
 * next one fills, and write every scored record's outputs (score, alert subject to suppression, shadow
 * score) to {@link Outputs}. The Kafka Streams processor is a thin adapter over this class; tests drive it
 * directly.
 *
 * <p>Total: whatever a record's bytes, it leaves as exactly one score record (or, with score records off,
 * nothing but its alert) or one dead letter; {@link OutputSender} keeps every output within what the producer may
 * send.
 *
 * <p>Batches: a full batch goes to the inference thread and its outputs are written at the next flush;
 * {@link #onFlushInterval} writes small batches at once (latency) and hands large ones to the inference
 * thread (throughput); {@link #flush} writes everything, and must run before every commit. Model swaps
 * happen only between batches: a batch is decoded and scored by one model. Not thread-safe: one pipeline
 * per stream task.
 */
public final class ScoringPipeline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ScoringPipeline.class);

    private final ModelManager models;
    private final ScorerMetrics metrics;
    private final PipelineSettings settings;
    private final ExecutorService inference;
    private final AlertSuppressor suppressor;
    private final BoundedKeyedStore<byte[]> historyStore;
    /** The entity test per key (with a model that has one). */
    private final EntityMonitor entities;
    /** The silence test per key (with a model that has one). */
    private final SilenceWatch silence;
    /** The record whose time moved the clock past silent keys: their alerts go out with it. */
    private Origin silenceOrigin;
    /** {@link #silent}, made once rather than per event. */
    private final SilenceWatch.Sink silenceSink = this::silent;
    private final Outputs outputs;
    private final OutputSender sender;
    private final ShadowScorer shadow;
    private final String task;
    private final LongSupplier wallClock;
    /** The alert rules in force (they change while the pipeline runs). */
    private final Supplier<AlertRules> rules;

    private LoadedModel model;
    private ScoringEngine engine;
    private EventDecoder decoder;
    private DecodedEvent decoded;
    /** The current model's history features over the task's store, or null when it has none. */
    private HistoryTracker history;
    /** Rows decoded a second time for an alert or a clamped value (the batch rows are already scored). */
    private float[] scratchX;
    private float[] scratchMask;
    private ScoreWriter writer;
    /** The batch being filled by {@link #accept}. */
    private PendingBatch filling;
    /** A full batch being scored on the inference executor while the next one fills, or null. */
    private PendingBatch inFlight;
    /** The other slot, idle. */
    private PendingBatch spare;

    /**
     * @param models     the model manager (its inference executor scores full batches)
     * @param metrics    metrics
     * @param settings   settings
     * @param suppressionStore per-key alert suppression state (bounded here by {@link PipelineSettings#suppressionBound})
     * @param historyStore     per-key history of the models with history features (bounded here by
     *                         {@link PipelineSettings#historyBound})
     * @param entityStore      per-key state of the entity test (bounded here by {@link PipelineSettings#entity})
     * @param cadenceStore     per-key state of the silence test (bounded here by {@link PipelineSettings.Silence#bound})
     * @param outputs    where outputs go
     * @param shadow     whether to score with the registry's shadow model too
     * @param task       name of the task, for logs
     * @param wallClock  the scorer's clock (epoch ms), which bounds the per-key state's ({@link #stateTime}); also when a
     *                   rule expires
     * @param rules      the alert rules in force, asked at each alert (they change while the pipeline runs)
     */
    public ScoringPipeline(final ModelManager models, final ScorerMetrics metrics, final PipelineSettings settings,
                           final KeyedStore<Suppression> suppressionStore, final KeyedStore<byte[]> historyStore,
                           final KeyedStore<byte[]> entityStore, final KeyedStore<byte[]> cadenceStore, final Outputs outputs,
                           final boolean shadow, final String task, final LongSupplier wallClock,
                           final Supplier<AlertRules> rules) {
        this.rules = rules;
        this.models = models;
        this.metrics = metrics;
        this.settings = settings;
        this.inference = models.inferenceExecutor();
        this.suppressor = new AlertSuppressor(settings.boundSuppression(suppressionStore, metrics::suppressionEvicted),
                settings.suppressionWindowMs(), settings.suppressionRetentionMs());
        this.historyStore = settings.boundHistory(historyStore, metrics::historyEvicted);
        this.entities = new EntityMonitor(settings.boundEntity(entityStore, metrics::entityEvicted));
        this.silence = new SilenceWatch(settings.boundSilence(cadenceStore, metrics::silenceEvicted),
                settings.entity().silence().minMs());
        this.outputs = outputs;
        this.sender = new OutputSender(outputs, metrics, settings.maxOutputBytes());
        this.task = task;
        this.wallClock = wallClock;
        this.shadow = shadow ? new ShadowScorer(models, metrics, task, settings) : null;
    }

    /**
     * Takes one record: decodes it into the current batch, or dead-letters it.
     *
     * @param value  the record value (any bytes, or null)
     * @param origin where it came from
     * @throws IllegalStateException when no model is loaded (the service starts the stream only with one)
     */
    public void accept(final byte[] value, final Origin origin) {
        metrics.recordIn();
        if (inFlight == null && (filling == null || filling.isEmpty())) {
            followCurrentModel();
        }
        if (model == null) {
            throw new IllegalStateException("no model loaded; the service must not start processing without one");
        }
        final int row = filling.batch.nextRow();
        final long seenAt = stateTime(origin.timestamp(), wallClock.getAsLong());
        final DecodedEvent event = decoder.decode(value, filling.batch.x(), filling.batch.mask(), row, decoded, history,
                seenAt, origin.timestamp());
        if (!event.ok()) {
            sender.deadLetter(value, origin, event.failure());
            return;
        }
        final EventFields fields = event.fields();
        final String id = fields.id() != null ? fields.id() : origin.topic() + "-" + origin.partition() + "@" + origin.offset();
        final String key = entityKey(fields, origin);
        final Long eventTime = fields.timeMillis() != null ? fields.timeMillis() : origin.timestamp();
        if (event.timeBounded() || EventTimes.bound(eventTime, origin.timestamp(), settings.maxEventTimeSkewMs()) != eventTime) {
            metrics.eventTimeBounded();
        }
        for (int i = 0; i < event.clampedCount(); i++) {
            metrics.clamped(decoder.encoder().spec().features().get(event.clamped(i)).name());
        }
        // the event id seeds the record's sampling noise: the same event scores the same on replay
        if (history != null && origin.key() != null && fields.key() != null && !keyMatches(origin.key(), fields.key())) {
            metrics.historyKeyMismatch();
        }
        filling.commit(origin, value, id, key, eventTime, event.clampedCount(), event.pastEvents(),
                history == null ? null : history.boundState(), seenAt);
        if (filling.isFull()) {
            rotate();
        }
    }

    /**
     * The clock of the per-key state (history expiry, alert suppression): the record's time, but never ahead of the
     * scorer's own clock. Record and event times are written by producers; were the state to follow them, one event
     * stamped hours ahead would mute its key's alerts for hours, or purge other keys' history early. Capped by the
     * wall clock it cannot run ahead, and a key's last-seen time only moves forward ({@link HistoryTracker}), so a
     * record stamped in the past cannot age a key either. Replaying old records gives the same state times (they
     * are all behind the clock); only records stamped ahead of the clock when processed are moved.
     *
     * @param time  a record or event time
     * @param nowMs the scorer's clock
     * @return the time the state uses
     */
    static long stateTime(final long time, final long nowMs) {
        return Math.min(time, nowMs);
    }

    /**
     * History needs every event of an entity in one partition, which holds when the Kafka key is the entity key;
     * a mismatch is counted (the events topic must be keyed by the spec's key path for history features).
     */
    static boolean keyMatches(final byte[] kafkaKey, final String entityKey) {
        final int n = entityKey.length();
        if (kafkaKey.length < n) {
            return false;
        }
        if (kafkaKey.length > n) {
            // only a key with characters beyond ASCII has more UTF-8 bytes than characters
            return java.util.Arrays.equals(kafkaKey, entityKey.getBytes(StandardCharsets.UTF_8));
        }
        // per event: compare ASCII without encoding the key; a non-ASCII character makes the UTF-8 form longer
        for (int i = 0; i < n; i++) {
            final char c = entityKey.charAt(i);
            if (c >= 0x80 || kafkaKey[i] != (byte) c) {
                return false;
            }
        }
        return true;
    }

    /**
     * The entity key: the spec's key path, else the Kafka key as strict UTF-8, or in hex when it is not
     * ({@link Utf8#keyText}: two different invalid keys stay two entities), capped like ids.
     */
    private static String entityKey(final EventFields fields, final Origin origin) {
        if (fields.key() != null) {
            return fields.key();
        }
        return origin.key() == null ? null : EventFields.capped(Utf8.keyText(origin.key()));
    }

    /**
     * The flush interval passed. At a low input rate (a small batch) everything is scored and written now,
     * for latency. Under a backlog (a batch of a quarter of the capacity or more) the batch goes to the
     * inference thread like a full one and its outputs follow at the next flush, batch or commit: that keeps
     * the engine off the stream thread when throughput matters.
     */
    public void onFlushInterval() {
        if (filling != null && filling.size() >= Math.max(2, filling.batch.capacity() / 4)) {
            rotate();
        } else {
            flush();
        }
    }

    /** @return whether records are buffered or in flight (a flush would write something) */
    public boolean hasPending() {
        return inFlight != null || (filling != null && !filling.isEmpty());
    }

    /** Writes the outputs of everything buffered: the batch in flight, then the one being filled. */
    public void flush() {
        drainInFlight();
        if (filling != null && !filling.isEmpty()) {
            final long start = System.nanoTime();
            engine.score(filling.batch, filling.results);
            filling.scoringNanos = System.nanoTime() - start;
            emit(filling);
        }
    }

    /**
     * Forgets expired suppression state.
     *
     * @return the state's size afterwards
     */
    public BoundedKeyedStore.Figures purgeSuppression() {
        final BoundedKeyedStore.Figures f = suppressor.purge();
        metrics.suppressionState(task, f.keys(), f.bytes());
        return f;
    }

    /**
     * Forgets the history of keys idle for longer than {@code nelbo.history.retention.ms}.
     *
     * @return the state's size afterwards (zeros when the model has no history features)
     */
    public BoundedKeyedStore.Figures purgeHistory() {
        final BoundedKeyedStore.Figures f = history == null ? new BoundedKeyedStore.Figures(0, 0, 0)
                : historyStore.purge(history.idleLongerThan(settings.historyRetentionMs()));
        if (shadow != null) {
            shadow.purgeHistory();
        }
        metrics.historyState(task, f.keys(), f.bytes());
        return f;
    }

    /**
     * Forgets the entity state of keys whose run of evidence is idle for longer than {@code nelbo.entity.retention.ms}.
     *
     * @return the state's size afterwards
     */
    public BoundedKeyedStore.Figures purgeEntities() {
        final BoundedKeyedStore.Figures f = entities.purge(wallClock.getAsLong() - settings.entity().retentionMs());
        publishEntityState();
        return f;
    }

    /**
     * Forgets the cadence of keys not seen for longer than {@code nelbo.silence.retention.ms}.
     *
     * @return the state's size afterwards
     */
    public BoundedKeyedStore.Figures purgeSilence() {
        final BoundedKeyedStore.Figures f = silence.purge(wallClock.getAsLong() - settings.entity().silence().retentionMs());
        metrics.silenceState(task, f.keys(), f.bytes());
        return f;
    }

    private void publishEntityState() {
        metrics.entityState(task, entities.keys(), entities.bytes(), entities.anomalousKeys());
    }

    /**
     * A full batch: write the outputs of the batch in flight (waiting for it if need be), then hand this one
     * to the inference executor and keep filling the other slot. This overlaps the engine with decoding.
     */
    private void rotate() {
        drainInFlight();
        final PendingBatch full = filling;
        full.scoringNanos = 0;
        final ScoringEngine e = engine;
        full.scoring = inference.submit(() -> {
            final long start = System.nanoTime();
            e.score(full.batch, full.results);
            full.scoringNanos = System.nanoTime() - start;
        });
        inFlight = full;
        filling = spare;
        spare = null;
    }

    private void drainInFlight() {
        if (inFlight == null) {
            return;
        }
        final PendingBatch done = inFlight;
        inFlight = null;
        await(done);
        emit(done);
        spare = done;
    }

    private static void await(final PendingBatch slot) {
        try {
            slot.scoring.get();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while a batch was being scored", e);
        } catch (final ExecutionException e) {
            throw new IllegalStateException("scoring a batch failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Writes the outputs of a scored batch and empties it. */
    private void emit(final PendingBatch slot) {
        final int n = slot.size();
        metrics.batchScored(n, slot.scoringNanos / 1e9);
        final ScoringResults results = slot.results;
        final long now = wallClock.getAsLong();
        final boolean[] anomalies = shadow == null ? null : new boolean[n];
        try {
            for (int i = 0; i < n; i++) {
                final Origin o = slot.origins[i];
                final DecodedEvent clamped = slot.clamps[i] > 0 ? redecode(slot.values[i], o) : null;
                final boolean anomaly = ScoreWriter.anomaly(results, i, clamped);
                metrics.score(results.nelbo(i));
                final long at = EventTimes.bound(slot.eventTimes[i], o.timestamp(), settings.maxEventTimeSkewMs());
                // the entity test follows each key's events in record order, as scored: a replay gives the same
                final boolean observed = entities.enabled() && slot.keys[i] != null;
                if (observed) {
                    entities.observe(slot.keys[i], results, i, slot.ids[i], stateTime(at, now));
                }
                if (silence.enabled() && slot.keys[i] != null) {
                    silence.observe(slot.keys[i], stateTime(at, now));
                    silenceOrigin = o;
                    silence.findOverdue(silenceSink);
                }
                if (settings.scoresEnabled()) {
                    sender.send(Outputs.Kind.SCORE, o, slot.values[i], writer.score(results, i, slot.ids[i], slot.keys[i],
                            slot.eventTimes[i], SourceRef.kafka(o.topic(), o.partition(), o.offset()), clamped,
                            slot.pastEvents[i], observed ? entities.statistic() : Double.NaN, observed && entities.anomalous()));
                }
                if (anomaly) {
                    alert(slot, i, stateTime(at, now));
                }
                if (observed && entities.alertDue()) {
                    final DecodedEvent event = redecode(slot.values[i], o);
                    final byte[] alert = writer.entityAlert(results, i, event, slot.ids[i], slot.keys[i], slot.eventTimes[i],
                            entities, slot.pastEvents[i]);
                    if (passes(alert, event)) {
                        sender.send(Outputs.Kind.ALERT, o, slot.values[i], alert);
                        metrics.entityAlert();
                    }
                }
                if (anomalies != null) {
                    anomalies[i] = anomaly;
                }
                metrics.endToEndLatency(Math.max(0, now - at) / 1000.0);
            }
            if (shadow != null) {
                shadow.score(slot, anomalies, outputs);
            }
            if (entities.enabled()) {
                // per batch, so the anomalous count on the dashboard follows the scoring, not the purge interval
                publishEntityState();
            }
            if (silence.enabled()) {
                metrics.silenceState(task, silence.keys(), silence.bytes());
            }
        } finally {
            slot.clear();
        }
    }

    /** A silence alert, keyed by the silent key, sent with the record whose time found it. */
    private void silent(final String key, final Cadence cadence, final long overdueAt,
                        final long detectedAt) {
        final Origin o = silenceOrigin;
        final byte[] alert = writer.silenceAlert(key, cadence.lastSeen(), cadence.reference(), overdueAt, detectedAt);
        if (!passes(alert, null)) {
            return;
        }
        sender.send(Outputs.Kind.ALERT, new Origin(o.topic(), o.partition(), o.offset(), o.timestamp(),
                key.getBytes(StandardCharsets.UTF_8), o.context()), null, alert);
        metrics.silenceAlert();
    }

    private void alert(final PendingBatch slot, final int row, final long at) {
        final AlertRules inForce = rules.get();
        DecodedEvent event = null;
        String rule = null;
        if (!inForce.isEmpty()) {
            // rules read the alert as the contract writes it, before suppression: a dropped alert does not hold back
            // the key's next one
            event = redecode(slot.values[row], slot.origins[row]);
            final AlertRules.Decision decision = judge(inForce, writer.alert(slot.results, row, event, slot.ids[row],
                    slot.keys[row], slot.eventTimes[row], 0, settings.suppressionWindowMs(), slot.pastEvents[row]), event);
            if (!decision.send()) {
                return;
            }
            rule = decision.rule();
        }
        final long suppressed = suppressor.offer(slot.keys[row], at);
        if (suppressed == AlertSuppressor.HELD) {
            metrics.alertSuppressed();
            return;
        }
        if (event == null) {
            event = redecode(slot.values[row], slot.origins[row]);
        }
        sender.send(Outputs.Kind.ALERT, slot.origins[row], slot.values[row], writer.alert(slot.results, row, event, slot.ids[row],
                slot.keys[row], slot.eventTimes[row], suppressed, settings.suppressionWindowMs(), slot.pastEvents[row], rule));
        metrics.alert();
    }

    /**
     * An entity or silence alert against the rules in force (an event alert goes through {@link #alert}, which also
     * names the rule that kept it).
     *
     * @param alert the alert's JSON
     * @param event the event behind it (its context values), or null for a silence
     * @return whether it is sent
     */
    private boolean passes(final byte[] alert, final DecodedEvent event) {
        return judge(rules.get(), alert, event).send();
    }

    /**
     * @param inForce the rules in force
     * @param alert   an alert's JSON
     * @param event   the event behind it (its context values), or null for a silence
     * @return their decision (no rule when there are none: the alert is not read); a drop is counted
     */
    private AlertRules.Decision judge(final AlertRules inForce, final byte[] alert, final DecodedEvent event) {
        final AlertRules.Decision decision = inForce.decide(alert, name -> event == null ? java.util.Optional.empty()
                : writer.featureText(event, name), wallClock.getAsLong());
        if (!decision.send()) {
            metrics.alertDropped(decision.rule());
        }
        return decision;
    }

    /** The raw values of a record decoded before, for its alert or clamped list (the same bytes decode the same). */
    private DecodedEvent redecode(final byte[] value, final Origin origin) {
        return decoder.decode(value, scratchX, scratchMask, 0, decoded, null, Long.MIN_VALUE, origin.timestamp());
    }

    /** Between batches only: move to the model the manager publishes, if it changed. */
    private void followCurrentModel() {
        final ModelManager.Lease lease = models.borrowCurrent(model);
        if (lease == null) {
            return;
        }
        final LoadedModel latest = lease.model();
        if (model != null) {
            model.giveBack(engine);
            LOG.info("Task {} now scores with model {} (was {})", task, latest.version(), model.version());
        } else {
            LOG.info("Task {} scores with model {}", task, latest.version());
        }
        model = latest;
        engine = lease.engine();
        filling = new PendingBatch(engine);
        spare = new PendingBatch(engine);
        inFlight = null;
        decoder = new EventDecoder(latest.encoder(), settings.limits(), settings.maxEventTimeSkewMs(), settings.format());
        decoded = decoder.newEvent();
        final EntityHistory definition = EntityHistory.forSpec(latest.encoder().spec());
        history = definition == null ? null : new HistoryTracker(definition, historyStore, latest.encoder(), false);
        if (shadow != null) {
            shadow.championChanged(definition, latest.encoder().spec().keyPath());
        }
        entities.model(settings.entity().enabled() ? latest.entityEvidence() : null, filling.results.featureCount());
        silence.model(settings.entity().silence().enabled() ? latest.silence() : null);
        scratchX = new float[latest.encoder().width()];
        scratchMask = new float[latest.encoder().width()];
        writer = new ScoreWriter(latest.encoder(), latest.version(), settings.contributions(),
                settings.topFeatures());
        sender.model(latest.version());
    }

    /**
     * Gives the engines back. Buffered records were flushed by the commit that precedes a clean close; after a
     * dirty close they are processed again from the last committed offset.
     */
    @Override
    public void close() {
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
        metrics.suppressionState(task, -1, -1);
        metrics.historyState(task, -1, -1);
        metrics.entityState(task, -1, -1, -1);
        metrics.silenceState(task, -1, -1);
    }
}
