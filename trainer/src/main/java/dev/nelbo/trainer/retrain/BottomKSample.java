package dev.nelbo.trainer.retrain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A uniform sample of at most {@code k} records that does not depend on the order they arrive in:
 * each record gets a pseudo-random priority from a hash of its identity (partition and offset) and
 * the seed, and the k smallest priorities are kept. Kafka interleaves partitions differently on every
 * read, so an order-dependent reservoir would train a different model on every rerun; this one makes
 * a rerun over the same window see the same rows, which is what makes retraining idempotent.
 *
 * @param <T> record type
 */
public final class BottomKSample<T> {

    private record Entry<T>(long priority, long partition, long offset, T value) {
    }

    private final int k;
    private final long seed;
    private final PriorityQueue<Entry<T>> heap;
    private long seen;

    /**
     * @param k    most records kept (&gt; 0)
     * @param seed sampling seed
     */
    public BottomKSample(final int k, final long seed) {
        if (k < 1) {
            throw new IllegalArgumentException("sample size must be at least 1, got " + k);
        }
        this.k = k;
        this.seed = seed;
        // max-heap on priority: the root is the entry to evict
        this.heap = new PriorityQueue<>(Comparator.comparingLong((Entry<T> e) -> e.priority).reversed());
    }

    /**
     * Offers a record.
     *
     * @param partition its partition (or any stable group id)
     * @param offset    its offset within the partition
     * @param value     the record
     */
    public void offer(final long partition, final long offset, final T value) {
        seen++;
        final long p = mix(mix(seed ^ partition) + offset) >>> 1;
        if (heap.size() < k) {
            heap.add(new Entry<>(p, partition, offset, value));
        } else if (p < heap.peek().priority) {
            heap.poll();
            heap.add(new Entry<>(p, partition, offset, value));
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
