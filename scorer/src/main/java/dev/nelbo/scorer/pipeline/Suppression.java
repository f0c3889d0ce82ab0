package dev.nelbo.scorer.pipeline;

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
public record Suppression(long lastAlertMs, long suppressed) {

    /** @return serde for the changelogged store (16 bytes, big-endian) */
    public static Serde<Suppression> serde() {
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
