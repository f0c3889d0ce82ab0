package dev.nelbo.scorer.topology;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutputTimestampsTest {

    private static final long NOW = 1_790_000_000_000L;
    private static final long DAY = 86_400_000L;

    @Test
    void an_output_keeps_its_inputs_timestamp_inside_the_bounds_so_replays_stamp_alike() {
        final OutputTimestamps day = new OutputTimestamps(DAY);
        assertEquals(NOW - 1000, day.of(NOW - 1000, NOW));
        assertEquals(NOW, day.of(NOW, NOW));
        assertEquals(NOW - 30 * DAY, OutputTimestamps.anyPast().of(NOW - 30 * DAY, NOW));
        assertEquals(0, OutputTimestamps.anyPast().of(0, NOW));
    }

    @Test
    void an_output_is_never_ahead_of_the_clock_nor_older_than_the_strictest_topic_accepts() {
        final OutputTimestamps day = new OutputTimestamps(DAY);
        assertEquals(NOW, day.of(NOW + 20 * 60_000, NOW));
        assertEquals(NOW, OutputTimestamps.anyPast().of(Long.MAX_VALUE, NOW));
        assertEquals(NOW - DAY + OutputTimestamps.MAX_MARGIN_MS, day.of(NOW - 30 * DAY, NOW));
        assertEquals(NOW - DAY + OutputTimestamps.MAX_MARGIN_MS, day.of(0, NOW));
        // a short bound keeps a tenth of itself as margin
        assertEquals(NOW - 9_000, new OutputTimestamps(10_000).of(NOW - 60_000, NOW));
        final Random rnd = new Random(3);
        for (int i = 0; i < 10_000; i++) {
            final long maxAge = 1 + (rnd.nextLong() >>> 1) % (100 * DAY);
            final long in = rnd.nextBoolean() ? rnd.nextLong() >>> 1 : NOW + rnd.nextInt() * 1000L;
            final long out = new OutputTimestamps(maxAge).of(in, NOW);
            assertTrue(out <= NOW && out > NOW - maxAge, in + " with " + maxAge + " gave " + out);
            assertTrue(out == in || in > NOW || in <= NOW - maxAge + Math.max(1, Math.min(OutputTimestamps.MAX_MARGIN_MS, maxAge / 10)));
        }
        assertThrows(IllegalArgumentException.class, () -> new OutputTimestamps(0));
    }
}
