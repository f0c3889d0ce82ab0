package dev.nelbo.schemas.history;

import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.encoding.RawValue;
import dev.nelbo.schemas.encoding.RecordSource;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.HistoryStat;
import dev.nelbo.schemas.state.KeyedStore;
import dev.nelbo.schemas.state.MapKeyedStore;

import java.util.function.BiPredicate;

/**
 * An {@link EntityHistory} over a {@link KeyedStore} of state bytes, one record at a time: {@link #bind} loads the state of the
 * record's key and makes this tracker a {@link RecordSource} that reads the record's own features from it and the
 * history features from the state (as they were before this record); once the record encoded, {@link #commit}
 * adds it to the state. Records must come in event order per key (a partition's order when the topic is keyed by
 * the entity; file order when training). Not thread-safe: one per stream task or pass.
 *
 * <p>Bounded by its store (the scorer's is a {@link dev.nelbo.schemas.state.BoundedKeyedStore}, which evicts the
 * least recently seen keys), which forgets keys idle for longer than the retention ({@link #idleLongerThan}). A record
 * without a key has no history. Values far outside the training range ({@link FeatureEncoder#historyEligible})
 * and non-finite ones never enter a key's state, so one extreme event does not skew its entity's baseline.
 */
public final class HistoryTracker implements RecordSource {

    private final EntityHistory history;
    private final KeyedStore<byte[]> store;
    private final FeatureEncoder encoder;
    private final boolean maskForTraining;
    private final EntityHistory.State state;
    private final RawValue scratch = new RawValue();
    private final boolean[] took;
    private RecordSource base;
    private String key;
    private byte[] boundState;
    private Long eventTime;
    private long seenAt;
    private boolean masked;
    private long latestSeen = Long.MIN_VALUE;

    /**
     * @param history         the spec's history definition
     * @param store           the per-key state
     * @param encoder         the model's encoder (values far outside the training range are kept out of the
     *                        state), or null while the encoder is being fitted
     * @param maskForTraining whether to hide the history of {@link EntityHistory#TRAINING_MASK_FRACTION} of the
     *                        records (training only), so the model learns to score an entity without history
     */
    public HistoryTracker(final EntityHistory history, final KeyedStore<byte[]> store, final FeatureEncoder encoder,
                          final boolean maskForTraining) {
        this.history = history;
        this.store = store;
        this.encoder = encoder;
        this.maskForTraining = maskForTraining;
        this.state = new EntityHistory.State(history);
        this.took = new boolean[history.sourceCount()];
    }

    /**
     * A tracker over a fresh in-memory store: one pass over a file or window, built from its first record.
     *
     * @param encoder the model's encoder
     * @return the tracker, or null when the model has no history features
     */
    public static HistoryTracker inMemory(final FeatureEncoder encoder) {
        return inMemory(encoder.spec(), encoder, false);
    }

    /**
     * A tracker for one training pass over a fresh in-memory store, hiding the history of a share of the rows.
     *
     * @param spec    the feature spec
     * @param encoder the fitted encoder, or null for the pass that fits it
     * @return the tracker, or null when the spec has no history features
     */
    public static HistoryTracker forTraining(final FeatureSpec spec, final FeatureEncoder encoder) {
        return inMemory(spec, encoder, true);
    }

    private static HistoryTracker inMemory(final FeatureSpec spec, final FeatureEncoder encoder, final boolean mask) {
        final EntityHistory h = EntityHistory.forSpec(spec);
        return h == null ? null : new HistoryTracker(h, new MapKeyedStore<>(), encoder, mask);
    }

    /**
     * @param record    the record's own fields
     * @param entityKey its entity key, or null
     * @param time      its event time, or null
     * @param seenAt    when it was seen (the record timestamp, never ahead of the scorer's clock; expiry counts from
     *                  the latest such time of the key)
     * @return this, reading the record with its history features
     */
    public RecordSource bind(final RecordSource record, final String entityKey, final Long time, final long seenAt) {
        this.base = record;
        this.key = entityKey;
        this.eventTime = time;
        this.seenAt = seenAt;
        if (entityKey == null) {
            boundState = null;
            state.clear();
        } else {
            final byte[] bytes = store.get(entityKey);
            boundState = bytes;
            history.read(bytes, state);
        }
        masked = maskForTraining && entityKey != null && maskedRow(entityKey, state.events);
        return this;
    }

    /** A hash of key and position, so both passes over a training file hide the same rows. */
    private static boolean maskedRow(final String key, final long events) {
        long h = key.hashCode() * 0x9E3779B97F4A7C15L + events;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return (h >>> 11) * 0x1.0p-53 < EntityHistory.TRAINING_MASK_FRACTION;
    }

    /**
     * @return the state the bound record's history was read from (null for a new key or a record without one), as
     *         the store holds it: never written to, so a shadow model can read it later ({@link ReplayedState})
     */
    public byte[] boundState() {
        return boundState;
    }

    /** @return how many past events the bound record's history holds (0 without a key or hidden) */
    public long pastEvents() {
        return masked ? 0 : state.events;
    }

    @Override
    public void read(final int feature, final RawValue into) {
        final int h = history.historyIndex(feature);
        if (h < 0) {
            base.read(feature, into);
            return;
        }
        final HistoryStat kind = history.kind(h);
        if (kind == HistoryStat.EVENTS) {
            into.setNumber(Math.log1p(pastEvents()), null);
            return;
        }
        if (pastEvents() == 0) {
            into.setAbsent();
            return;
        }
        final int s = history.sourceOf(h);
        final double v = switch (kind) {
            case EWM_MEAN -> weighted(s, history.trackerOf(h), 1) ? state.mean[history.trackerOf(h)] : Double.NaN;
            case EWM_STD -> weighted(s, history.trackerOf(h), 2) ? Math.sqrt(state.var[history.trackerOf(h)]) : Double.NaN;
            case PREVIOUS -> state.seen[s] >= 1 ? state.last[s] : Double.NaN;
            case SINCE_PREVIOUS -> eventTime != null && state.lastTime != Long.MIN_VALUE
                    ? Math.max(0L, eventTime - state.lastTime) / 1000.0 : Double.NaN;
            case EVENTS -> throw new AssertionError();
        };
        if (Double.isNaN(v)) {
            into.setAbsent();
        } else {
            into.setNumber(v, null);
        }
    }

    /** Whether tracker {@code t} of source {@code s} has taken at least {@code values} values. */
    private boolean weighted(final int s, final int t, final int values) {
        return state.seen[s] >= values && (history.trackerHalfLifeMs(t) == 0 || state.weight[t] > 0);
    }

    /** Adds the bound record (which encoded) to its key's history. */
    public void commit() {
        latestSeen = Math.max(latestSeen, seenAt);
        if (key == null) {
            return;
        }
        state.events++;
        if (eventTime != null) {
            state.lastTime = eventTime;
        }
        // forward only: a record stamped in the past must not age its key towards expiry
        state.seenAt = Math.max(state.seenAt, seenAt);
        for (int s = 0; s < history.sourceCount(); s++) {
            final int feature = history.sourceFeature(s);
            base.read(feature, scratch);
            final double v = FeatureEncoder.historyValue(history.def(feature), scratch);
            took[s] = !Double.isNaN(v) && (encoder == null || encoder.historyEligible(feature, v));
            if (took[s]) {
                state.seen[s]++;
                state.last[s] = v;
            }
        }
        for (int t = 0; t < history.trackerCount(); t++) {
            final int s = history.trackerSource(t);
            final long halfLifeMs = history.trackerHalfLifeMs(t);
            // an event without a time does not enter statistics weighted by time
            if (!took[s] || halfLifeMs > 0 && eventTime == null) {
                continue;
            }
            final double v = state.last[s];
            final double a;
            if (halfLifeMs > 0) {
                final double kept = state.weight[t] == 0 ? 0
                        : state.weight[t] * StrictMath.pow(2.0, -Math.max(0L, eventTime - state.updated[t]) / (double) halfLifeMs);
                a = 1.0 / (kept + 1.0);
                state.weight[t] = kept + 1.0;
                state.updated[t] = eventTime;
            } else {
                a = state.seen[s] == 1 ? 1.0 : history.trackerAlpha(t);
            }
            final double d = v - state.mean[t];
            state.mean[t] += a * d;
            state.var[t] = (1 - a) * (state.var[t] + a * d * d);
        }
        store.put(key, history.write(state));
    }

    /**
     * What a purge of the store forgets ({@link dev.nelbo.schemas.state.BoundedKeyedStore#purge}): keys not seen for
     * {@code retentionMs} before the latest record seen, and state another model's definition wrote.
     *
     * @param retentionMs how long an idle key is kept
     * @return whether a key's state has expired
     */
    public BiPredicate<String, byte[]> idleLongerThan(final long retentionMs) {
        return (k, bytes) -> {
            final long seen = history.seenAt(bytes);
            return latestSeen != Long.MIN_VALUE && (seen == Long.MIN_VALUE || latestSeen - seen > retentionMs);
        };
    }
}
