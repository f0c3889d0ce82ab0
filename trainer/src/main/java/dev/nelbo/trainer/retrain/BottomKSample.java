package dev.nelbo.trainer.retrain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Records chosen within {@link Bounds} (a count, bytes, and a share per key) in a way that does not depend on the
 * order they arrive in: each record gets a priority from its identity (partition, offset) or its timestamp, and the
 * smallest are kept (ties by partition and offset); a key's records beyond its cap are its largest. The cap per key
 * depends on arrival order in one corner (a key's record pushed out by its cap does not come back when the sample
 * later evicts that key's others for bytes); counts and bytes do not. Kafka interleaves partitions differently on
 * every read, so an order-dependent reservoir would train a different model on every rerun; this one makes a rerun
 * over the same window see the same rows, which is what makes retraining idempotent.
 *
 * <p>{@link #uniform} keeps a pseudo-random sample (a hash of identity and seed); {@link #latest} and
 * {@link #earliest} keep a run of consecutive records by timestamp, which history features need: a key's
 * exponentially weighted statistics and previous value over a thinned-out sample would not be the ones the scorer
 * computes over every event.
 *
 * @param <T> record type
 */
public final class BottomKSample<T> {

    /**
     * What a sample may hold.
     *
     * @param maxRecords most records
     * @param maxBytes   most bytes of the records (their values and keys)
     * @param maxPerKey  most records of one key, so that a burst or a flood under one key cannot choose the sample
     */
    public record Bounds(int maxRecords, long maxBytes, int maxPerKey) {

        /** @throws IllegalArgumentException unless every bound is at least 1 */
        public Bounds {
            if (maxRecords < 1 || maxBytes < 1 || maxPerKey < 1) {
                throw new IllegalArgumentException("sample bounds must be at least 1, got " + maxRecords + " records, "
                        + maxBytes + " bytes, " + maxPerKey + " per key");
            }
        }

        /**
         * @param maxRecords most records
         * @return that many records, of any size and key
         */
        public static Bounds records(final int maxRecords) {
            return new Bounds(maxRecords, Long.MAX_VALUE, maxRecords);
        }
    }

    private record Entry<T>(long priority, long partition, long offset, String key, long bytes, T value) {
    }

    /** A record's priority (smallest kept). */
    @FunctionalInterface
    private interface Priority {
        long of(long partition, long offset, long timestamp);
    }

    private final Bounds bounds;
    private final Priority priority;
    /** Which of two records is kept first: priority, then partition, then offset (the latest first for {@link #latest}). */
    private final Comparator<Entry<T>> order;
    private final TreeSet<Entry<T>> kept;
    /** Each key's kept records, when the cap per key is below the sample's (else no key can reach it). */
    private final Map<String, TreeSet<Entry<T>>> byKey = new HashMap<>();
    /**
     * The first record evicted to keep within the bounds: later records must come before it. The sample is then all
     * records seen before it (less those beyond their key's cap), so it stays a bottom-k sample of a smaller k.
     */
    private Entry<T> threshold;
    private long bytes;
    private long seen;
    private long overKeyCap;

    private BottomKSample(final Bounds bounds, final Priority priority, final boolean newestFirst) {
        this.bounds = bounds;
        this.priority = priority;
        this.order = Comparator.<Entry<T>>comparingLong(e -> e.priority).thenComparingLong(e -> e.partition)
                .thenComparingLong(e -> newestFirst ? ~e.offset : e.offset);
        this.kept = new TreeSet<>(order);
    }

    /**
     * @param bounds what the sample may hold
     * @param seed   sampling seed
     * @param <T>    record type
     * @return a uniform sample
     */
    public static <T> BottomKSample<T> uniform(final Bounds bounds, final long seed) {
        return new BottomKSample<>(bounds, (partition, offset, timestamp) -> mix(mix(seed ^ partition) + offset) >>> 1, false);
    }

    /**
     * @param bounds what the sample may hold
     * @param <T>    record type
     * @return the records with the latest timestamps (of one timestamp, the latest offsets)
     */
    public static <T> BottomKSample<T> latest(final Bounds bounds) {
        return new BottomKSample<>(bounds, (partition, offset, timestamp) -> ~timestamp, true);
    }

    /**
     * @param bounds what the sample may hold
     * @param <T>    record type
     * @return the records with the earliest timestamps
     */
    public static <T> BottomKSample<T> earliest(final Bounds bounds) {
        return new BottomKSample<>(bounds, (partition, offset, timestamp) -> timestamp, false);
    }

    /**
     * Offers a record.
     *
     * @param partition its partition (or any stable group id)
     * @param offset    its offset within the partition
     * @param timestamp its record timestamp
     * @param key       its key (records without one are not capped per key), or null
     * @param size      its bytes
     * @param value     the record
     */
    public void offer(final long partition, final long offset, final long timestamp, final String key, final long size,
                      final T value) {
        seen++;
        final Entry<T> e = new Entry<>(priority.of(partition, offset, timestamp), partition, offset, key, size, value);
        if (threshold != null && order.compare(e, threshold) >= 0) {
            return;
        }
        if (key != null && bounds.maxPerKey() < bounds.maxRecords()) {
            final TreeSet<Entry<T>> mine = byKey.computeIfAbsent(key, k -> new TreeSet<>(order));
            if (mine.size() >= bounds.maxPerKey()) {
                overKeyCap++;
                if (order.compare(e, mine.last()) >= 0) {
                    return;
                }
                remove(mine.last());
            }
            mine.add(e);
        }
        kept.add(e);
        bytes += e.bytes;
        while (kept.size() > bounds.maxRecords() || bytes > bounds.maxBytes()) {
            final Entry<T> last = kept.last();
            remove(last);
            threshold = last;
        }
    }

    private void remove(final Entry<T> e) {
        kept.remove(e);
        bytes -= e.bytes;
        final TreeSet<Entry<T>> mine = e.key == null ? null : byKey.get(e.key);
        if (mine != null) {
            mine.remove(e);
            if (mine.isEmpty()) {
                byKey.remove(e.key);
            }
        }
    }

    /** @return records offered so far */
    public long seen() {
        return seen;
    }

    /** @return records left out (or pushed out) because their key held its most */
    public long overKeyCap() {
        return overKeyCap;
    }

    /** @return bytes of the records kept */
    public long bytes() {
        return bytes;
    }

    /** @return the sample in (partition, offset) order, so training order is stable too */
    public List<T> result() {
        final List<Entry<T>> entries = new ArrayList<>(kept);
        entries.sort(Comparator.<Entry<T>>comparingLong(e -> e.partition).thenComparingLong(e -> e.offset));
        final List<T> out = new ArrayList<>(entries.size());
        for (Entry<T> e : entries) {
            out.add(e.value);
        }
        return out;
    }

    /** SplitMix64 finaliser (priorities use its top 63 bits, so they compare as non-negative longs). */
    static long mix(final long x) {
        long z = x + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
