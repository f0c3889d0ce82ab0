package dev.nelbo.scorer.pipeline;

import dev.nelbo.engine.ScoringBatch;
import dev.nelbo.engine.ScoringEngine;
import dev.nelbo.engine.ScoringResults;
import dev.nelbo.schemas.event.DecodedEvent;
import dev.nelbo.schemas.event.EventDecoder;
import dev.nelbo.schemas.history.EntityHistory;
import dev.nelbo.schemas.history.HistoryTracker;
import dev.nelbo.schemas.history.ReplayedState;
import dev.nelbo.schemas.output.SourceRef;
import dev.nelbo.schemas.state.BoundedKeyedStore;
import dev.nelbo.schemas.state.MapKeyedStore;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.model.LoadedModel;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.output.ScoreWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * Scores each batch the champion scored once more with the registry's shadow model (when there is
 * one), for the shadow topic: a candidate shows its alert rate on live traffic before it is promoted.
 * Each event is decoded again with the shadow model's own decoder (its spec may read fewer fields). Its
 * outputs go out in the same transaction as the champion's. Events the shadow cannot decode are skipped;
 * the champion's outputs never depend on the shadow.
 *
 * <p>History features: when the shadow's history {@link EntityHistory#sharesStateWith shares its state} with the
 * champion's (same sources and half-lives, same key path: a retrained model of the same spec), the shadow reads
 * each event's history as the champion read it, from the champion's changelogged store, so its scores are what it
 * would score as champion, across restarts too. Otherwise it keeps its own history in memory, from the moment it
 * arrived: cold at first and again after a restart or rebalance (its alerts say so while warming up).
 */
final class ShadowScorer {

    /** Shadow alert rate versus the champion's is logged this often per task. */
    static final long LOG_EVERY_MS = 60_000;

    private static final Logger LOG = LoggerFactory.getLogger(ShadowScorer.class);

    private final ModelManager models;
    private final ScorerMetrics metrics;
    private final String task;
    private final PipelineSettings settings;

    private LoadedModel model;
    private ScoringEngine engine;
    private ScoringBatch batch;
    private ScoringResults results;
    private EventDecoder decoder;
    private DecodedEvent decoded;
    private ScoreWriter writer;
    private byte[] versionHeader;
    private int[] rows;
    private int[] clamps;
    private long[] pastEvents;
    /** The shadow's history features, or null when it has none. */
    private HistoryTracker history;
    /** Non-null when {@link #history} reads the champion's state (each row's, as the champion read it). */
    private ReplayedState replayed;
    /** The store {@link #history} keeps the shadow's own state in, when {@link #replayed} is null. */
    private BoundedKeyedStore<byte[]> ownHistory;
    private EntityHistory championHistory;
    private String championKeyPath;
    private boolean championChanged;
    /** Rows decoded a second time only for their clamped values (the results are already computed). */
    private float[] scratchX;
    private float[] scratchMask;
    private long scored;
    private long shadowAnomalies;
    private long championAnomalies;
    private long nextLog;

    ShadowScorer(final ModelManager models, final ScorerMetrics metrics, final String task, final PipelineSettings settings) {
        this.models = models;
        this.metrics = metrics;
        this.task = task;
        this.settings = settings;
    }

    /**
     * The champion changed (between batches): the shadow decides again whether it can read the champion's history.
     *
     * @param history the champion's history definition, or null
     * @param keyPath the champion's entity key path
     */
    void championChanged(final EntityHistory history, final String keyPath) {
        championHistory = history;
        championKeyPath = keyPath;
        championChanged = true;
    }

    /**
     * @param champion        the batch the champion just scored
     * @param championAnomaly per row, whether the champion found it anomalous
     * @param outputs         where shadow score records go
     */
    void score(final PendingBatch champion, final boolean[] championAnomaly, final Outputs outputs) {
        follow();
        if (model == null) {
            return;
        }
        batch.clear();
        for (int i = 0; i < champion.size() && batch.size() < batch.capacity(); i++) {
            final int row = batch.nextRow();
            if (replayed != null) {
                replayed.set(champion.historyStates[i]);
            }
            if (decoder.decode(champion.values[i], batch.x(), batch.mask(), row, decoded, history,
                    champion.seenAt[i], champion.origins[i].timestamp()).ok()) {
                rows[row] = i;
                clamps[row] = decoded.clampedCount();
                pastEvents[row] = decoded.pastEvents();
                batch.commitRow(champion.ids[i]);
            }
        }
        final int n = batch.size();
        if (n == 0) {
            return;
        }
        engine.score(batch, results);
        int shadowHits = 0;
        int championHits = 0;
        for (int j = 0; j < n; j++) {
            final int i = rows[j];
            final Origin o = champion.origins[i];
            final DecodedEvent clamped = clamps[j] > 0 ? decoder.decode(champion.values[i], scratchX, scratchMask,
                    0, decoded, null, Long.MIN_VALUE, o.timestamp()) : null;
            shadowHits += ScoreWriter.anomaly(results, j, clamped) ? 1 : 0;
            championHits += championAnomaly[i] ? 1 : 0;
            outputs.emit(Outputs.Kind.SHADOW, o, o.key(), writer.score(results, j, champion.ids[i], champion.keys[i],
                    champion.eventTimes[i], SourceRef.kafka(o.topic(), o.partition(), o.offset()), clamped, pastEvents[j]),
                    versionHeader);
        }
        metrics.shadowScored(n, shadowHits, championHits);
        scored += n;
        shadowAnomalies += shadowHits;
        championAnomalies += championHits;
        final long now = System.currentTimeMillis();
        if (now >= nextLog) {
            LOG.info(String.format(Locale.ROOT, "Task %s shadow model %s alert rate %.4f vs champion %s %.4f over %d events",
                    task, model.version(), (double) shadowAnomalies / scored, models.currentVersion().orElse("?"),
                    (double) championAnomalies / scored, scored));
            nextLog = now + LOG_EVERY_MS;
        }
    }

    /** Between batches: move to the manager's shadow model, or drop it. */
    private void follow() {
        if (models.shadow() == model) {
            if (championChanged && model != null) {
                followHistory();
            }
            return;
        }
        release();
        final ModelManager.Lease lease = models.borrowShadow(null);
        if (lease == null) {
            return;
        }
        final LoadedModel latest = lease.model();
        model = latest;
        engine = lease.engine();
        batch = engine.newBatch();
        results = engine.newResults();
        decoder = new EventDecoder(latest.encoder(), settings.limits(), settings.maxEventTimeSkewMs(), settings.format());
        decoded = decoder.newEvent();
        writer = new ScoreWriter(latest.encoder(), latest.version(), settings.contributions(), 1);
        versionHeader = latest.version().getBytes(StandardCharsets.UTF_8);
        rows = new int[batch.capacity()];
        clamps = new int[batch.capacity()];
        pastEvents = new long[batch.capacity()];
        followHistory();
        scratchX = new float[batch.width()];
        scratchMask = new float[batch.width()];
        scored = 0;
        shadowAnomalies = 0;
        championAnomalies = 0;
        nextLog = 0;
    }

    /** Reads the champion's history state when it means the same to the shadow, else keeps the shadow's own. */
    private void followHistory() {
        championChanged = false;
        final EntityHistory own = EntityHistory.forSpec(model.encoder().spec());
        final boolean shared = own != null && own.sharesStateWith(championHistory)
                && Objects.equals(championKeyPath, model.encoder().spec().keyPath());
        if (own == null) {
            replayed = null;
            history = null;
        } else if (shared) {
            replayed = new ReplayedState();
            history = new HistoryTracker(own, replayed, model.encoder(), false);
        } else if (history == null || replayed != null) {
            replayed = null;
            ownHistory = settings.boundHistory(new MapKeyedStore<>(), metrics::historyEvicted);
            history = new HistoryTracker(own, ownHistory, model.encoder(), false);
            LOG.info("Task {} shadow model {} keeps its own entity history (its history features differ from the"
                    + " champion's): it starts cold and is not restored after a restart", task, model.version());
        }
    }

    /** Forgets the history of keys idle for longer than the retention, when the shadow keeps its own. */
    void purgeHistory() {
        if (history != null && replayed == null) {
            ownHistory.purge(history.idleLongerThan(settings.historyRetentionMs()));
        }
    }

    /** Gives the engine back (the pipeline is closing or the shadow changed). */
    void release() {
        if (model != null) {
            model.giveBack(engine);
            model = null;
            engine = null;
            history = null;
            replayed = null;
        }
    }
}
