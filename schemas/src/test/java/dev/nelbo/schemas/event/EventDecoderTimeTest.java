package dev.nelbo.schemas.event;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;
import dev.nelbo.schemas.spec.MissingPolicy;
import dev.nelbo.schemas.spec.TimePeriod;
import dev.nelbo.schemas.spec.Transform;
import dev.nelbo.schemas.testing.TestData;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A record's context (time of day, weekday) comes from its own time field only within the allowed skew of its record
 * timestamp: beyond, a producer would choose the context, and with it the threshold, of its own events.
 */
class EventDecoderTimeTest {

    private static final long HOUR = 3_600_000L;

    private final FeatureEncoder encoder;

    EventDecoderTimeTest() {
        final List<FeatureDef> features = new ArrayList<>(TestData.spec().features());
        features.add(new FeatureDef("hour", "ts", FeatureType.TIME, Transform.NONE, MissingPolicy.REJECT, true,
                TimePeriod.HOUR_OF_DAY));
        encoder = TestData.fittedEncoder(new FeatureSpec("event_id", "key", "ts", 8, features), 1, 300);
    }

    private float[] encoded(final EventDecoder decoder, final long eventTime, final long recordTimestamp,
                            final boolean bounded) throws Exception {
        final ObjectNode e = TestData.event(new Random(5), 5).put("ts", eventTime);
        final float[] x = new float[encoder.width()];
        final DecodedEvent d = decoder.decode(Json.EVENTS.writeValueAsBytes(e), x, new float[encoder.width()], 0,
                decoder.newEvent(), null, Long.MIN_VALUE, recordTimestamp);
        assertTrue(d.ok(), String.valueOf(d.failure()));
        assertTrue(d.timeBounded() == bounded, "bounded: " + d.timeBounded());
        return x;
    }

    @Test
    void a_time_feature_beyond_the_skew_takes_the_record_timestamp() throws Exception {
        final EventDecoder decoder = new EventDecoder(encoder, DecodeLimits.defaults(), HOUR);
        final long ts = 1_700_000_000_000L;
        final float[] atRecord = encoded(decoder, ts, ts, false);
        assertArrayEquals(atRecord, encoded(decoder, ts + 11 * HOUR, ts, true), "11 h ahead: the record's hour");
        assertArrayEquals(atRecord, encoded(decoder, ts - 30 * 24 * HOUR - 5 * HOUR, ts, true), "a month back");
        final float[] withinSkew = encoded(decoder, ts + HOUR / 2, ts, false);
        assertFalse(java.util.Arrays.equals(atRecord, withinSkew), "within the skew the event's own time counts");
        assertFalse(java.util.Arrays.equals(atRecord, encoded(decoder, ts + 11 * HOUR, EventDecoder.NO_RECORD_TIMESTAMP,
                false)), "a file's record has no timestamp to bound by");
        assertFalse(java.util.Arrays.equals(atRecord, encoded(new EventDecoder(encoder, DecodeLimits.defaults()),
                ts + 11 * HOUR, ts, false)), "a decoder without a skew bounds nothing");
    }
}
