package dev.nelbo.trainer.retrain;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BottomKSampleTest {

    private static List<Long> sample(final List<long[]> records, final int k, final long seed) {
        return offered(BottomKSample.uniform(BottomKSample.Bounds.records(k), seed), records);
    }

    /**
     * Offers {partition, offset, timestamp, key, bytes} records (timestamp 0, no key (or -1) and 100 bytes when absent); the
     * value is partition * 1e6 + offset.
     */
    private static List<Long> offered(final BottomKSample<Long> s, final List<long[]> records) {
        for (long[] r : records) {
            s.offer(r[0], r[1], r.length > 2 ? r[2] : 0, r.length > 3 && r[3] >= 0 ? "k" + r[3] : null, r.length > 4 ? r[4] : 100,
                    r[0] * 1_000_000 + r[1]);
        }
        return s.result();
    }

    @Test
    void same_records_in_any_arrival_order_give_the_same_sample() {
        final List<long[]> records = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            for (int o = 0; o < 5000; o++) {
                records.add(new long[] {p, o});
            }
        }
        final List<Long> first = sample(records, 500, 42);
        Collections.shuffle(records, new Random(1));
        assertEquals(first, sample(records, 500, 42));
        assertEquals(500, first.size());
        assertNotEquals(first, sample(records, 500, 43));
    }

    @Test
    void the_sample_is_uniform_over_partitions_and_offsets() {
        final List<long[]> records = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            for (int o = 0; o < 20_000; o++) {
                records.add(new long[] {p, o});
            }
        }
        final List<Long> s = sample(records, 4000, 7);
        final long partitionOne = s.stream().filter(v -> v >= 1_000_000).count();
        final long firstHalf = s.stream().filter(v -> v % 1_000_000 < 10_000).count();
        // binomial(4000, 0.5): sd ~ 32; 5 sd bounds
        assertTrue(Math.abs(partitionOne - 2000) < 160, "partition 1 share: " + partitionOne);
        assertTrue(Math.abs(firstHalf - 2000) < 160, "first-half share: " + firstHalf);
    }

    @Test
    void latest_and_earliest_keep_runs_of_consecutive_records_in_any_arrival_order() {
        final List<long[]> records = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            for (int o = 0; o < 1000; o++) {
                // timestamps rise with the offset, several records share one (a batch), partitions interleave
                records.add(new long[] {p, o, 10_000 + o / 4 * 10L + p});
            }
        }
        final List<Long> latest = offered(BottomKSample.latest(BottomKSample.Bounds.records(301)), records);
        final List<Long> earliest = offered(BottomKSample.earliest(BottomKSample.Bounds.records(301)), records);
        Collections.shuffle(records, new Random(3));
        assertEquals(latest, offered(BottomKSample.latest(BottomKSample.Bounds.records(301)), records));
        assertEquals(earliest, offered(BottomKSample.earliest(BottomKSample.Bounds.records(301)), records));
        for (int p = 0; p < 3; p++) {
            final int partition = p;
            final List<Long> late = latest.stream().filter(v -> v / 1_000_000 == partition).map(v -> v % 1_000_000).toList();
            final List<Long> early = earliest.stream().filter(v -> v / 1_000_000 == partition).map(v -> v % 1_000_000).toList();
            assertTrue(late.size() >= 100 && early.size() >= 100, "every partition has its share: " + late.size());
            assertEquals(999L, late.get(late.size() - 1), "the latest run ends at the last offset");
            assertEquals(late.size() - 1, late.get(late.size() - 1) - late.get(0), "no gap in partition " + p + ": " + late);
            assertEquals(0L, early.get(0), "the earliest run starts at the first offset");
            assertEquals(early.size() - 1, early.get(early.size() - 1) - early.get(0), "no gap in partition " + p);
        }
    }

    @Test
    void fewer_records_than_k_are_all_kept() {
        final List<long[]> records = List.of(new long[] {0, 1}, new long[] {0, 0}, new long[] {1, 0});
        assertEquals(List.of(0L, 1L, 1_000_000L), sample(records, 10, 1));
    }

    /**
     * Bounded in bytes, the sample holds fewer records, still the smallest priorities: the same records in any order,
     * and exactly the uniform sample of that size that a count bound gives.
     */
    @Test
    void a_byte_bound_keeps_a_smaller_sample_of_the_same_kind_in_any_arrival_order() {
        final Random rnd = new Random(5);
        final List<long[]> records = new ArrayList<>();
        for (int o = 0; o < 20_000; o++) {
            // mostly small events, some of 50 kB
            records.add(new long[] {o % 3, o, 0, -1, rnd.nextInt(20) == 0 ? 50_000 : 200});
        }
        final BottomKSample.Bounds bounds = new BottomKSample.Bounds(4000, 2_000_000, 4000);
        final BottomKSample<Long> first = BottomKSample.uniform(bounds, 9);
        final List<Long> kept = offered(first, records);
        assertTrue(first.bytes() <= 2_000_000 && kept.size() < 4000, kept.size() + " records, " + first.bytes() + " bytes");
        assertTrue(kept.size() > 300, "still a sample: " + kept.size());
        Collections.shuffle(records, new Random(2));
        assertEquals(kept, offered(BottomKSample.uniform(bounds, 9), records));
        assertEquals(kept, sample(records, kept.size(), 9), "the uniform sample of that size");
    }

    /** A burst under one key holds at most its share; the other keys' records fill the rest as before. */
    @Test
    void one_key_holds_at_most_its_share_of_the_sample() {
        final List<long[]> records = new ArrayList<>();
        for (int o = 0; o < 30_000; o++) {
            // half the window is one key's burst; the rest spreads over 500 keys
            records.add(new long[] {0, o, o, o % 2 == 0 ? 0 : 1 + o % 500});
        }
        final BottomKSample<Long> capped = BottomKSample.uniform(new BottomKSample.Bounds(2000, Long.MAX_VALUE, 100), 3);
        final List<Long> kept = offered(capped, records);
        final long burst = kept.stream().filter(v -> v % 2 == 0).count();
        assertEquals(100, burst, "the burst key holds its cap");
        assertEquals(2000, kept.size(), "the others fill the sample");
        assertTrue(capped.overKeyCap() >= 900, "counted (at least the ~900 the cap displaced): " + capped.overKeyCap());
        final List<Long> latest = offered(BottomKSample.latest(new BottomKSample.Bounds(2000, Long.MAX_VALUE, 100)), records);
        assertEquals(100, latest.stream().filter(v -> v % 2 == 0).count(), "a burst just before the run does not fill the"
                + " latest run either");
        assertEquals(29_999L, latest.get(latest.size() - 1));
    }
}
