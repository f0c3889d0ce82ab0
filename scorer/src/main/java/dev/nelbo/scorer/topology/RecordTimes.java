package dev.nelbo.scorer.topology;

import dev.nelbo.scorer.metrics.ScorerMetrics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

import java.util.function.LongSupplier;

/**
 * The scorer's timestamp extractor: a record's own timestamp when it is valid, and never an exception.
 *
 * <p>Kafka Streams' default extractor ({@code FailOnInvalidTimestamp}) throws on a negative timestamp, which the
 * broker accepts from any producer (-1 is "no timestamp" in the record format, and older clients send it). The
 * exception stops the stream thread before the offset is committed, so every instance that takes the partition
 * over stops on the same record. Here such a record takes the partition's time (the largest valid timestamp seen
 * on the partition), or the scorer's wall clock when the partition has none yet, and is counted
 * ({@code nelbo_record_timestamp_invalid_total}); it is then scored like any other record, and its outputs carry
 * the time it was given.
 */
public final class RecordTimes implements TimestampExtractor {

    private final ScorerMetrics metrics;
    private final LongSupplier wallClock;

    /**
     * @param metrics   where invalid timestamps are counted
     * @param wallClock the fallback when the partition has no time yet
     */
    public RecordTimes(final ScorerMetrics metrics, final LongSupplier wallClock) {
        this.metrics = metrics;
        this.wallClock = wallClock;
    }

    @Override
    public long extract(final ConsumerRecord<Object, Object> record, final long partitionTime) {
        final long ts = record.timestamp();
        if (ts >= 0) {
            return ts;
        }
        metrics.recordTimestampInvalid();
        return partitionTime >= 0 ? partitionTime : wallClock.getAsLong();
    }
}
