package dev.nelbo.scorer.pipeline;

import dev.nelbo.schemas.event.EventFormat;
import dev.nelbo.engine.entity.Cadence;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.state.BoundedKeyedStore;
import dev.nelbo.schemas.state.MapKeyedStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The silence test per key, over its bounded store, driven the way the pipeline drives it. */
class SilenceWatchTest {

    private static final Manifest.SilenceCalibration TEST = new Manifest.SilenceCalibration(
            Manifest.SilenceCalibration.CADENCE, 8.0, "empirical", 1e-5, 0, 0);
    /** Every background key sends once a second, give or take 100 ms. */
    private static final long INTERVAL = 1000;

    private final List<String> alerts = new ArrayList<>();
    private final List<Long> evicted = new ArrayList<>();

    private SilenceWatch watch(final MapKeyedStore<byte[]> map, final long maxKeys) {
        final PipelineSettings d = PipelineSettings.defaults(0);
        final PipelineSettings.Silence s = new PipelineSettings.Silence(true, 1000, 3_600_000,
                new BoundedKeyedStore.Bound(maxKeys, Long.MAX_VALUE));
        final PipelineSettings settings = new PipelineSettings(true, false, 3, 0, d.suppressionRetentionMs(),
                d.suppressionBound(), d.maxEventTimeSkewMs(), d.limits(), d.maxOutputBytes(), d.historyRetentionMs(),
                d.historyBound(), d.entity().withSilence(s), EventFormat.JSON);
        final SilenceWatch w = new SilenceWatch(settings.boundSilence(map, evicted::add), s.minMs());
        w.model(TEST);
        return w;
    }

    /** Keys key-0..key-(n-1) send once a second each from t0 to t1, in time order, jittered by a seeded random. */
    private void traffic(final SilenceWatch w, final int keys, final long t0, final long t1, final String quietAfter,
                         final long quietFrom, final long seed) {
        final SplittableRandom random = new SplittableRandom(seed);
        for (long t = t0; t < t1; t += INTERVAL) {
            for (int k = 0; k < keys; k++) {
                final String key = "key-" + k;
                if (key.equals(quietAfter) && t >= quietFrom) {
                    continue;
                }
                send(w, key, t + random.nextInt(100));
            }
        }
    }

    private void send(final SilenceWatch w, final String key, final long at) {
        w.observe(key, at);
        w.findOverdue((k, cadence, overdueAt, detectedAt) -> alerts.add(k + "@" + cadence.lastSeen() + ">" + detectedAt));
    }

    @Test
    void a_regular_key_that_goes_quiet_is_alerted_once_and_again_after_it_resumes_and_goes_quiet_again() {
        final SilenceWatch w = watch(new MapKeyedStore<>(), 1000);
        traffic(w, 5, 0, 60_000, "key-2", 40_000, 1);
        assertEquals(1, alerts.size(), alerts.toString());
        final String[] a = alerts.get(0).split("[@>]");
        assertEquals("key-2", a[0]);
        final long lastSeen = Long.parseLong(a[1]);
        assertTrue(lastSeen >= 39_000 && lastSeen < 40_000, "last seen before the silence: " + lastSeen);
        final long detected = Long.parseLong(a[2]) - lastSeen;
        // 8 reference intervals of about 1.05 s: found a little after 8.4 s, and well before twice that
        assertTrue(detected > 8_000 && detected < 12_000, "found " + detected + " ms after the last event");
        // key-2 comes back: its cadence is not stretched by the silence, so a second silence is found as fast
        traffic(w, 5, 60_000, 120_000, "key-2", 100_000, 2);
        assertEquals(2, alerts.size(), alerts.toString());
        final String[] b = alerts.get(1).split("[@>]");
        assertTrue(Long.parseLong(b[2]) - Long.parseLong(b[1]) < 12_000, alerts.get(1));
    }

    @Test
    void new_keys_and_forgotten_keys_are_not_alerted_and_one_forged_time_does_not_move_the_clock() {
        final MapKeyedStore<byte[]> map = new MapKeyedStore<>();
        final SilenceWatch w = watch(map, 1000);
        // a key with 10 events (fewer than 32 intervals) then quiet for an hour: not regular, never alerted
        for (int i = 0; i < 10; i++) {
            send(w, "young", i * INTERVAL);
        }
        // one key stamped a day ahead: the clock is the third-latest key's time, so nothing is overdue because of it
        send(w, "forger", 86_400_000L);
        traffic(w, 3, 10_000, 3_600_000, null, 0, 3);
        assertEquals(List.of(), alerts, "the young key is not regular, and the forged time moved no clock");
        // key-1 then stops; it is forgotten (retention) before the clock shows it overdue: no alert for a forgotten key
        send(w, "key-0", 3_600_500);
        send(w, "key-2", 3_600_500);
        final long purged = w.purge(3_600_599).expired();
        assertTrue(purged >= 2, "key-1 and young forgotten, got " + purged);
        traffic(w, 1, 3_601_000, 3_700_000, null, 0, 4);
        send(w, "key-2", 3_700_000);
        send(w, "key-3", 3_700_000);
        assertEquals(List.of(), alerts, "a key forgotten before it was due is not alerted");
        // a forgotten key that comes back is new: it needs 32 intervals again
        for (int i = 0; i < 10; i++) {
            send(w, "key-1", 3_700_000 + i * INTERVAL);
        }
        send(w, "key-0", 3_800_000);
        send(w, "key-2", 3_800_000);
        send(w, "key-3", 3_800_000);
        assertEquals(List.of(), alerts);
    }

    @Test
    void a_flood_of_new_keys_cannot_evict_a_regular_key_before_its_silence_is_found() {
        final SilenceWatch w = watch(new MapKeyedStore<>(), 50);
        traffic(w, 5, 0, 40_000, null, 0, 5);
        // key-4 falls silent while 100,000 fresh keys arrive (room for 50 keys in all)
        long t = 40_000;
        for (int i = 0; i < 100_000; i++) {
            send(w, "flood-" + i, t + i / 100);
            if (i % 1000 == 0) {
                t += INTERVAL;
                for (int k = 0; k < 4; k++) {
                    send(w, "key-" + k, t + i / 100);
                }
            }
        }
        assertEquals(1, alerts.size(), alerts.toString());
        assertTrue(alerts.get(0).startsWith("key-4@"), alerts.toString());
        assertTrue(evicted.stream().mapToLong(Long::longValue).sum() > 99_000, "the flood displaced itself");
        assertTrue(w.keys() <= 50);
    }

    @Test
    void after_a_restart_from_the_store_and_on_a_replay_the_same_silences_are_found() {
        // uninterrupted
        final SilenceWatch once = watch(new MapKeyedStore<>(), 1000);
        traffic(once, 6, 0, 60_000, "key-1", 40_000, 6);
        traffic(once, 6, 60_000, 120_000, "key-3", 80_000, 7);
        final List<String> uninterrupted = List.copyOf(alerts);
        assertEquals(2, uninterrupted.size(), uninterrupted.toString());
        // the same records with a restart in between: a new watch over the same store (the changelog's restore)
        alerts.clear();
        final MapKeyedStore<byte[]> map = new MapKeyedStore<>();
        traffic(watch(map, 1000), 6, 0, 60_000, "key-1", 40_000, 6);
        traffic(watch(map, 1000), 6, 60_000, 120_000, "key-3", 80_000, 7);
        assertEquals(uninterrupted, alerts);
    }

    @Test
    void a_cadence_resumed_after_an_alerted_silence_keeps_its_intervals() {
        Cadence c = Cadence.first(0);
        for (int i = 1; i <= 20; i++) {
            c = c.next(i * 1000L);
        }
        final Cadence resumed = c.resume(100_000);
        assertEquals(c.reference(), resumed.reference());
        assertEquals(100_000, resumed.lastSeen());
        assertTrue(c.next(100_000).reference() > 3 * c.reference(), "learnt, the silence would stretch the reference");
    }
}
