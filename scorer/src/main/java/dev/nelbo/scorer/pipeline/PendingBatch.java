package dev.nelbo.scorer.pipeline;

import dev.nelbo.engine.ScoringBatch;
import dev.nelbo.engine.ScoringEngine;
import dev.nelbo.engine.ScoringResults;

import java.util.Arrays;
import java.util.concurrent.Future;

/**
 * One engine batch with its results and, per row, what the row's outputs need: where the record came from,
 * its bytes (kept by reference: re-read only for an alert, a clamped value or the shadow model), id, key, event
 * time and the history state it was scored with (by reference too, for the shadow model). Nothing per record but
 * the strings the event carries.
 */
final class PendingBatch {

    final ScoringBatch batch;
    final ScoringResults results;
    final Origin[] origins;
    final byte[][] values;
    final String[] ids;
    final String[] keys;
    final Long[] eventTimes;
    final int[] clamps;
    final long[] pastEvents;
    final byte[][] historyStates;
    /** When each record was seen by the per-key state's clock ({@link ScoringPipeline#stateTime}). */
    final long[] seenAt;
    Future<?> scoring;
    long scoringNanos;

    PendingBatch(final ScoringEngine engine) {
        batch = engine.newBatch();
        results = engine.newResults();
        final int n = batch.capacity();
        origins = new Origin[n];
        values = new byte[n][];
        ids = new String[n];
        keys = new String[n];
        eventTimes = new Long[n];
        clamps = new int[n];
        pastEvents = new long[n];
        historyStates = new byte[n][];
        seenAt = new long[n];
    }

    int size() {
        return batch.size();
    }

    boolean isEmpty() {
        return batch.size() == 0;
    }

    boolean isFull() {
        return batch.size() == batch.capacity();
    }

    /** Keeps the row the decoder just wrote at {@link ScoringBatch#nextRow()}. */
    void commit(final Origin origin, final byte[] value, final String id, final String key, final Long eventTime,
                final int clamped, final long past, final byte[] historyState, final long seen) {
        final int row = batch.commitRow(id);
        origins[row] = origin;
        values[row] = value;
        ids[row] = id;
        keys[row] = key;
        eventTimes[row] = eventTime;
        clamps[row] = clamped;
        pastEvents[row] = past;
        historyStates[row] = historyState;
        seenAt[row] = seen;
    }

    void clear() {
        final int n = batch.size();
        // drop the references so the input bytes are not held until the slot fills again
        Arrays.fill(origins, 0, n, null);
        Arrays.fill(values, 0, n, null);
        Arrays.fill(historyStates, 0, n, null);
        batch.clear();
        scoring = null;
    }
}
