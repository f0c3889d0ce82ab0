package dev.nelbo.scorer.pipeline;

import dev.nelbo.engine.entity.Cadence;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.state.BoundedKeyedStore;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * The silence test per key: each key's {@link Cadence} (when it was last seen, how often it sends), and the keys that
 * have stayed quiet for longer than the model's calibrated factor of their own reference interval.
 *
 * <p><b>Clock.</b> A silence is the absence of events, so something other than the silent key's events must tell the
 * time. Here it is the task's clock: the {@value #CLOCK_KEYS}rd-latest last-seen time among the task's keys (each
 * task reads one partition of the events topic). It is event time, so a replay of the same records finds the same
 * silences at the same records, and a restart restores it from the store; taking the third key's time rather than the
 * latest means one key's forged future time cannot make every other key look overdue. What it cannot do: while a
 * whole partition is silent its clock stands still and no silence on it is found until a record arrives (a partition
 * with fewer than {@value #CLOCK_KEYS} keys never finds one). Every time here is the pipeline's state time: the event
 * time bounded by the record timestamp and by the scorer's wall clock.
 *
 * <p><b>Index.</b> Each regular key not yet alerted has one entry in a sorted set, at a time no later than when it is
 * overdue, so finding the overdue keys costs the keys found, not a scan of the store. An entry moves only when the key
 * would be overdue sooner than it says; an entry that comes due for a key that has sent since is moved to the key's
 * overdue time then. So most events touch no index entry, and a key is alerted at the same record as if every event
 * moved it. The entry's time is part of the key's state, so the index rebuilt from the store (on a restart, or when a
 * model is followed) is the index the uninterrupted run had.
 *
 * <p><b>State.</b> One value of {@value #VALUE_BYTES} bytes per key in the task's bounded, changelogged store (last
 * seen, mean and longest interval, intervals, whether its current silence was alerted, its index entry's time), written
 * in record order. A
 * regular key is protected in the store: a flood of new keys displaces only new keys ({@link BoundedKeyedStore}). A
 * key seen again after an alerted silence resumes its cadence without learning the silence as an interval. Keys idle
 * for {@code nelbo.silence.retention.ms} are forgotten; a forgotten key is new when it comes back. Not thread-safe:
 * one per pipeline.
 */
public final class SilenceWatch {

    /** Distinct keys whose last-seen times the clock needs: it is the latest time at least this many reached. */
    static final int CLOCK_KEYS = 3;
    private static final byte FORMAT = 1;
    /** format, last seen, mean, longest, intervals, alerted, index entry's time */
    static final int VALUE_BYTES = 1 + 8 + 8 + 8 + 4 + 1 + 8;
    private static final int LAST_SEEN_AT = 1;
    private static final int INTERVALS_AT = 1 + 8 + 8 + 8;
    /** No index entry. */
    private static final long UNSCHEDULED = Long.MIN_VALUE;

    private final BoundedKeyedStore<byte[]> store;
    private final long minSilenceMs;
    /** Regular keys not yet alerted, by when they are overdue. */
    private final TreeSet<Due> due = new TreeSet<>();
    /** The {@link #CLOCK_KEYS} keys with the latest last-seen times (distinct), and those times. */
    private final String[] clockKeys = new String[CLOCK_KEYS];
    private final long[] clockTimes = new long[CLOCK_KEYS];
    /** The model's factor, NaN without a silence test. */
    private double factor = Double.NaN;

    /**
     * @param store        the task's silence store, bounded by {@code nelbo.silence.max.keys} and {@code .max.bytes}
     * @param minSilenceMs the shortest silence alerted, whatever a key's cadence
     */
    public SilenceWatch(final BoundedKeyedStore<byte[]> store, final long minSilenceMs) {
        this.store = store;
        this.minSilenceMs = minSilenceMs;
        Arrays.fill(clockTimes, Long.MIN_VALUE);
    }

    /**
     * @param value a key's state
     * @return when the key was last seen, for the store's eviction order and the retention
     */
    static long lastSeen(final byte[] value) {
        return valid(value) ? ByteBuffer.wrap(value).getLong(LAST_SEEN_AT) : Long.MIN_VALUE;
    }

    /**
     * @param value a key's state
     * @return whether the key is regular: protected from eviction by new keys
     */
    static boolean regular(final byte[] value) {
        // per write (the store asks each time): the count alone, without decoding the rest
        return valid(value) && ByteBuffer.wrap(value).getInt(INTERVALS_AT) >= Cadence.MIN_INTERVALS;
    }

    /**
     * Follows the model's silence test (null: none, and the pipeline stops observing), and rebuilds the clock and the
     * index from the store.
     *
     * @param test the model's silence calibration, or null
     */
    public void model(final Manifest.SilenceCalibration test) {
        factor = test == null ? Double.NaN : test.factor();
        due.clear();
        Arrays.fill(clockKeys, null);
        Arrays.fill(clockTimes, Long.MIN_VALUE);
        store.forEach((key, value) -> {
            final State s = read(value);
            if (s == null) {
                return;
            }
            tick(key, s.cadence().lastSeen());
            // restored with the same model, each entry is where it was; a model that finds a key overdue sooner moves it
            final long at = !enabled() || s.alerted() || !s.cadence().regular() ? UNSCHEDULED
                    : s.scheduledAt() == UNSCHEDULED ? overdueAt(s.cadence()) : Math.min(s.scheduledAt(), overdueAt(s.cadence()));
            if (at != UNSCHEDULED) {
                due.add(new Due(at, key));
            }
            if (at != s.scheduledAt()) {
                store.put(key, write(new State(s.cadence(), s.alerted(), at)));
            }
        });
    }

    /**
     * One event of a key, in record order.
     *
     * @param key the entity key
     * @param at  the event's state time
     */
    public void observe(final String key, final long at) {
        final State before = read(store.get(key));
        final Cadence next;
        long scheduled = UNSCHEDULED;
        if (before == null) {
            next = Cadence.first(at);
        } else {
            next = before.alerted() ? before.cadence().resume(at) : before.cadence().next(at);
            scheduled = before.scheduledAt();
        }
        // a silence alerted stays alerted until the key is seen again after it
        final boolean alerted = before != null && before.alerted() && at < before.cadence().lastSeen();
        if (!alerted && next.regular()) {
            final long overdue = overdueAt(next);
            if (scheduled == UNSCHEDULED || overdue < scheduled) {
                if (scheduled != UNSCHEDULED) {
                    due.remove(new Due(scheduled, key));
                }
                due.add(new Due(overdue, key));
                scheduled = overdue;
            }
        }
        store.put(key, write(new State(next, alerted, scheduled)));
        tick(key, at);
    }

    /**
     * Hands each key overdue at the task's clock to {@code sink}, once per silence.
     *
     * @param sink told about each silent key
     */
    public void findOverdue(final Sink sink) {
        final long now = clock();
        while (!due.isEmpty() && due.first().at() < now) {
            final Due d = due.pollFirst();
            final State s = read(store.get(d.key()));
            // an entry left by a key since evicted, expired or moved
            if (s == null || s.alerted() || s.scheduledAt() != d.at()) {
                continue;
            }
            final long overdue = overdueAt(s.cadence());
            if (overdue >= now) {
                // the key has sent since the entry was made: it is due later
                due.add(new Due(overdue, d.key()));
                store.put(d.key(), write(new State(s.cadence(), false, overdue)));
                continue;
            }
            store.put(d.key(), write(new State(s.cadence(), true, UNSCHEDULED)));
            sink.silent(d.key(), s.cadence(), overdue, now);
        }
    }

    /** @return whether the model has a silence test */
    public boolean enabled() {
        return !Double.isNaN(factor);
    }

    /** @return the task's clock: the {@value #CLOCK_KEYS}rd-latest last-seen time of its keys, or MIN_VALUE */
    long clock() {
        long min = Long.MAX_VALUE;
        for (final long t : clockTimes) {
            min = Math.min(min, t);
        }
        return min;
    }

    /** @return keys followed */
    long keys() {
        return store.size();
    }

    /** @return the accounted bytes held */
    long bytes() {
        return store.bytes();
    }

    /**
     * @param cutoff keys last seen before this are forgotten
     * @return the store's figures afterwards
     */
    BoundedKeyedStore.Figures purge(final long cutoff) {
        // index entries of keys purged here are dropped when they come due (the store no longer has the key)
        return store.purge(BoundedKeyedStore.seenBefore(SilenceWatch::lastSeen, cutoff));
    }

    private long overdueAt(final Cadence c) {
        return c.overdueAt(factor, minSilenceMs);
    }

    /** Moves the clock: the keys with the latest times, each key once (a key's time only moves forward). */
    private void tick(final String key, final long at) {
        int min = 0;
        for (int i = 0; i < CLOCK_KEYS; i++) {
            if (key.equals(clockKeys[i])) {
                clockTimes[i] = Math.max(clockTimes[i], at);
                return;
            }
            if (clockTimes[i] < clockTimes[min]) {
                min = i;
            }
        }
        if (at > clockTimes[min]) {
            clockKeys[min] = key;
            clockTimes[min] = at;
        }
    }

    private static boolean valid(final byte[] value) {
        return value != null && value.length == VALUE_BYTES && value[0] == FORMAT;
    }

    private static State read(final byte[] value) {
        if (!valid(value)) {
            return null;
        }
        final ByteBuffer b = ByteBuffer.wrap(value, 1, VALUE_BYTES - 1);
        final long lastSeen = b.getLong();
        final double mean = b.getDouble();
        final double longest = b.getDouble();
        final int intervals = b.getInt();
        final boolean alerted = b.get() != 0;
        final long scheduledAt = b.getLong();
        if (!(mean >= 0 && longest >= 0 && intervals >= 0 && mean < 1e15 && longest < 1e15)) {
            // not a state this code wrote: the key starts again rather than fail the task
            return null;
        }
        return new State(new Cadence(lastSeen, mean, longest, intervals), alerted, scheduledAt);
    }

    private static byte[] write(final State s) {
        final Cadence c = s.cadence();
        return ByteBuffer.allocate(VALUE_BYTES).put(FORMAT).putLong(c.lastSeen()).putDouble(c.mean())
                .putDouble(c.longest()).putInt(c.intervals()).put((byte) (s.alerted() ? 1 : 0)).putLong(s.scheduledAt()).array();
    }

    /** Told about each silent key. */
    @FunctionalInterface
    public interface Sink {
        /**
         * @param key        the silent key
         * @param cadence    its cadence (last seen, reference interval)
         * @param overdueAt  when it became overdue
         * @param detectedAt the task's clock
         */
        void silent(String key, Cadence cadence, long overdueAt, long detectedAt);
    }

    /**
     * @param cadence     the key's cadence
     * @param alerted     whether its current silence was alerted
     * @param scheduledAt the time of its index entry, or {@link #UNSCHEDULED}
     */
    private record State(Cadence cadence, boolean alerted, long scheduledAt) {
    }

    private record Due(long at, String key) implements Comparable<Due> {
        @Override
        public int compareTo(final Due o) {
            final int c = Long.compare(at, o.at);
            return c != 0 ? c : key.compareTo(o.key);
        }
    }
}
