package dev.nelbo.schemas.event;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EventTimesTest {

    @Test
    void event_times_within_the_skew_are_kept_and_others_replaced_by_the_record_timestamp() {
        final long ts = 1_700_000_000_000L;
        assertEquals(ts + 5, EventTimes.bound(ts + 5, ts, 10));
        assertEquals(ts - 10, EventTimes.bound(ts - 10, ts, 10));
        assertEquals(ts, EventTimes.bound(ts + 11, ts, 10));
        assertEquals(ts, EventTimes.bound(null, ts, 10));
        assertEquals(ts, EventTimes.bound(9_000_000_000_000_000_000L, ts, 3_600_000));
        assertEquals(ts, EventTimes.bound(Long.MIN_VALUE, ts, Long.MAX_VALUE / 2));
        assertEquals(Long.MAX_VALUE, EventTimes.bound(Long.MAX_VALUE, ts, Long.MAX_VALUE), "saturating, no overflow");
        assertEquals(-1L, EventTimes.bound(Long.MAX_VALUE, -1L, 0));
    }
}
