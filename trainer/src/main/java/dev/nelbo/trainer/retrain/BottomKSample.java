package dev.nelbo.trainer.retrain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * At most {@code k} records chosen in a way that does not depend on the order they arrive in: each record gets a
 * priority from its identity (partition, offset) or its timestamp, and the k smallest are kept (ties by partition
 * and offset). Kafka interleaves partitions differently on every read, so an order-dependent reservoir would train
 * a different model on every rerun; this one makes a rerun over the same window see the same rows, which is what
 * makes retraining idempotent.
 *
 * <p>{@link #uniform} keeps a pseudo-random sample (a hash of identity and seed); {@link #latest} and
 * {@link #earliest} keep a run of consecutive records by timestamp, which history features need: a key's
 * exponentially weighted statistics and previous value over a thinned-out sample would not be the ones the scorer
 * computes over every event.
 *
 * @param <T> record type
 */
public final class BottomKSample<T> {

    private record Entry<T>(long priority, long partition, long offset, T value) {
    }

    /** A record's priority (smallest kept). */
    @FunctionalInterface
    private interface Priority {
        long of(long partition, long offset, long timestamp);
    }

    private final int k;
    private final Priority priority;
    /** Which of two records is kept first: priority, then partition, then offset (the latest first for {@link #latest}). */
    private final Comparator<Entry<T>> order;
    private final PriorityQueue<Entry<T>> heap;
    private long seen;

    private BottomKSample(final int k, final Priority priority, final boolean newestFirst) {
        if (k < 1) {
            throw new IllegalArgumentException("sample size must be at least 1, got " + k);
        }
        this.k = k;
        this.priority = priority;
        this.order = Comparator.<Entry<T>>comparingLong(e -> e.priority).thenComparingLong(e -> e.partition)
                .thenComparingLong(e -> newestFirst ? ~e.offset : e.offset);
        // max-heap: the root is the entry to evict
        this.heap = new PriorityQueue<>(order.reversed());
    }

    /**
     * @param k    most records kept (&gt; 0)
     * @param seed sampling seed
     * @param <T>  record type
     * @return a uniform sample
     */
    public static <T> BottomKSample<T> uniform(final int k, final long seed) {
        return new BottomKSample<>(k, (partition, offset, timestamp) -> mix(mix(seed ^ partition) + offset) >>> 1, false);
    }

    /**
     * @param k   most records kept (&gt; 0)
     * @param <T> record type
     * @return the {@code k} records with the latest timestamps (of one timestamp, the latest offsets)
     */
    public static <T> BottomKSample<T> latest(final int k) {
        return new BottomKSample<>(k, (partition, offset, timestamp) -> ~timestamp, true);
    }

    /**
     * @param k   most records kept (&gt; 0)
     * @param <T> record type
     * @return the {@code k} records with the earliest timestamps
     */
    public static <T> BottomKSample<T> earliest(final int k) {
        return new BottomKSample<>(k, (partition, offset, timestamp) -> timestamp, false);
    }

    /**
     * Offers a record.
     *
     * @param partition its partition (or any stable group id)
     * @param offset    its offset within the partition
     * @param timestamp its record timestamp
     * @param value     the record
     */
    public void offer(final long partition, final long offset, final long timestamp, final T value) {
        seen++;
        final Entry<T> e = new Entry<>(priority.of(partition, offset, timestamp), partition, offset, value);
        if (heap.size() < k) {
            heap.add(e);
        } else if (order.compare(e, heap.peek()) < 0) {
            heap.poll();
            heap.add(e);
        }
    }

    /** @return records offered so far */
    public long seen() {
        return seen;
    }

    /** @return the sample in (partition, offset) order, so training order is stable too */
    public List<T> result() {
        final List<Entry<T>> entries = new ArrayList<>(heap);
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
