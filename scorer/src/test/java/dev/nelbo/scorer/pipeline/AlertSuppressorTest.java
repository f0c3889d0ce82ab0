package dev.nelbo.scorer.pipeline;

import dev.nelbo.schemas.state.KeyedStore;
import dev.nelbo.schemas.state.MapKeyedStore;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Suppression: one alert per key and window, the held-back count with the next alert, and bounded state. */
class AlertSuppressorTest {

    private final MapKeyedStore<Suppression> store = new MapKeyedStore<>();
    private final AtomicInteger untracked = new AtomicInteger();
    private final AlertSuppressor s = new AlertSuppressor(store, 1000, 5000, 3, untracked::incrementAndGet);

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
        final AlertSuppressor off = new AlertSuppressor(store, 0, 0, 3, untracked::incrementAndGet);
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
        KeyedStore.Figures f = s.purge();
        assertEquals(1, f.expired(), "quiet's window passed at 1000, the latest time seen is 1500");
        assertEquals(2, f.keys());
        assertEquals(("busy".length() + 16) + ("later".length() + 16), f.bytes());
        s.offer("later", 5001);
        f = s.purge();
        assertEquals(0, f.keys() - 1, "busy (1 held back) is dropped once its retention of 5000 passed");
        assertEquals(1, store.size());
    }

    @Test
    void a_full_state_tracks_no_new_key_but_lets_its_alerts_through() {
        s.offer("a", 0);
        s.offer("b", 0);
        s.offer("c", 0);
        assertEquals(0, s.offer("d", 1));
        assertEquals(0, s.offer("d", 2), "untracked: never held back");
        assertEquals(2, untracked.get());
        assertEquals(3, store.size());
        assertEquals(AlertSuppressor.HELD, s.offer("a", 3), "tracked keys keep their suppression");
    }

    @Test
    void refuses_a_retention_shorter_than_the_window() {
        assertThrows(IllegalArgumentException.class, () -> new AlertSuppressor(store, 1000, 999, 3, () -> { }));
    }
}
