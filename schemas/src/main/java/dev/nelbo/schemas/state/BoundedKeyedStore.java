package dev.nelbo.schemas.state;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;
import java.util.function.LongConsumer;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * Per-key state bounded in keys and in bytes, that makes room by evicting the least recently written key and
 * expires keys in the order they were last written, without scanning the store.
 *
 * <p>Why eviction rather than refusing new keys at the bound: a flood of distinct keys (a producer that writes a
 * fresh key per event) would otherwise fill the state and leave every real new entity untracked until the flood's
 * keys expire, a week by default. Evicting the least recently written keys keeps the entities that keep sending
 * and lets the flood displace only itself and the idle.
 *
 * <p>An in-memory index orders the keys by their last write; {@link #purge} walks it from the least recently
 * written key and stops at the first that has not expired, so a purge costs the keys it removes, not the store's
 * size. Keys written out of time order (a late record) are removed when the walk reaches them: a key can outlive its
 * expiry by as long as keys written before it are live, never by more than the longest expiry, and the bounds hold
 * meanwhile. The index is rebuilt from the store (restored from its changelog) when this is created, ordered by
 * each value's time.
 *
 * <p>A store may protect some keys ({@code protectedValue}): those that have earned their place (a key whose cadence
 * is known, which a silence test watches). Eviction takes the least recently written unprotected key first, and when
 * only protected keys are left besides the key just written, that key is the one evicted if it is unprotected: a
 * flood of new keys displaces only itself, never a protected key, which only expiry (or a store full of protected
 * keys) removes. Each kind keeps its own write order, so this costs no scan.
 *
 * <p>Bytes are an estimate of the heap the state takes: each key counted twice (the store's copy and the index's),
 * the value's serialized bytes, and {@link #ENTRY_OVERHEAD_BYTES} per key for the objects around them. Not
 * thread-safe: one per stream task.
 *
 * @param <V> the state of one key
 */
public final class BoundedKeyedStore<V> implements KeyedStore<V> {

    /**
     * Heap one entry takes besides its key and value bytes, for an in-memory Kafka Streams store (a tree map of byte
     * arrays) and this index: map nodes, the key's byte-array wrapper, array headers, the index entry and key string.
     * Measured on JDK 17 (G1, compressed oops): 384, 432 and 865 bytes per entry for 10-, 40- and 256-byte keys with
     * 124-byte values, which this constant accounts as 384, 444 and 876.
     */
    public static final int ENTRY_OVERHEAD_BYTES = 240;

    private final KeyedStore<V> store;
    private final Bound bound;
    private final ToLongFunction<V> valueBytes;
    private final LongConsumer onEvicted;
    private final Predicate<V> protectedValue;
    /** Unprotected key to its accounted bytes, least recently written first (access order: only {@link #put} touches it). */
    private final LinkedHashMap<String, Accounted> index = new LinkedHashMap<>(16, 0.75f, true);
    /** The same for protected keys. */
    private final LinkedHashMap<String, Accounted> kept = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    /**
     * @param store      the state (it may hold restored entries)
     * @param bound      most keys and accounted bytes held
     * @param valueBytes serialized size of a value
     * @param time       the time a value was last written at, to order restored entries
     * @param onEvicted  told how many keys were evicted to stay within the bounds, each time some are
     */
    public BoundedKeyedStore(final KeyedStore<V> store, final Bound bound, final ToLongFunction<V> valueBytes,
                             final ToLongFunction<V> time, final LongConsumer onEvicted) {
        this(store, bound, valueBytes, time, onEvicted, v -> false);
    }

    /**
     * @param store          the state (it may hold restored entries)
     * @param bound          most keys and accounted bytes held
     * @param valueBytes     serialized size of a value
     * @param time           the time a value was last written at, to order restored entries
     * @param onEvicted      told how many keys were evicted to stay within the bounds, each time some are
     * @param protectedValue whether a value's key is protected from eviction by unprotected keys
     */
    public BoundedKeyedStore(final KeyedStore<V> store, final Bound bound, final ToLongFunction<V> valueBytes,
                             final ToLongFunction<V> time, final LongConsumer onEvicted, final Predicate<V> protectedValue) {
        this.store = store;
        this.bound = bound;
        this.valueBytes = valueBytes;
        this.onEvicted = onEvicted;
        this.protectedValue = protectedValue;
        final List<Restored> restored = new ArrayList<>();
        store.forEach((key, value) -> restored.add(new Restored(key, time.applyAsLong(value),
                new Accounted(keyBytes(key), valueBytes.applyAsLong(value)), protectedValue.test(value))));
        restored.sort(Comparator.comparingLong(Restored::time));
        for (final Restored r : restored) {
            (r.kept() ? kept : index).put(r.key(), r.accounted());
            bytes += r.accounted().total();
        }
        evictBeyondBounds(null);
    }

    @Override
    public V get(final String key) {
        // the index holds every key the store does: most keys a task sees hold no state (a new entity, or one with no
        // evidence), and a hash lookup here spares the store's serde and tree (containsKey leaves the order alone)
        return index.containsKey(key) || kept.containsKey(key) ? store.get(key) : null;
    }

    @Override
    public void put(final String key, final V value) {
        final boolean keep = protectedValue.test(value);
        final LinkedHashMap<String, Accounted> to = keep ? kept : index;
        // get() moves the key to the most recently written end of its order
        Accounted a = to.get(key);
        if (a == null) {
            a = (keep ? index : kept).remove(key);
            if (a != null) {
                to.put(key, a);
            }
        }
        if (a == null) {
            final Accounted added = new Accounted(keyBytes(key), valueBytes.applyAsLong(value));
            to.put(key, added);
            bytes += added.total();
        } else {
            final long v = valueBytes.applyAsLong(value);
            bytes += v - a.valueBytes;
            a.valueBytes = v;
        }
        store.put(key, value);
        if (beyondBound()) {
            evictBeyondBounds(key);
        }
    }

    @Override
    public void delete(final String key) {
        Accounted a = index.remove(key);
        if (a == null) {
            a = kept.remove(key);
        }
        if (a != null) {
            bytes -= a.total();
        }
        store.delete(key);
    }

    @Override
    public long size() {
        return index.size() + kept.size();
    }

    /** @return the accounted bytes held */
    public long bytes() {
        return bytes;
    }

    @Override
    public void forEach(final BiConsumer<String, V> visitor) {
        store.forEach(visitor);
    }

    /**
     * @param lastSeen when a value's key was last seen
     * @param cutoff   the time before which a key has expired
     * @param <V>      the state of one key
     * @return whether a key was last seen before the cutoff, for {@link #purge}
     */
    public static <V> BiPredicate<String, V> seenBefore(final ToLongFunction<V> lastSeen, final long cutoff) {
        return (key, value) -> lastSeen.applyAsLong(value) < cutoff;
    }

    /**
     * Removes expired keys from the least recently written on, up to the first that has not expired.
     *
     * @param expired whether an entry has expired
     * @return the state's size afterwards, and how many keys were removed
     */
    public Figures purge(final BiPredicate<String, V> expired) {
        final long gone = purge(index, expired) + purge(kept, expired);
        return new Figures(size(), bytes, gone);
    }

    private long purge(final LinkedHashMap<String, Accounted> order, final BiPredicate<String, V> expired) {
        long gone = 0;
        final Iterator<Map.Entry<String, Accounted>> it = order.entrySet().iterator();
        while (it.hasNext()) {
            final Map.Entry<String, Accounted> e = it.next();
            final V value = store.get(e.getKey());
            if (value != null && !expired.test(e.getKey(), value)) {
                break;
            }
            it.remove();
            bytes -= e.getValue().total();
            store.delete(e.getKey());
            gone++;
        }
        return gone;
    }

    /**
     * Evicts the least recently written unprotected keys other than {@code keep}; then {@code keep} itself if it is
     * unprotected and protected keys are held (without any, a store keeps the key just written, as it always has);
     * then the least recently written protected keys, never {@code keep}, until the state is within its bounds.
     */
    private void evictBeyondBounds(final String keep) {
        long evicted = evict(index, keep);
        if (beyondBound() && keep != null && index.containsKey(keep) && !kept.isEmpty()) {
            delete(keep);
            evicted++;
        }
        evicted += evict(kept, keep);
        if (evicted > 0) {
            onEvicted.accept(evicted);
        }
    }

    private long evict(final LinkedHashMap<String, Accounted> order, final String keep) {
        long evicted = 0;
        final Iterator<Map.Entry<String, Accounted>> it = order.entrySet().iterator();
        while (beyondBound() && it.hasNext()) {
            final Map.Entry<String, Accounted> e = it.next();
            if (e.getKey().equals(keep)) {
                continue;
            }
            it.remove();
            bytes -= e.getValue().total();
            store.delete(e.getKey());
            evicted++;
        }
        return evicted;
    }

    private boolean beyondBound() {
        return size() > bound.maxKeys() || bytes > bound.maxBytes();
    }

    /** UTF-8 length of a key, without encoding it. */
    private static long keyBytes(final String key) {
        long n = 0;
        for (int i = 0; i < key.length(); i++) {
            final char c = key.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < key.length() && Character.isLowSurrogate(key.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** An entry's accounted bytes: its key counted twice (store and index), its value, and the overhead. */
    private static final class Accounted {
        private final long keyBytes;
        private long valueBytes;

        Accounted(final long keyBytes, final long valueBytes) {
            this.keyBytes = keyBytes;
            this.valueBytes = valueBytes;
        }

        long total() {
            return 2 * keyBytes + valueBytes + ENTRY_OVERHEAD_BYTES;
        }
    }

    /**
     * @param keys    keys held
     * @param bytes   accounted bytes of the entries held
     * @param expired keys just removed
     */
    public record Figures(long keys, long bytes, long expired) {
    }

    /**
     * @param maxKeys  most keys held
     * @param maxBytes most accounted bytes held
     */
    public record Bound(long maxKeys, long maxBytes) {

        /** @throws IllegalArgumentException unless both are positive */
        public Bound {
            if (maxKeys < 1 || maxBytes < 1) {
                throw new IllegalArgumentException("state bounds must be positive, got " + maxKeys + " keys, " + maxBytes
                        + " bytes");
            }
        }
    }

    private record Restored(String key, long time, Accounted accounted, boolean kept) {
    }
}
