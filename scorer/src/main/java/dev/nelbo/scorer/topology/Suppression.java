package dev.nelbo.scorer.topology;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

import java.nio.ByteBuffer;

/**
 * Alert suppression state of one entity key: when its last alert was sent (event time) and how many
 * alerts were held back since.
 *
 * @param lastAlertMs event time of the last alert sent
 * @param suppressed  alerts suppressed since then
 */
record Suppression(long lastAlertMs, long suppressed) {

    /**
     * Decides what to do with a new alert for the key.
     *
     * @param state    current state, or null for a key never alerted
     * @param eventMs  event time of the new alert
     * @param windowMs suppression window
     * @return whether the alert is held back
     */
    static boolean holdsBack(final Suppression state, final long eventMs, final long windowMs) {
        return state != null && eventMs - state.lastAlertMs < windowMs;
    }

    /** @return serde for the changelogged store (16 bytes, big-endian) */
    static Serde<Suppression> serde() {
        final Serializer<Suppression> ser = (topic, s) -> s == null ? null
                : ByteBuffer.allocate(16).putLong(s.lastAlertMs).putLong(s.suppressed).array();
        final Deserializer<Suppression> de = (topic, b) -> {
            if (b == null) {
                return null;
            }
            final ByteBuffer buf = ByteBuffer.wrap(b);
            return new Suppression(buf.getLong(), buf.getLong());
        };
        return Serdes.serdeFrom(ser, de);
    }
}
