package dev.nelbo.scorer.pipeline;

import dev.nelbo.engine.ScoringResults;
import dev.nelbo.engine.entity.EntityEvidence;
import dev.nelbo.schemas.state.BoundedKeyedStore;
import dev.nelbo.scorer.output.ScoreWriter;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The entity-level test per key: each scored event of a key moves the key's CUSUM statistic ({@link EntityEvidence})
 * by its surprise; the key is anomalous while the statistic is at or above the threshold, and one entity alert is due
 * when a run of evidence (from the statistic leaving 0 until it returns to 0) first reaches it. The run remembers its
 * first event (the estimated onset), its length, and each feature's contribution above its typical value summed over
 * the run, which the entity alert ranks its features by.
 *
 * <p>State lives in the task's bounded, changelogged store, one small value per key (statistic, last seen, onset, run
 * length, whether it alerted, onset id, the summed contributions), written in record order after scoring: a restart
 * restores it, and a replay of the same records gives the same statistics and alerts. The offline {@code score} command
 * runs one over an in-memory store, in file order. Not thread-safe: one monitor per pipeline.
 */
public final class EntityMonitor implements ScoreWriter.EntityRun {

    private static final byte FORMAT = 1;
    /** format, statistic, last seen, onset time, events, alerted, id length, feature count */
    private static final int HEADER_BYTES = 1 + 8 + 8 + 8 + 4 + 1 + 2 + 2;
    private static final int LAST_SEEN_AT = 1 + 8;

    private final BoundedKeyedStore<byte[]> store;
    /** The keys in the anomalous state (a few: a subset of the bounded store's keys), for the gauge. */
    private final Set<String> anomalousKeys = new HashSet<>();
    private EntityEvidence test;
    private int features;

    /** The last observation: read by the pipeline right after {@link #observe}. */
    private double statistic;
    private boolean alertDue;
    /** Whether the key's run has raised its alert. */
    private boolean alerted;
    private String onsetId;
    private long onsetTime;
    private int runEvents;
    private float[] runExcess = new float[0];

    /** @param store the task's entity store, bounded by {@code nelbo.entity.max.keys} and {@code .max.bytes} */
    public EntityMonitor(final BoundedKeyedStore<byte[]> store) {
        this.store = store;
    }

    /**
     * @param value a key's state
     * @return when the key was last seen, for the store's eviction order and the retention
     */
    static long lastSeen(final byte[] value) {
        return value == null || value.length < HEADER_BYTES || value[0] != FORMAT ? Long.MIN_VALUE
                : ByteBuffer.wrap(value).getLong(LAST_SEEN_AT);
    }

    /**
     * Follows the model: its entity test (null: the model has none, and nothing is observed), and its feature count
     * (a key's summed contributions from a model with other features start again).
     *
     * @param evidence the model's entity test, or null
     * @param featureCount the model's reconstructed features
     */
    public void model(final EntityEvidence evidence, final int featureCount) {
        this.test = evidence;
        this.features = featureCount;
        if (runExcess.length != featureCount) {
            runExcess = new float[featureCount];
        }
        // the restored (or the previous model's) state, against this model's threshold
        anomalousKeys.clear();
        if (evidence != null) {
            store.forEach((key, value) -> {
                read(value);
                if (evidence.anomalous(statistic)) {
                    anomalousKeys.add(key);
                }
            });
        }
    }

    /** @return whether the current model has an entity test */
    public boolean enabled() {
        return test != null;
    }

    /**
     * One scored event of a key, in record order.
     *
     * @param key     the entity key
     * @param results the batch's results
     * @param row     the event's row
     * @param eventId the event's id (the onset, when it starts a run)
     * @param at      the event's time for the state (bounded by the record timestamp and the scorer's clock)
     */
    public void observe(final String key, final ScoringResults results, final int row, final String eventId, final long at) {
        final byte[] before = store.get(key);
        read(before);
        final double surprise = EntityEvidence.surprise(results.tailProbability(row));
        final double previous = statistic;
        statistic = test.next(previous, surprise);
        alertDue = false;
        if (statistic == 0) {
            // no run: nothing to remember but the statistic (a key with none is not stored)
            runEvents = 0;
            onsetId = null;
            alerted = false;
            if (before != null) {
                store.delete(key);
            }
            anomalousKeys.remove(key);
            return;
        }
        if (previous == 0) {
            onsetId = eventId;
            onsetTime = at;
            runEvents = 0;
            alerted = false;
            Arrays.fill(runExcess, 0);
        }
        runEvents++;
        for (int f = 0; f < features; f++) {
            runExcess[f] += (float) results.excess(row, f);
        }
        final boolean anomalous = test.anomalous(statistic);
        if (anomalous) {
            anomalousKeys.add(key);
        } else {
            anomalousKeys.remove(key);
        }
        if (anomalous && !alerted) {
            alerted = true;
            alertDue = true;
        }
        // a key's last-seen time only moves forward: a record stamped in the past cannot age it
        store.put(key, write(Math.max(at, before == null ? Long.MIN_VALUE : lastSeen(before))));
    }

    @Override
    public double statistic() {
        return statistic;
    }

    @Override
    public double threshold() {
        return test.threshold();
    }

    /** @return whether the key is anomalous after the last event observed */
    public boolean anomalous() {
        return test.anomalous(statistic);
    }

    /** @return whether the last event observed brought its key's run to the threshold: an entity alert is due */
    boolean alertDue() {
        return alertDue;
    }

    @Override
    public String onsetEventId() {
        return onsetId;
    }

    @Override
    public long onsetTime() {
        return onsetTime;
    }

    @Override
    public int events() {
        return runEvents;
    }

    @Override
    public double excess(final int feature) {
        return runExcess[feature];
    }

    /** @return the keys in the anomalous state */
    long anomalousKeys() {
        return anomalousKeys.size();
    }

    /** @return the keys with a run held */
    long keys() {
        return store.size();
    }

    /** @return the accounted bytes held */
    long bytes() {
        return store.bytes();
    }

    /**
     * @param cutoff keys whose run was last seen before this are forgotten
     * @return the store's figures afterwards
     */
    BoundedKeyedStore.Figures purge(final long cutoff) {
        final BoundedKeyedStore.Figures f = store.purge(BoundedKeyedStore.seenBefore(EntityMonitor::lastSeen, cutoff));
        // keys purged or evicted from the store are no longer anomalous
        anomalousKeys.removeIf(k -> store.get(k) == null);
        return f;
    }

    private void read(final byte[] value) {
        statistic = 0;
        alerted = false;
        runEvents = 0;
        onsetId = null;
        onsetTime = Long.MIN_VALUE;
        if (value == null || value.length < HEADER_BYTES || value[0] != FORMAT) {
            return;
        }
        final ByteBuffer b = ByteBuffer.wrap(value);
        b.get();
        final double s = b.getDouble();
        b.getLong();
        final long onset = b.getLong();
        final int events = b.getInt();
        final boolean wasAlerted = b.get() != 0;
        final int idBytes = b.getShort() & 0xffff;
        final int featureCount = b.getShort() & 0xffff;
        if (value.length != HEADER_BYTES + idBytes + 4 * featureCount || !(s >= 0 && s <= 1e6)) {
            // not a state this code wrote: the key starts again rather than fail the task
            return;
        }
        final String id = new String(value, HEADER_BYTES, idBytes, StandardCharsets.UTF_8);
        b.position(HEADER_BYTES + idBytes);
        Arrays.fill(runExcess, 0);
        if (featureCount == features) {
            for (int f = 0; f < featureCount; f++) {
                runExcess[f] = b.getFloat();
            }
        }
        statistic = s;
        onsetTime = onset;
        runEvents = events;
        alerted = wasAlerted;
        onsetId = id;
    }

    private byte[] write(final long lastSeen) {
        final byte[] id = onsetId.getBytes(StandardCharsets.UTF_8);
        final ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + id.length + 4 * features);
        b.put(FORMAT).putDouble(statistic).putLong(lastSeen).putLong(onsetTime).putInt(runEvents)
                .put((byte) (alerted ? 1 : 0)).putShort((short) id.length).putShort((short) features).put(id);
        for (int f = 0; f < features; f++) {
            b.putFloat(runExcess[f]);
        }
        return b.array();
    }
}
