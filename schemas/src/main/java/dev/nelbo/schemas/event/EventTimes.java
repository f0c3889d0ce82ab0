package dev.nelbo.schemas.event;

/** Event times as the pipeline trusts them. */
public final class EventTimes {

    private EventTimes() {
    }

    /**
     * An event's own time is whatever its producer wrote; the record timestamp is bounded by the broker
     * ({@code message.timestamp.after.max.ms}, or set by it under {@code LogAppendTime}). Within the allowed
     * skew of the record timestamp the event time is used as is; beyond it, or when the event has none, the
     * record timestamp.
     *
     * @param eventTime       the event's time, or null
     * @param recordTimestamp the Kafka record timestamp
     * @param maxSkewMs       largest accepted distance between the two
     * @return the time to use for suppression, latency and time features
     */
    public static long bound(final Long eventTime, final long recordTimestamp, final long maxSkewMs) {
        if (eventTime == null) {
            return recordTimestamp;
        }
        // saturating bounds: a forged time near Long.MIN_VALUE/MAX_VALUE must not overflow into range
        final long lo = recordTimestamp < Long.MIN_VALUE + maxSkewMs ? Long.MIN_VALUE : recordTimestamp - maxSkewMs;
        final long hi = recordTimestamp > Long.MAX_VALUE - maxSkewMs ? Long.MAX_VALUE : recordTimestamp + maxSkewMs;
        final long t = eventTime;
        return t >= lo && t <= hi ? t : recordTimestamp;
    }
}
