package dev.nelbo.scorer.output;

import dev.nelbo.contract.output.AlertKind;
import dev.nelbo.engine.ScoringResults;
import dev.nelbo.schemas.encoding.ColumnBlock;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.encoding.RawValue;
import dev.nelbo.schemas.event.DecodedEvent;
import dev.nelbo.schemas.output.DeadLetter;
import dev.nelbo.schemas.output.SourceRef;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureType;
import dev.nelbo.schemas.spec.HistoryDef;

import java.util.List;

import static dev.nelbo.contract.output.OutputField.*;

/**
 * Writes the contract's output documents ({@code score.schema.json}, {@code alert.schema.json},
 * {@code dead-letter.schema.json}) for one model straight from the engine's results, with a streaming
 * writer and field names encoded once. The streaming scorer and the offline {@code score} command both use
 * it, so a record scores to the same bytes either way. Not thread-safe: one writer per processor.
 */
public final class ScoreWriter {

    /** Largest integer a double holds exactly: integral observed values up to it are written without a fraction. */
    private static final double EXACT_LONG = 9_007_199_254_740_992.0;

    private final FeatureEncoder encoder;
    private final String modelVersion;
    private final boolean contributions;
    private final int topFeatures;
    private final String[] names;
    private final byte[][] encodedNames;
    private final int[] top;
    /** The categorical and binary context features: an alert names the event's values of them. */
    private final int[] contextFeatures;
    /** Scratch for an entity alert: each feature's contribution above typical, summed over the run. */
    private final double[] runRank;
    private final long historyWarmUp;
    private final JsonBytes out = new JsonBytes();

    /**
     * @param encoder       the model's feature encoder
     * @param modelVersion  the model version
     * @param contributions whether score records carry per-feature contributions
     * @param topFeatures   features listed per alert
     */
    public ScoreWriter(final FeatureEncoder encoder, final String modelVersion, final boolean contributions,
                       final int topFeatures) {
        this.encoder = encoder;
        this.modelVersion = modelVersion;
        this.contributions = contributions;
        this.topFeatures = topFeatures;
        final List<FeatureDef> defs = encoder.spec().features();
        names = defs.stream().map(FeatureDef::name).toArray(String[]::new);
        encodedNames = defs.stream().map(f -> JsonBytes.encodeName(f.name())).toArray(byte[][]::new);
        top = new int[Math.min(topFeatures, names.length)];
        runRank = new double[names.length];
        contextFeatures = java.util.stream.IntStream.range(0, defs.size()).filter(f -> defs.get(f).contextual()
                && (defs.get(f).type() == FeatureType.CATEGORICAL || defs.get(f).type() == FeatureType.BINARY)).toArray();
        // a key's weighted statistics lean on its first events until about one half-life has passed (a half-life in
        // time counts as the default number of events)
        historyWarmUp = defs.stream().filter(FeatureDef::derivedFromHistory)
                .mapToLong(f -> f.history().halfLife() != null ? f.history().halfLife()
                        : f.history().timeWeighted() ? HistoryDef.DEFAULT_HALF_LIFE : 1).max().orElse(0);
    }

    /** @return how many past events a key needs before its alerts are no longer flagged as warming up */
    public long historyWarmUp() {
        return historyWarmUp;
    }

    /** @return the model version this writer writes */
    public String modelVersion() {
        return modelVersion;
    }

    /**
     * @param r         engine results
     * @param row       row in the results
     * @param eventId   event id
     * @param key       entity key, or null
     * @param eventTime event time, or null
     * @param source    input coordinates
     * @param clamped   the record's decode result when it has clamped features, else null
     * @param pastEvents how many past events of its key the record's history features summarised (-1: no history)
     * @return the score record's JSON
     */
    public byte[] score(final ScoringResults r, final int row, final String eventId, final String key, final Long eventTime,
                        final SourceRef source, final DecodedEvent clamped, final long pastEvents) {
        return score(r, row, eventId, key, eventTime, source, clamped, pastEvents, Double.NaN, false);
    }

    /**
     * A score record with the key's entity state.
     *
     * @param r                engine results
     * @param row              row in the results
     * @param eventId          event id
     * @param key              entity key, or null
     * @param eventTime        event time, or null
     * @param source           input coordinates
     * @param clamped          the record's decode result when it has clamped features, else null
     * @param pastEvents       how many past events of its key the record's history features summarised (-1: no history)
     * @param entityEvidence   the key's entity statistic after the event (NaN: no entity test, the fields are left out)
     * @param entityAnomalous  whether the key is anomalous after the event
     * @return the score record's JSON
     */
    public byte[] score(final ScoringResults r, final int row, final String eventId, final String key, final Long eventTime,
                        final SourceRef source, final DecodedEvent clamped, final long pastEvents,
                        final double entityEvidence, final boolean entityAnomalous) {
        out.reset().beginObject();
        out.name(EVENT_ID).value(eventId).name(KEY).value(key).name(EVENT_TIME).value(eventTime)
                .name(MODEL_VERSION).value(modelVersion)
                .name(SCORE).value(r.nelbo(row)).name(RECON_NLL).value(r.reconNll(row)).name(KL).value(r.kl(row))
                .name(IW_NLL).value(r.iwNll(row)).name(TAIL_PROBABILITY).value(r.tailProbability(row))
                .name(THRESHOLD).value(r.threshold(row)).name(ANOMALY).value(anomaly(r, row, clamped));
        if (contributions) {
            out.name(CONTRIBUTIONS).beginObject();
            // context features (last) are not reconstructed: they have no contribution
            for (int f = 0; f < r.featureCount(); f++) {
                out.name(encodedNames[f]).value(r.contribution(row, f));
            }
            out.endObject();
        }
        history(pastEvents, false);
        if (!Double.isNaN(entityEvidence)) {
            out.name(ENTITY_EVIDENCE).value(entityEvidence).name(ENTITY_ANOMALOUS).value(entityAnomalous);
        }
        clampedList(clamped);
        source(source);
        return out.endObject().toBytes();
    }

    /**
     * @param r          engine results
     * @param row        row in the results
     * @param event      the record's decode result (observed values and clamped features)
     * @param eventId    event id
     * @param key        entity key, or null
     * @param eventTime  event time, or null
     * @param suppressed alerts suppressed for this key since the last one sent
     * @param windowMs   suppression window
     * @param pastEvents how many past events of its key the record's history features summarised (-1: no history)
     * @return the alert's JSON
     */
    public byte[] alert(final ScoringResults r, final int row, final DecodedEvent event, final String eventId,
                        final String key, final Long eventTime, final long suppressed, final long windowMs,
                        final long pastEvents) {
        return alert(r, row, event, eventId, key, eventTime, suppressed, windowMs, pastEvents, null);
    }

    /**
     * An event alert that names the alert rule that decided to send it.
     *
     * @param r          engine results
     * @param row        row in the results
     * @param event      the record's decode result (observed values and clamped features)
     * @param eventId    event id
     * @param key        entity key, or null
     * @param eventTime  event time, or null
     * @param suppressed alerts suppressed for this key since the last one sent
     * @param windowMs   suppression window
     * @param pastEvents how many past events of its key the record's history features summarised (-1: no history)
     * @param rule       the rule's id, or null when none applied
     * @return the alert's JSON
     */
    public byte[] alert(final ScoringResults r, final int row, final DecodedEvent event, final String eventId,
                        final String key, final Long eventTime, final long suppressed, final long windowMs,
                        final long pastEvents, final String rule) {
        alertHead(AlertKind.EVENT, r, row, eventId, key, eventTime);
        final int n = r.topFeatures(row, top);
        for (int i = 0; i < n; i++) {
            topFeature(r, row, event, top[i], r.contribution(row, top[i]));
        }
        out.endArray();
        out.name(SUPPRESSED_SINCE_LAST).value(suppressed).name(SUPPRESSION_WINDOW_MS).value(windowMs);
        if (rule != null) {
            out.name(RULE).value(rule);
        }
        context(event);
        history(pastEvents, true);
        clampedList(event.clampedCount() > 0 ? event : null);
        return out.endObject().toBytes();
    }

    /**
     * @param event a record's decode result
     * @param name  a feature of the model's spec
     * @return the event's value of it as text (what a context mute compares), empty when the model has no such
     * feature or the event no value
     */
    public java.util.Optional<String> featureText(final DecodedEvent event, final String name) {
        for (int f = 0; f < names.length; f++) {
            if (names[f].equals(name)) {
                return java.util.Optional.ofNullable(observed(event.fields().feature(f))).map(Object::toString);
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * An entity alert: the key's run of evidence reached the entity threshold at this event. Its features are ranked
     * by their contribution above the typical one summed over the run, with the event's observed and expected values.
     *
     * @param r          engine results
     * @param row        the event's row
     * @param event      the event's decode result (observed values)
     * @param eventId    event id
     * @param key        the entity key
     * @param eventTime  event time, or null
     * @param run        the key's run: its statistic, onset, length and summed contributions
     * @param pastEvents how many past events of its key the record's history features summarised (-1: no history)
     * @return the alert's JSON
     */
    public byte[] entityAlert(final ScoringResults r, final int row, final DecodedEvent event, final String eventId,
                              final String key, final Long eventTime, final EntityRun run, final long pastEvents) {
        alertHead(AlertKind.ENTITY, r, row, eventId, key, eventTime);
        // context features (last) are not reconstructed: they carry no evidence
        for (int f = 0; f < r.featureCount(); f++) {
            runRank[f] = run.excess(f);
        }
        final int n = ScoringResults.largest(runRank, r.featureCount(), top);
        for (int i = 0; i < n; i++) {
            topFeature(r, row, event, top[i], runRank[top[i]]);
        }
        out.endArray();
        // one alert per run of evidence, never held back by the per-event suppression window
        out.name(SUPPRESSED_SINCE_LAST).value(0L).name(SUPPRESSION_WINDOW_MS).value(0L)
                .name(ENTITY_EVIDENCE).value(run.statistic()).name(ENTITY_THRESHOLD).value(run.threshold())
                .name(ONSET_EVENT_ID).value(run.onsetEventId()).name(ONSET_TIME).value(run.onsetTime())
                .name(ENTITY_EVENTS).value((long) run.events());
        context(event);
        history(pastEvents, true);
        clampedList(event.clampedCount() > 0 ? event : null);
        return out.endObject().toBytes();
    }

    /**
     * A silence alert: a key quiet for longer than the model's factor of its reference interval. It names no event.
     *
     * @param key        the silent key
     * @param lastSeen   its latest event time
     * @param usualMs    its reference interval
     * @param overdueAt  when it became overdue
     * @param detectedAt the task's clock when it was found
     * @return the alert's JSON
     */
    public byte[] silenceAlert(final String key, final long lastSeen, final double usualMs, final long overdueAt,
                               final long detectedAt) {
        out.reset().beginObject();
        out.name(KIND).value(AlertKind.SILENCE.wireName()).name(KEY).value(key).name(MODEL_VERSION).value(modelVersion)
                .name(LAST_SEEN).value(lastSeen).name(USUAL_INTERVAL_MS).value(usualMs).name(OVERDUE_AT).value(overdueAt)
                .name(DETECTED_AT).value(detectedAt);
        return out.endObject().toBytes();
    }

    /** What an entity alert says about its key's run of evidence. */
    public interface EntityRun {
        /** @return the key's statistic */
        double statistic();

        /** @return the entity threshold */
        double threshold();

        /** @return the first event of the run */
        String onsetEventId();

        /** @return that event's time */
        long onsetTime();

        /** @return the events the run spans */
        int events();

        /**
         * @param feature a reconstructed feature
         * @return its contribution above its typical value, summed over the run
         */
        double excess(int feature);
    }

    private void alertHead(final AlertKind kind, final ScoringResults r, final int row, final String eventId, final String key,
                           final Long eventTime) {
        out.reset().beginObject();
        out.name(KIND).value(kind.wireName()).name(EVENT_ID).value(eventId).name(KEY).value(key).name(EVENT_TIME).value(eventTime)
                .name(MODEL_VERSION).value(modelVersion).name(SCORE).value(r.nelbo(row)).name(THRESHOLD).value(r.threshold(row))
                .name(TAIL_PROBABILITY).value(r.tailProbability(row));
        out.name(TOP_FEATURES).beginArray();
    }

    private void topFeature(final ScoringResults r, final int row, final DecodedEvent event, final int f,
                            final double contribution) {
        out.beginObject().name(FEATURE).value(names[f]).name(CONTRIBUTION).value(contribution)
                .name(OBSERVED).observed(observed(event.fields().feature(f))).name(EXPECTED).observed(expected(r, row, f))
                .endObject();
    }

    /** The event's values of the context features it has, as text (what a context mute compares). */
    private void context(final DecodedEvent event) {
        boolean open = false;
        for (final int f : contextFeatures) {
            final Object v = observed(event.fields().feature(f));
            if (v == null) {
                continue;
            }
            if (!open) {
                out.name(CONTEXT).beginObject();
                open = true;
            }
            out.name(encodedNames[f]).value(v.toString());
        }
        if (open) {
            out.endObject();
        }
    }

    private void history(final long pastEvents, final boolean flagWarmUp) {
        if (pastEvents < 0) {
            return;
        }
        out.name(HISTORY_EVENTS).value(pastEvents);
        if (flagWarmUp) {
            out.name(HISTORY_WARMING_UP).value(pastEvents < historyWarmUp);
        }
    }

    /**
     * @param r       engine results
     * @param row     row in the results
     * @param clamped the record's decode result when it has clamped features, else null
     * @return whether the record is an anomaly: over the threshold, or holding a value the model cannot take
     */
    public static boolean anomaly(final ScoringResults r, final int row, final DecodedEvent clamped) {
        return r.anomaly(row) || (clamped != null && clamped.clampedCount() > 0);
    }

    /**
     * @param letter a dead letter
     * @return its JSON
     */
    public static byte[] deadLetter(final DeadLetter letter) {
        final JsonBytes b = new JsonBytes().beginObject();
        b.name(REASON).value(letter.reason().wireName());
        if (letter.field() != null) {
            b.name(FIELD).value(letter.field());
        }
        b.name(MESSAGE).value(letter.message());
        writeSource(b, letter.source());
        b.name(PAYLOAD_BASE64).value(letter.payloadBase64()).name(PAYLOAD_BYTES).value(letter.payloadBytes())
                .name(PAYLOAD_SHA256).value(letter.payloadSha256()).name(PAYLOAD_TRUNCATED).value(letter.payloadTruncated());
        if (letter.modelVersion() != null) {
            b.name(MODEL_VERSION).value(letter.modelVersion());
        }
        return b.endObject().toBytes();
    }

    /**
     * @param v a raw value read from an event
     * @return it as a JSON value: integral numbers as longs, other numbers as doubles, text, booleans, else null
     */
    public static Object observed(final RawValue v) {
        return switch (v.kind()) {
            case NUMBER -> {
                final double d = v.number();
                yield d == Math.rint(d) && Math.abs(d) <= EXACT_LONG ? (Object) (long) d : (Object) d;
            }
            case TEXT -> v.text();
            case BOOLEAN -> v.bool();
            default -> null;
        };
    }

    private void clampedList(final DecodedEvent clamped) {
        if (clamped == null || clamped.clampedCount() == 0) {
            return;
        }
        out.name(CLAMPED).beginArray();
        for (int i = 0; i < clamped.clampedCount(); i++) {
            final int f = clamped.clamped(i);
            out.beginObject().name(FEATURE).value(names[f]).name(OBSERVED).observed(observed(clamped.fields().feature(f)))
                    .endObject();
        }
        out.endArray();
    }

    private void source(final SourceRef source) {
        writeSource(out, source);
    }

    private static void writeSource(final JsonBytes b, final SourceRef source) {
        if (source == null) {
            return;
        }
        b.name(SOURCE).beginObject();
        if (source.topic() != null) {
            b.name(TOPIC).value(source.topic()).name(PARTITION).value(source.partition().longValue())
                    .name(OFFSET).value(source.offset().longValue());
        } else {
            b.name(FILE).value(source.file()).name(LINE).value(source.line().longValue());
        }
        b.endObject();
    }

    private Object expected(final ScoringResults r, final int row, final int feature) {
        final double e = r.expected(row, feature);
        final ColumnBlock block = encoder.layout().get(feature);
        return switch (block.likelihood()) {
            case GAUSSIAN -> encoder.decodeContinuous(feature, e);
            case BERNOULLI -> e;
            case CATEGORICAL -> encoder.category(feature, (int) e);
            case CYCLIC -> throw new IllegalStateException("time feature '" + block.feature() + "' is context: nothing is expected of it");
        };
    }
}
