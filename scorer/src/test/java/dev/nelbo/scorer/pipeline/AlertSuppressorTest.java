package dev.nelbo.scorer.pipeline;

import dev.nelbo.schemas.state.BoundedKeyedStore;
import dev.nelbo.schemas.state.MapKeyedStore;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Suppression: one alert per key and window, the held-back count with the next alert, and bounded state. */
class AlertSuppressorTest {

    private final AtomicLong evicted = new AtomicLong();
    private final BoundedKeyedStore<Suppression> store = AlertSuppressor.bounded(new MapKeyedStore<>(),
            new BoundedKeyedStore.Bound(3, Long.MAX_VALUE), evicted::addAndGet);
    private final AlertSuppressor s = new AlertSuppressor(store, 1000, 5000);

    @Test
    void holds_back_within_the_window_and_reports_the_count_with_the_next_alert() {
        assertEquals(0, s.offer("a", 0));
        assertEquals(AlertSuppressor.HELD, s.offer("a", 10));
        assertEquals(AlertSuppressor.HELD, s.offer("a", 999));
        assertEquals(0, s.offer("b", 500), "other keys are independent");
        assertEquals(2, s.offer("a", 1000));
        assertEquals(AlertSuppressor.HELD, s.offer("a", 1500));
    }

    @Test
    void events_without_a_key_and_a_zero_window_are_never_suppressed_and_store_nothing() {
        for (int i = 0; i < 10; i++) {
            assertEquals(0, s.offer(null, i));
        }
        final AlertSuppressor off = new AlertSuppressor(store, 0, 0);
        assertEquals(0, off.offer("a", 0));
        assertEquals(0, off.offer("a", 0));
        assertEquals(0, store.size());
    }

    @Test
    void entries_expire_after_the_window_or_with_a_count_after_the_retention() {
        s.offer("quiet", 0);
        s.offer("busy", 0);
        s.offer("busy", 100);
        s.offer("later", 1500);
        BoundedKeyedStore.Figures f = s.purge();
        assertEquals(1, f.expired(), "quiet's window passed at 1000, the latest time seen is 1500");
        assertEquals(2, f.keys());
        assertEquals(2 * "busy".length() + 2 * "later".length() + 2 * (16 + BoundedKeyedStore.ENTRY_OVERHEAD_BYTES), f.bytes());
        s.offer("later", 5001);
        f = s.purge();
        assertEquals(0, f.keys() - 1, "busy (1 held back) is dropped once its retention of 5000 passed");
        assertEquals(1, store.size());
    }

    @Test
    void a_full_state_evicts_the_least_recently_alerted_key_whose_next_alert_then_passes() {
        s.offer("a", 0);
        s.offer("b", 0);
        s.offer("c", 0);
        assertEquals(AlertSuppressor.HELD, s.offer("a", 1), "a is held back, and so written last");
        assertEquals(0, s.offer("d", 1), "a new key is tracked");
        assertEquals(AlertSuppressor.HELD, s.offer("d", 2), "and suppressed");
        assertEquals(1, evicted.get());
        assertEquals(3, store.size());
        assertEquals(0, s.offer("b", 3), "b, alerted least recently, was evicted: its alert passes");
        assertEquals(AlertSuppressor.HELD, s.offer("a", 3), "a keeps its suppression");
    }

    @Test
    void refuses_a_retention_shorter_than_the_window() {
        assertThrows(IllegalArgumentException.class, () -> new AlertSuppressor(store, 1000, 999));
    }
}
