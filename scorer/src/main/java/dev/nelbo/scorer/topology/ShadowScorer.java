package dev.nelbo.scorer.topology;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.engine.ScoringBatch;
import dev.nelbo.engine.ScoringEngine;
import dev.nelbo.engine.ScoringResults;
import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.encoding.JsonRecordSource;
import dev.nelbo.schemas.output.ScoreRecord;
import dev.nelbo.schemas.output.SourceRef;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.model.LoadedModel;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.output.ScoreMapper;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * Scores each batch the champion scored once more with the registry's shadow model (when there is
 * one), for the shadow topic: a candidate shows its alert rate on live traffic before it is promoted.
 * Its outputs go out in the same transaction as the champion's. Events the shadow cannot encode are
 * skipped; the champion's outputs never depend on the shadow.
 */
final class ShadowScorer {

    /** Shadow alert rate versus the champion's is logged this often per task. */
    static final long LOG_EVERY_MS = 60_000;

    private static final Logger LOG = LoggerFactory.getLogger(ShadowScorer.class);

    /** One event of the batch the champion scored. */
    interface Row {
        /** @return the parsed event */
        ObjectNode event();

        /** @return its id (seeds the sampling noise) */
        String eventId();

        /** @return its key, or null */
        String key();

        /** @return its event time, or null */
        Long eventTime();

        /** @return where it came from */
        SourceRef source();
    }

    /** Writes one shadow score record for row {@code row}. */
    @FunctionalInterface
    interface Sink {
        void forward(int row, byte[] value, Headers headers);
    }

    private final ModelManager models;
    private final ScorerMetrics metrics;
    private final String task;

    private LoadedModel model;
    private ScoringEngine engine;
    private ScoringBatch batch;
    private ScoringResults results;
    private FeatureEncoder encoder;
    private JsonRecordSource source;
    private ScoreMapper mapper;
    private float[] rowX;
    private float[] rowMask;
    private int[] rows;
    private long scored;
    private long shadowAnomalies;
    private long championAnomalies;
    private long nextLog;

    ShadowScorer(final ModelManager models, final ScorerMetrics metrics, final String task) {
        this.models = models;
        this.metrics = metrics;
        this.task = task;
    }

    /**
     * @param batchRows        the events the champion just scored
     * @param championAnomaly  per row, whether the champion found it anomalous
     * @param sink             where shadow score records go
     */
    void score(final List<? extends Row> batchRows, final boolean[] championAnomaly, final Sink sink) {
        follow();
        if (model == null) {
            return;
        }
        batch.clear();
        for (int i = 0; i < batchRows.size() && batch.size() < batch.capacity(); i++) {
            final Row r = batchRows.get(i);
            try {
                encoder.encode(source.reset(r.event()), rowX, rowMask, 0);
            } catch (final EncodingException e) {
                continue;
            }
            rows[batch.size()] = i;
            batch.add(r.eventId(), rowX, rowMask);
        }
        final int n = batch.size();
        if (n == 0) {
            return;
        }
        engine.score(batch, results);
        final Headers headers = new RecordHeaders();
        headers.add(Topics.MODEL_VERSION_HEADER, model.version().getBytes(StandardCharsets.UTF_8));
        int shadowHits = 0;
        int championHits = 0;
        for (int j = 0; j < n; j++) {
            final Row r = batchRows.get(rows[j]);
            final ScoreRecord score = mapper.scoreRecord(results, j, r.eventId(), r.key(), r.eventTime(), r.source());
            shadowHits += score.anomaly() ? 1 : 0;
            championHits += championAnomaly[rows[j]] ? 1 : 0;
            sink.forward(rows[j], ScoreMapper.toJson(score), headers);
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
        encoder = latest.encoder();
        source = new JsonRecordSource(encoder.spec());
        mapper = new ScoreMapper(encoder, latest.version(), latest.threshold());
        rowX = new float[batch.width()];
        rowMask = new float[batch.width()];
        rows = new int[batch.capacity()];
        scored = 0;
        shadowAnomalies = 0;
        championAnomalies = 0;
        nextLog = 0;
    }

    /** Gives the engine back (the processor is closing or the shadow changed). */
    void release() {
        if (model != null) {
            model.giveBack(engine);
            model = null;
            engine = null;
        }
    }
}
