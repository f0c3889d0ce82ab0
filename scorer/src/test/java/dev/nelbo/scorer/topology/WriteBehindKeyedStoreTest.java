package dev.nelbo.scorer.topology;

import dev.nelbo.schemas.state.MapKeyedStore;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class WriteBehindKeyedStoreTest {

    private final MapKeyedStore<String> store = new MapKeyedStore<>();
    private final WriteBehindKeyedStore<String> front = new WriteBehindKeyedStore<>(store);

    @Test
    void writes_reach_the_store_once_per_flush_and_reads_see_them_before() {
        store.put("old", "o1");
        front.put("a", "a1");
        front.put("a", "a2");
        front.put("old", "o2");
        assertEquals("a2", front.get("a"));
        assertEquals("o2", front.get("old"));
        assertNull(store.get("a"), "nothing written before the flush");
        assertEquals("o1", store.get("old"));
        assertEquals(1, front.size(), "the keys as of the last flush");
        front.flush();
        assertEquals("a2", store.get("a"));
        assertEquals("o2", store.get("old"));
        assertEquals(2, front.size());
        front.flush();
        assertEquals(2, store.size());
    }

    @Test
    void iterating_and_deleting_see_the_pending_writes() {
        front.put("a", "a1");
        final Map<String, String> seen = new HashMap<>();
        front.forEach(seen::put);
        assertEquals(Map.of("a", "a1"), seen);
        front.put("b", "b1");
        front.delete("b");
        assertNull(front.get("b"));
        assertNull(store.get("b"));
        front.flush();
        assertNull(store.get("b"), "a deleted key is not written back by a later flush");
        assertEquals(1, front.size());
    }

    @Test
    void deletes_wait_for_the_flush_like_writes_and_a_later_write_revives_the_key() {
        store.put("gone", "g1");
        store.put("back", "b1");
        front.delete("gone");
        front.delete("back");
        front.put("back", "b2");
        assertNull(front.get("gone"));
        assertEquals("g1", store.get("gone"), "evicting under a flood costs no store write per key until the commit");
        front.flush();
        assertNull(store.get("gone"));
        assertEquals("b2", store.get("back"));
    }
}
