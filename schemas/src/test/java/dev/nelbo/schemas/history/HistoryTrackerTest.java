package dev.nelbo.schemas.history;

import dev.nelbo.schemas.state.MapKeyedStore;
import dev.nelbo.schemas.state.BoundedKeyedStore;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.encoding.RawValue;
import dev.nelbo.schemas.event.EventFields;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;
import dev.nelbo.schemas.spec.HistoryDef;
import dev.nelbo.schemas.spec.HistoryStat;
import dev.nelbo.schemas.testing.TestData;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HistoryTrackerTest {

    private static final FeatureSpec SPEC = TestData.historySpec();
    private static final int RECENT = 4;
    private static final int SPREAD = 5;
    private static final int EVENTS = 6;

    private static EventFields event(final String key, final long ts, final double latency) {
        final ObjectNode e = TestData.event(new Random(1), 1);
        e.put("key", key);
        e.put("ts", ts);
        e.putObject("http").put("latency_ms", latency);
        return TestData.fields(SPEC, e);
    }

    private static RawValue read(final HistoryTracker t, final int feature) {
        final RawValue v = new RawValue();
        t.read(feature, v);
        return v;
    }

    @Test
    void history_features_are_the_key_s_weighted_mean_and_spread_of_its_past_values_computed_sequentially() {
        final HistoryTracker t = new HistoryTracker(EntityHistory.forSpec(SPEC), new MapKeyedStore<>(), null, false);
        final double a = 1 - Math.pow(2, -1.0 / 5);
        double mean = 0;
        double var = 0;
        final double[] values = {10, 20, 15, 40, 12};
        for (int i = 0; i < values.length; i++) {
            t.bind(event("k", 1000L * i, values[i]), "k", 1000L * i, 1000L * i);
            assertEquals(Math.log1p(i), read(t, EVENTS).number(), 0.0);
            if (i == 0) {
                assertEquals(RawValue.Kind.ABSENT, read(t, RECENT).kind(), "a new key has no history");
                assertEquals(RawValue.Kind.ABSENT, read(t, SPREAD).kind());
            } else {
                assertEquals(mean, read(t, RECENT).number(), 0.0);
                if (i == 1) {
                    assertEquals(RawValue.Kind.ABSENT, read(t, SPREAD).kind(), "a spread needs two values");
                } else {
                    assertEquals(Math.sqrt(var), read(t, SPREAD).number(), 0.0);
                }
            }
            // the record's own features read through
            assertEquals(values[i], read(t, 0).number(), 0.0);
            t.commit();
            final double v = Math.log1p(values[i]);
            if (i == 0) {
                mean = v;
            } else {
                final double d = v - mean;
                mean += a * d;
                var = (1 - a) * (var + a * d * d);
            }
        }
        t.bind(event("other", 0, 10), "other", 0L, 0L);
        assertEquals(0.0, read(t, EVENTS).number(), 0.0, "keys do not share history");
    }

    @Test
    void state_survives_the_store_byte_for_byte_and_state_of_another_definition_reads_as_none() {
        final MapKeyedStore<byte[]> store = new MapKeyedStore<>();
        final HistoryTracker t = new HistoryTracker(EntityHistory.forSpec(SPEC), store, null, false);
        for (int i = 0; i < 7; i++) {
            t.bind(event("k", i, 10 + i), "k", (long) i, i);
            t.commit();
        }
        final byte[] saved = store.get("k").clone();
        final HistoryTracker again = new HistoryTracker(EntityHistory.forSpec(SPEC), store, null, false);
        again.bind(event("k", 7, 1), "k", 7L, 7);
        assertEquals(7, again.pastEvents());
        assertArrayEquals(saved, store.get("k"), "binding does not change the state");

        final List<FeatureDef> other = new ArrayList<>(SPEC.features());
        other.set(RECENT, new FeatureDef("latency_recent", null, FeatureType.CONTINUOUS, null, null, true, null,
                new HistoryDef("latency_ms", HistoryStat.EWM_MEAN, 50)));
        final FeatureSpec changed = new FeatureSpec("event_id", "key", "ts", 8, other);
        final HistoryTracker newer = new HistoryTracker(EntityHistory.forSpec(changed), store, null, false);
        newer.bind(event("k", 8, 1), "k", 8L, 8);
        assertEquals(0, newer.pastEvents(), "a model with other history definitions starts the key afresh");
    }

    @Test
    void an_extreme_value_far_outside_the_training_range_never_enters_the_history_and_the_store_is_bounded() {
        final FeatureEncoder encoder = TestData.fittedEncoder(SPEC, 3, 500);
        final List<Long> evicted = new ArrayList<>();
        final BoundedKeyedStore<byte[]> store = new BoundedKeyedStore<>(new MapKeyedStore<>(),
                new BoundedKeyedStore.Bound(2, 1 << 20), v -> v.length, EntityHistory::recordedSeenAt, evicted::add);
        final HistoryTracker t = new HistoryTracker(EntityHistory.forSpec(SPEC), store, encoder, false);
        t.bind(event("k", 0, 50), "k", 0L, 0);
        t.commit();
        t.bind(event("k", 1, 1e300), "k", 1L, 1);
        t.commit();
        t.bind(event("k", 2, 50), "k", 2L, 2);
        assertEquals(Math.log1p(50), read(t, RECENT).number(), 0.0, "1e300 was left out of the mean");
        assertEquals(2, t.pastEvents(), "but the event was counted");
        t.commit();
        t.bind(event("j", 3, 50), "j", 3L, 3);
        t.commit();
        t.bind(event("new", 4, 50), "new", 4L, 4);
        assertEquals(0, t.pastEvents());
        t.commit();
        assertEquals(2, store.size(), "at max keys 2 a third key evicts the least recently seen");
        assertEquals(List.of(1L), evicted);
        assertNull(store.get("k"), "k was seen least recently");
        t.bind(event("j", 10_000, 50), "j", 10_000L, 10_000);
        t.commit();
        final BoundedKeyedStore.Figures f = store.purge(t.idleLongerThan(5_000));
        assertEquals(1, f.expired(), "new, idle for 9.996 s, expired");
        assertEquals(1, f.keys());
        assertTrue(store.get("j") != null && store.get("new") == null);
    }

    @Test
    void a_share_of_training_rows_hides_its_history_the_same_way_in_every_pass() {
        final HistoryTracker a = new HistoryTracker(EntityHistory.forSpec(SPEC), new MapKeyedStore<>(), null, true);
        final HistoryTracker b = new HistoryTracker(EntityHistory.forSpec(SPEC), new MapKeyedStore<>(), null, true);
        int hidden = 0;
        for (int i = 0; i < 4000; i++) {
            final String key = "k" + (i % 40);
            a.bind(event(key, i, 10), key, (long) i, i);
            b.bind(event(key, i, 10), key, (long) i, i);
            assertEquals(a.pastEvents(), b.pastEvents());
            if (i >= 40 && a.pastEvents() == 0) {
                hidden++;
            }
            a.commit();
            b.commit();
        }
        assertEquals(0.05 * 3960, hidden, 60, "about 5% of rows with history hide it");
    }

    @Test
    void a_spec_with_history_says_what_it_is_missing() throws Exception {
        final List<FeatureDef> noEvents = new ArrayList<>(SPEC.features().subList(0, EVENTS));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FeatureSpec("event_id", "key", "ts", 8, noEvents))
                .getMessage().contains("\"events\""));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FeatureSpec("event_id", null, "ts", 8,
                SPEC.features())).getMessage().contains("key_path"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new HistoryDef("x", HistoryStat.EVENTS, null))
                .getMessage().contains("remove \"of\""));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FeatureDef("h", null, FeatureType.CONTINUOUS, null,
                null, null, null, new HistoryDef(null, HistoryStat.EVENTS, null))).getMessage().contains("context"));
        final List<FeatureDef> badSource = new ArrayList<>(SPEC.features());
        badSource.set(RECENT, new FeatureDef("latency_recent", null, FeatureType.CONTINUOUS, null, null, true, null,
                new HistoryDef("region", HistoryStat.EWM_MEAN, 5)));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FeatureSpec("event_id", "key", "ts", 8, badSource))
                .getMessage().contains("not a continuous feature"));
        // the spec reads back from JSON as written
        final FeatureSpec json = Json.DOCUMENTS.readValue(Json.DOCUMENTS.writeValueAsString(SPEC), FeatureSpec.class);
        assertEquals(SPEC, json);
    }

    /** The spec with its weighted statistics on a half-life of {@code halfLife} of event time. */
    private static FeatureSpec timeSpec(final String halfLife) {
        final List<FeatureDef> features = new ArrayList<>(SPEC.features());
        features.set(RECENT, new FeatureDef("latency_recent", null, FeatureType.CONTINUOUS, null, null, true, null,
                new HistoryDef("latency_ms", HistoryStat.EWM_MEAN, null, halfLife)));
        features.set(SPREAD, new FeatureDef("latency_spread", null, FeatureType.CONTINUOUS, null, null, true, null,
                new HistoryDef("latency_ms", HistoryStat.EWM_STD, null, halfLife)));
        return new FeatureSpec("event_id", "key", "ts", 8, features);
    }

    @Test
    void with_a_half_life_in_time_each_past_value_weighs_two_to_the_minus_its_age_over_the_half_life() {
        final FeatureSpec spec = timeSpec("PT10S");
        final HistoryTracker t = new HistoryTracker(EntityHistory.forSpec(spec), new MapKeyedStore<>(), null, false);
        final Random rnd = new Random(4);
        final List<long[]> seen = new ArrayList<>();
        final List<Double> values = new ArrayList<>();
        long time = 1_700_000_000_000L;
        for (int i = 0; i < 60; i++) {
            // irregular: bursts within one millisecond, seconds, and a gap of minutes
            time += i == 30 ? 600_000 : rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(20_000);
            final double latency = 5 + 100 * rnd.nextDouble();
            t.bind(event("k", time, latency), "k", time, time);
            if (i >= 2) {
                double w = 0;
                double m = 0;
                for (int j = 0; j < values.size(); j++) {
                    final double weight = Math.pow(2, -(seen.get(seen.size() - 1)[0] - seen.get(j)[0]) / 10_000.0);
                    w += weight;
                    m += weight * values.get(j);
                }
                m /= w;
                double v = 0;
                for (int j = 0; j < values.size(); j++) {
                    final double weight = Math.pow(2, -(seen.get(seen.size() - 1)[0] - seen.get(j)[0]) / 10_000.0);
                    v += weight * (values.get(j) - m) * (values.get(j) - m);
                }
                v /= w;
                assertEquals(m, read(t, RECENT).number(), 1e-9, "weighted mean before event " + i);
                assertEquals(Math.sqrt(v), read(t, SPREAD).number(), 1e-7, "weighted spread before event " + i);
            }
            t.commit();
            seen.add(new long[] {time});
            values.add(Math.log1p(latency));
        }
    }

    @Test
    void an_event_without_a_time_stays_out_of_time_weighted_statistics_and_the_spec_needs_a_timestamp_path() throws Exception {
        final FeatureSpec spec = timeSpec("PT1M");
        final HistoryTracker t = new HistoryTracker(EntityHistory.forSpec(spec), new MapKeyedStore<>(), null, false);
        t.bind(event("k", 0, 10), "k", null, 0);
        t.commit();
        t.bind(event("k", 0, 20), "k", null, 1);
        assertEquals(1, t.pastEvents(), "the event counts");
        assertEquals(RawValue.Kind.ABSENT, read(t, RECENT).kind(), "but no time, no weight");
        t.commit();
        t.bind(event("k", 5_000, 30), "k", 5_000L, 2);
        t.commit();
        t.bind(event("k", 6_000, 30), "k", 6_000L, 3);
        assertEquals(Math.log1p(30), read(t, RECENT).number(), 1e-12, "only the timed value");

        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FeatureSpec("event_id", "key", null, 8,
                spec.features())).getMessage().contains("timestamp_path"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new HistoryDef("x", HistoryStat.EWM_MEAN, 5, "PT1M"))
                .getMessage().contains("give one"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new HistoryDef("x", HistoryStat.EWM_MEAN, null, "10m"))
                .getMessage().contains("ISO-8601"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new HistoryDef("x", HistoryStat.EWM_MEAN, null, "PT0S"))
                .getMessage().contains("between 1 ms"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new HistoryDef(null, HistoryStat.EVENTS, null, "PT1M"))
                .getMessage().contains("no half_life"));
        // state is kept per definition: a half-life of a minute is not one of 60 events, nor of another time
        assertTrue(!EntityHistory.forSpec(spec).sharesStateWith(EntityHistory.forSpec(SPEC)));
        assertTrue(!EntityHistory.forSpec(spec).sharesStateWith(EntityHistory.forSpec(timeSpec("PT2M"))));
        assertTrue(EntityHistory.forSpec(spec).sharesStateWith(EntityHistory.forSpec(timeSpec("PT60S"))));
        final FeatureSpec json = Json.DOCUMENTS.readValue(Json.DOCUMENTS.writeValueAsString(spec), FeatureSpec.class);
        assertEquals(spec, json);
        assertTrue(Json.DOCUMENTS.writeValueAsString(spec).contains("\"half_life_time\":\"PT1M\""));
    }
}
