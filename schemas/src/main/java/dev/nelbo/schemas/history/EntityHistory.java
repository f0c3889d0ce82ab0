package dev.nelbo.schemas.history;

import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.HistoryDef;
import dev.nelbo.schemas.spec.HistoryStat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The history features of a spec, compiled: which features are derived from the entity's past events, which
 * source features and exponentially weighted trackers the per-key state keeps, and the state's byte layout.
 * The one implementation of history statistics: training, offline scoring, retraining and the streaming scorer
 * all derive them through a {@link HistoryTracker} over this definition. Immutable and thread-safe.
 *
 * <p>State of one key, fixed size: a fingerprint of this definition (state written under another definition
 * reads as no history), the number of past events, the last event time and the last time the key was seen
 * (for expiry); per source feature the number of values seen and the last one; per tracker (source and
 * half-life) the weighted mean and variance, updated as in West (1979): {@code d = v - m; m += a d;
 * s2 = (1 - a)(s2 + a d^2)}, sequential doubles, so a replay of the same events rebuilds the same bytes. With a
 * half-life in events {@code a} is fixed; with one in event time a tracker also keeps the decayed weight {@code w}
 * of the values it has seen and the time of the last, and {@code a = 1 / (w 2^(-dt/h) + 1)}: each value weighs
 * {@code 2^(-age/h)}, so values with one timestamp are averaged and a long gap all but forgets the past.
 */
public final class EntityHistory {

    /** Share of training rows whose history is hidden, as if their entity were new (so a new entity is not an alert). */
    public static final double TRAINING_MASK_FRACTION = 0.05;
    private static final int HEADER_BYTES = 4 + 8 + 8 + 8;

    private final FeatureDef[] defs;
    /** Per feature: -1 when read from the event, else the index of its history statistic in {@link #kinds}. */
    private final int[] historyIndex;
    private final HistoryStat[] kinds;
    /** Per history feature: its source slot (or -1). */
    private final int[] sourceOf;
    /** Per history feature: its tracker slot (or -1). */
    private final int[] trackerOf;
    /** Feature index of each source slot. */
    private final int[] sources;
    /** Source slot and weight of each tracker. */
    private final int[] trackerSource;
    private final double[] trackerAlpha;
    /** Per tracker: its half-life in event time (ms), or 0 for a half-life in events. */
    private final long[] trackerHalfLifeMs;
    private final int timeTrackers;
    private final int fingerprint;

    private EntityHistory(final FeatureSpec spec) {
        defs = spec.features().toArray(new FeatureDef[0]);
        historyIndex = new int[defs.length];
        final List<HistoryStat> k = new ArrayList<>();
        final List<Integer> src = new ArrayList<>();
        final List<Integer> srcOf = new ArrayList<>();
        final List<String> trackers = new ArrayList<>();
        final List<Integer> trkOf = new ArrayList<>();
        final List<Integer> trkSource = new ArrayList<>();
        final List<Double> trkAlpha = new ArrayList<>();
        final List<Long> trkHalfLifeMs = new ArrayList<>();
        final StringBuilder print = new StringBuilder();
        for (int i = 0; i < defs.length; i++) {
            final HistoryDef h = defs[i].history();
            if (h == null) {
                historyIndex[i] = -1;
                continue;
            }
            historyIndex[i] = k.size();
            k.add(h.stat());
            int s = -1;
            int t = -1;
            if (h.of() != null) {
                final int feature = spec.features().indexOf(spec.feature(h.of()));
                s = src.indexOf(feature);
                if (s < 0) {
                    s = src.size();
                    src.add(feature);
                }
                if (h.stat().weighted()) {
                    final String id = s + "/" + (h.timeWeighted() ? "t" + h.halfLifeMillis() : h.halfLife());
                    t = trackers.indexOf(id);
                    if (t < 0) {
                        t = trackers.size();
                        trackers.add(id);
                        trkSource.add(s);
                        trkAlpha.add(h.timeWeighted() ? Double.NaN : h.alpha());
                        trkHalfLifeMs.add(h.timeWeighted() ? h.halfLifeMillis() : 0L);
                    }
                }
            }
            srcOf.add(s);
            trkOf.add(t);
        }
        for (final int feature : src) {
            print.append(defs[feature].name()).append(':').append(defs[feature].transform().wireName()).append(';');
        }
        print.append('|').append(String.join(";", trackers));
        kinds = k.toArray(new HistoryStat[0]);
        sourceOf = srcOf.stream().mapToInt(Integer::intValue).toArray();
        trackerOf = trkOf.stream().mapToInt(Integer::intValue).toArray();
        sources = src.stream().mapToInt(Integer::intValue).toArray();
        trackerSource = trkSource.stream().mapToInt(Integer::intValue).toArray();
        trackerAlpha = trkAlpha.stream().mapToDouble(Double::doubleValue).toArray();
        trackerHalfLifeMs = trkHalfLifeMs.stream().mapToLong(Long::longValue).toArray();
        timeTrackers = (int) trkHalfLifeMs.stream().filter(ms -> ms > 0).count();
        fingerprint = print.toString().hashCode();
    }

    /**
     * @param spec a feature spec
     * @return its history definition, or null when it has no history features
     */
    public static EntityHistory forSpec(final FeatureSpec spec) {
        Objects.requireNonNull(spec, "spec");
        return spec.hasHistory() ? new EntityHistory(spec) : null;
    }

    /**
     * @param other another definition
     * @return whether a key's state under {@code other} means the same under this one (same source features,
     *         transforms and half-lives), so one can read the other's state
     */
    public boolean sharesStateWith(final EntityHistory other) {
        return other != null && other.fingerprint == fingerprint && other.stateBytes() == stateBytes();
    }

    /** @return bytes one key's state takes */
    public int stateBytes() {
        return HEADER_BYTES + sources.length * 16 + trackerSource.length * 16 + timeTrackers * 16;
    }

    int featureCount() {
        return defs.length;
    }

    FeatureDef def(final int feature) {
        return defs[feature];
    }

    /** @return -1 for a feature read from the event, else the index of its history statistic */
    int historyIndex(final int feature) {
        return historyIndex[feature];
    }

    HistoryStat kind(final int h) {
        return kinds[h];
    }

    int sourceOf(final int h) {
        return sourceOf[h];
    }

    int trackerOf(final int h) {
        return trackerOf[h];
    }

    int sourceCount() {
        return sources.length;
    }

    int sourceFeature(final int s) {
        return sources[s];
    }

    int trackerCount() {
        return trackerSource.length;
    }

    int trackerSource(final int t) {
        return trackerSource[t];
    }

    double trackerAlpha(final int t) {
        return trackerAlpha[t];
    }

    /** @return the tracker's half-life in event time (ms), or 0 when its half-life counts events */
    long trackerHalfLifeMs(final int t) {
        return trackerHalfLifeMs[t];
    }

    /** One key's state, mutable; read from and written to the store as {@link #stateBytes()} bytes. */
    static final class State {
        long events;
        long lastTime = Long.MIN_VALUE;
        long seenAt = Long.MIN_VALUE;
        final long[] seen;
        final double[] last;
        final double[] mean;
        final double[] var;
        /** Time trackers: the decayed weight of the values seen (0: none yet), and the event time of the last. */
        final double[] weight;
        final long[] updated;

        State(final EntityHistory h) {
            seen = new long[h.sources.length];
            last = new double[h.sources.length];
            mean = new double[h.trackerSource.length];
            var = new double[h.trackerSource.length];
            weight = new double[h.trackerSource.length];
            updated = new long[h.trackerSource.length];
        }

        void clear() {
            events = 0;
            lastTime = Long.MIN_VALUE;
            seenAt = Long.MIN_VALUE;
            java.util.Arrays.fill(seen, 0);
            java.util.Arrays.fill(last, 0);
            java.util.Arrays.fill(mean, 0);
            java.util.Arrays.fill(var, 0);
            java.util.Arrays.fill(weight, 0);
            java.util.Arrays.fill(updated, 0);
        }
    }

    /** Loads {@code bytes} into {@code into}; bytes of another definition, length or null read as no history. */
    void read(final byte[] bytes, final State into) {
        into.clear();
        if (bytes == null || bytes.length != stateBytes()) {
            return;
        }
        final ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt() != fingerprint) {
            return;
        }
        into.events = b.getLong();
        into.lastTime = b.getLong();
        into.seenAt = b.getLong();
        for (int s = 0; s < into.seen.length; s++) {
            into.seen[s] = b.getLong();
            into.last[s] = b.getDouble();
        }
        for (int t = 0; t < into.mean.length; t++) {
            into.mean[t] = b.getDouble();
            into.var[t] = b.getDouble();
            if (trackerHalfLifeMs[t] > 0) {
                into.weight[t] = b.getDouble();
                into.updated[t] = b.getLong();
            }
        }
    }

    byte[] write(final State state) {
        final ByteBuffer b = ByteBuffer.allocate(stateBytes());
        b.putInt(fingerprint).putLong(state.events).putLong(state.lastTime).putLong(state.seenAt);
        for (int s = 0; s < state.seen.length; s++) {
            b.putLong(state.seen[s]).putDouble(state.last[s]);
        }
        for (int t = 0; t < state.mean.length; t++) {
            b.putDouble(state.mean[t]).putDouble(state.var[t]);
            if (trackerHalfLifeMs[t] > 0) {
                b.putDouble(state.weight[t]).putLong(state.updated[t]);
            }
        }
        return b.array();
    }

    /**
     * @param bytes a key's state, of any definition
     * @return when the key was last seen as the state records it, or {@link Long#MIN_VALUE} for bytes too short to
     *         be state: orders a store's keys for expiry whichever model wrote them
     */
    public static long recordedSeenAt(final byte[] bytes) {
        return bytes == null || bytes.length < HEADER_BYTES ? Long.MIN_VALUE : ByteBuffer.wrap(bytes).getLong(HEADER_BYTES - 8);
    }

    /**
     * @param bytes a key's state
     * @return when the key was last seen, or {@link Long#MIN_VALUE} for state of another definition
     */
    public long seenAt(final byte[] bytes) {
        if (bytes == null || bytes.length != stateBytes()) {
            return Long.MIN_VALUE;
        }
        return ByteBuffer.wrap(bytes).getInt() == fingerprint ? recordedSeenAt(bytes) : Long.MIN_VALUE;
    }
}
