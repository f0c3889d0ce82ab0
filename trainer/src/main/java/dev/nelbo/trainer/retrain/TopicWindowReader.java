package dev.nelbo.trainer.retrain;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Reads every committed record of a topic whose timestamp lies in {@code [start, end)}: each partition
 * is positioned with {@code offsetsForTimes(start)} and read up to the end offset it had when the read
 * began (or the first record at or after {@code end}). No consumer group is used, so nothing is
 * committed and the scorer's groups are untouched.
 */
public final class TopicWindowReader {

    private static final Logger LOG = LoggerFactory.getLogger(TopicWindowReader.class);

    /** Receives each record of the window. */
    @FunctionalInterface
    public interface Sink {
        /**
         * @param partition partition
         * @param offset    offset
         * @param timestamp record timestamp (epoch ms)
         * @param key       record key (may be null)
         * @param value     record value (may be null)
         */
        void accept(int partition, long offset, long timestamp, byte[] key, byte[] value);
    }

    private TopicWindowReader() {
    }

    /**
     * @param clientProps Kafka client settings (bootstrap servers, security); deserializers and
     *                    isolation are set here
     * @param topic       topic to read
     * @param start       window start (inclusive)
     * @param end         window end (exclusive)
     * @param timeout     give up after this long
     * @param sink        receives the records
     * @return records delivered
     * @throws IllegalArgumentException when the topic does not exist
     * @throws IllegalStateException    when the read does not finish within the timeout
     */
    public static long read(final Properties clientProps, final String topic, final Instant start, final Instant end,
                            final Duration timeout, final Sink sink) {
        final Properties props = new Properties();
        props.putAll(clientProps);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        final long deadline = System.nanoTime() + timeout.toNanos();
        long delivered = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            final List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException("topic '" + topic + "' does not exist or has no partitions");
            }
            final List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo i : infos) {
                parts.add(new TopicPartition(topic, i.partition()));
            }
            consumer.assign(parts);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(parts, timeout);
            final Map<TopicPartition, Long> query = new HashMap<>();
            parts.forEach(p -> query.put(p, start.toEpochMilli()));
            final Map<TopicPartition, OffsetAndTimestamp> begins = consumer.offsetsForTimes(query, timeout);
            final Set<TopicPartition> open = new HashSet<>();
            long total = 0;
            for (TopicPartition p : parts) {
                final OffsetAndTimestamp b = begins.get(p);
                final long from = b == null ? ends.get(p) : b.offset();
                consumer.seek(p, from);
                if (from < ends.get(p)) {
                    open.add(p);
                    total += ends.get(p) - from;
                }
            }
            LOG.info("Reading {} from {} to {}: about {} records in {} partition(s)", topic, start, end, total, open.size());
            long nextReport = System.nanoTime() + 5_000_000_000L;
            while (!open.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("reading " + topic + " did not finish within " + timeout
                            + " (" + delivered + " of about " + total + " records read)");
                }
                final ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                for (TopicPartition p : records.partitions()) {
                    if (!open.contains(p)) {
                        continue;
                    }
                    for (ConsumerRecord<byte[], byte[]> r : records.records(p)) {
                        if (r.offset() >= ends.get(p) || r.timestamp() >= end.toEpochMilli()) {
                            open.remove(p);
                            break;
                        }
                        if (r.timestamp() >= start.toEpochMilli()) {
                            sink.accept(r.partition(), r.offset(), r.timestamp(), r.key(), r.value());
                            delivered++;
                        }
                    }
                }
                // a partition is done once its position passes the end offset captured at the start
                // (transaction markers occupy offsets that never come back as records)
                open.removeIf(p -> consumer.position(p) >= ends.get(p));
                if (System.nanoTime() > nextReport) {
                    LOG.info("Read {} of about {} records from {}", delivered, total, topic);
                    nextReport = System.nanoTime() + 5_000_000_000L;
                }
            }
        }
        return delivered;
    }
}
