package dev.nelbo.schemas.state;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BoundedKeyedStoreTest {

    /** A store of times (value = the time written), counting its reads. */
    private static final class CountingStore extends AtomicLong implements KeyedStore<Long> {
        private final MapKeyedStore<Long> map = new MapKeyedStore<>();

        @Override
        public Long get(final String key) {
            incrementAndGet();
            return map.get(key);
        }

        @Override
        public void put(final String key, final Long value) {
            map.put(key, value);
        }

        @Override
        public void delete(final String key) {
            map.delete(key);
        }

        @Override
        public long size() {
            return map.size();
        }

        @Override
        public void forEach(final java.util.function.BiConsumer<String, Long> visitor) {
            map.forEach(visitor);
        }
    }

    private final List<Long> evicted = new ArrayList<>();

    private BoundedKeyedStore<Long> bounded(final KeyedStore<Long> store, final long maxKeys, final long maxBytes) {
        return new BoundedKeyedStore<>(store, new BoundedKeyedStore.Bound(maxKeys, maxBytes), v -> 8, v -> v, evicted::add);
    }

    private static long entry(final String key) {
        return 2L * key.length() + 8 + BoundedKeyedStore.ENTRY_OVERHEAD_BYTES;
    }

    @Test
    void protected_keys_are_displaced_by_no_flood_and_restored_into_their_kind() {
        // values >= 1000 are protected (a key with a known cadence, say); the store holds 10 keys
        final MapKeyedStore<Long> map = new MapKeyedStore<>();
        final BoundedKeyedStore<Long> store = new BoundedKeyedStore<>(map, new BoundedKeyedStore.Bound(10, Long.MAX_VALUE),
                v -> 8, v -> v % 1000, evicted::add, v -> v >= 1000);
        for (int i = 0; i < 8; i++) {
            store.put("regular-" + i, 1000L + i);
        }
        // a flood of 10,000 new keys, each written after the regular keys: it displaces only its own kind
        for (int i = 0; i < 10_000; i++) {
            store.put("flood-" + i, (long) (i % 1000));
        }
        assertEquals(10, store.size());
        for (int i = 0; i < 8; i++) {
            assertNotNull(store.get("regular-" + i), "regular-" + i + " survives the flood");
        }
        assertNotNull(store.get("flood-9999"), "the newest unprotected key holds the one free place");
        // full of protected keys but for one place: a new key takes it, the next one displaces it, not a protected key
        store.put("regular-8", 1008L);
        store.put("new-a", 1L);
        assertNull(store.get("flood-9999"));
        store.put("new-b", 2L);
        assertNull(store.get("new-a"));
        assertNotNull(store.get("new-b"));
        // with only protected keys, the key just written is refused rather than a protected key evicted
        store.put("regular-9", 1009L);
        store.put("new-c", 3L);
        assertNull(store.get("new-c"), "no room for a new key among 10 protected ones");
        for (int i = 0; i < 10; i++) {
            assertNotNull(store.get("regular-" + i));
        }
        // a key that becomes protected moves to the protected order; one that stops being protected moves back
        store.put("regular-0", 5L);
        store.put("new-d", 6L);
        assertNull(store.get("regular-0"), "no longer protected: the oldest unprotected key goes first");
        assertEquals(10, store.size());
        // restored from the store: each key into its kind, so the protection survives a restart
        final BoundedKeyedStore<Long> restored = new BoundedKeyedStore<>(map, new BoundedKeyedStore.Bound(10,
                Long.MAX_VALUE), v -> 8, v -> v % 1000, evicted::add, v -> v >= 1000);
        for (int i = 0; i < 100; i++) {
            restored.put("flood2-" + i, 7L);
        }
        for (int i = 1; i < 10; i++) {
            assertNotNull(restored.get("regular-" + i), "regular-" + i + " after the restore and a second flood");
        }
        // expiry removes protected keys like any other
        assertEquals(10, restored.purge((k, v) -> true).expired());
        assertEquals(0, restored.size());
    }

    @Test
    void a_flood_of_new_keys_evicts_the_least_recently_written_and_keeps_the_keys_that_keep_writing() {
        final BoundedKeyedStore<Long> s = bounded(new MapKeyedStore<>(), 100, Long.MAX_VALUE);
        long time = 0;
        for (int i = 0; i < 10_000; i++) {
            // a real entity writes every tenth event; the flood writes a fresh key each time
            s.put(i % 10 == 0 ? "real" : "flood-" + i, time++);
        }
        assertEquals(100, s.size());
        assertNotNull(s.get("real"), "the key that keeps writing survives the flood");
        assertEquals(9_000 + 1 - 100, evicted.stream().mapToLong(Long::longValue).sum(), "each flood key beyond the bound");
    }

    @Test
    void the_byte_bound_counts_long_keys_and_evicts_as_many_as_it_takes() {
        final String longKey = "x".repeat(768);
        final BoundedKeyedStore<Long> s = bounded(new MapKeyedStore<>(), Long.MAX_VALUE, 10 * entry(longKey));
        for (int i = 0; i < 10; i++) {
            s.put(longKey.substring(3) + String.format("%03d", i), (long) i);
        }
        assertEquals(10, s.size());
        assertEquals(10 * entry(longKey), s.bytes());
        s.put("é€😀", 11L);
        assertEquals(1, evicted.get(0), "one long key makes room for a short one");
        assertEquals(9 * entry(longKey) + 2L * (2 + 3 + 4) + 8 + BoundedKeyedStore.ENTRY_OVERHEAD_BYTES, s.bytes(),
                "UTF-8 lengths: 2, 3 and 4 bytes");
        assertNull(s.get(longKey.substring(3) + "000"));
    }

    @Test
    void the_key_being_written_is_never_evicted_even_when_it_alone_exceeds_the_bound() {
        final BoundedKeyedStore<Long> s = bounded(new MapKeyedStore<>(), 10, 1);
        s.put("a", 1L);
        s.put("b", 2L);
        assertEquals(1, s.size());
        assertNotNull(s.get("b"));
    }

    @Test
    void rewriting_a_key_makes_it_the_most_recent() {
        final BoundedKeyedStore<Long> s = bounded(new MapKeyedStore<>(), 2, Long.MAX_VALUE);
        s.put("a", 1L);
        s.put("b", 2L);
        s.put("a", 3L);
        s.put("c", 4L);
        assertNull(s.get("b"));
        assertNotNull(s.get("a"));
    }

    @Test
    void a_purge_reads_only_the_keys_it_removes_and_the_first_it_keeps() {
        final CountingStore inner = new CountingStore();
        final BoundedKeyedStore<Long> s = bounded(inner, Long.MAX_VALUE, Long.MAX_VALUE);
        for (long t = 0; t < 100_000; t++) {
            s.put("k" + t, t);
        }
        inner.set(0);
        final BoundedKeyedStore.Figures f = s.purge((k, v) -> v < 10);
        assertEquals(10, f.expired());
        assertEquals(99_990, f.keys());
        assertEquals(11, inner.get(), "10 expired and the first live key, not 100,000");
        assertEquals(s.bytes(), f.bytes());
        assertEquals(0, s.purge((k, v) -> v < 10).expired());
    }

    @Test
    void a_store_restored_in_any_order_is_indexed_by_time_and_cut_to_a_lowered_bound() {
        final MapKeyedStore<Long> restored = new MapKeyedStore<>();
        final Random rnd = new Random(7);
        final List<Long> times = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            final long t = rnd.nextInt(1_000_000);
            times.add(t);
            restored.put("key-" + t + "-" + i, t);
        }
        final BoundedKeyedStore<Long> s = bounded(restored, 600, Long.MAX_VALUE);
        assertEquals(List.of(400L), evicted, "a bound lowered across a restart applies at once");
        final long cut = times.stream().sorted().skip(400).findFirst().orElseThrow();
        final long[] oldest = {Long.MAX_VALUE};
        s.forEach((k, v) -> oldest[0] = Math.min(oldest[0], v));
        assertEquals(cut, oldest[0], "the oldest 400 went");
        final BoundedKeyedStore.Figures f = s.purge((k, v) -> v < cut + 1000);
        final long expected = times.stream().filter(t -> t >= cut && t < cut + 1000).count();
        assertEquals(expected, f.expired(), "expiry in time order");
    }

    @Test
    void deleting_gives_back_the_bytes_and_bounds_must_be_positive() {
        final BoundedKeyedStore<Long> s = bounded(new MapKeyedStore<>(), 10, Long.MAX_VALUE);
        s.put("a", 1L);
        s.delete("a");
        s.delete("never");
        assertEquals(0, s.size());
        assertEquals(0, s.bytes());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new BoundedKeyedStore.Bound(0, 1)).getMessage()
                .contains("positive"));
    }
}
