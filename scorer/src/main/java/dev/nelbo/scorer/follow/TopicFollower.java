package dev.nelbo.scorer.follow;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Follows a small compacted topic that every instance needs whole (the alert rules, the alert feedback): it reads all
 * partitions from the start, without a consumer group, on its own daemon thread, and tells its handler after each
 * poll that changed something, so a record written by a command acts on every instance within about a second, with
 * no restart. A record the handler refuses is skipped with a WARN that names its coordinates and key, never its value.
 */
public final class TopicFollower implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TopicFollower.class);

    /** What the records mean. */
    public interface Handler {
        /**
         * @param key   the record key
         * @param value the value, or null for a tombstone
         * @return whether it changed what is in force
         * @throws IllegalArgumentException when the record is not valid (skipped; what it replaces stays in force)
         */
        boolean apply(String key, byte[] value);

        /** Called after a poll whose records changed what is in force. */
        void changed();
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final String topic;
    private final String what;
    private final Handler handler;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean started;

    /**
     * @param client  Kafka connection and security settings
     * @param topic   the topic
     * @param what    what its records are, for logs and the thread's name (e.g. {@code alert-rules})
     * @param handler applies its records
     */
    public TopicFollower(final Map<String, Object> client, final String topic, final String what, final Handler handler) {
        final Map<String, Object> props = new HashMap<>(client);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.topic = topic;
        this.what = what;
        this.handler = handler;
        this.thread = new Thread(this::follow, "nelbo-" + what);
        this.thread.setDaemon(true);
    }

    /** Starts following. */
    public void start() {
        started = true;
        thread.start();
    }

    private void follow() {
        try {
            List<PartitionInfo> partitions;
            while ((partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10))).isEmpty()) {
                Thread.sleep(2000);
            }
            final List<TopicPartition> assigned = partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            while (running) {
                boolean changed = false;
                for (final ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    try {
                        changed |= handler.apply(r.key(), r.value());
                    } catch (final IllegalArgumentException e) {
                        LOG.warn("Skipped {} record {}-{}@{}: {}", what, r.topic(), r.partition(), r.offset(), e.getMessage());
                    }
                }
                if (changed) {
                    handler.changed();
                }
            }
        } catch (final WakeupException | InterruptedException stopping) {
            // close()
        } catch (final RuntimeException e) {
            LOG.error("The {} follower stopped; what it last read stays in force: {}", what, e.getMessage(), e);
        } finally {
            consumer.close();
        }
    }

    @Override
    public void close() {
        running = false;
        if (!started) {
            consumer.close();
            return;
        }
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
