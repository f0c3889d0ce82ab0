package dev.nelbo.registry;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The registry's and the status board's topics: compacted, one partition, created when missing, read to their end. */
public final class Topics {

    private static final Logger LOG = LoggerFactory.getLogger(Topics.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private Topics() {
    }

    /**
     * Creates the topic unless it exists. It is described first, so a client allowed to read it but not to create
     * topics (a scorer on a secured cluster, where an operator created them) starts without CREATE.
     *
     * @param admin          admin client
     * @param topic          the compacted topic
     * @param maxRecordBytes its largest record
     */
    public static void ensureCompacted(final Admin admin, final String topic, final int maxRecordBytes) {
        try {
            admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return;
        } catch (final ExecutionException e) {
            if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                throw new IllegalStateException("cannot describe topic " + topic + ": " + e.getCause().getMessage(), e);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted describing " + topic, e);
        } catch (final TimeoutException e) {
            throw new IllegalStateException("timed out describing topic " + topic, e);
        }
        try {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty()).configs(Map.of(
                    TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxRecordBytes))))).all()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("Created topic {}", topic);
            awaitLeader(admin, topic);
        } catch (final ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + topic + ": " + e.getCause().getMessage(), e);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted creating " + topic, e);
        } catch (final TimeoutException e) {
            throw new IllegalStateException("timed out creating topic " + topic, e);
        }
    }

    /** Producing to a partition without a leader yet can lose the first batch on 4.3.1 (KAFKA-15591). */
    private static void awaitLeader(final Admin admin, final String topic)
            throws InterruptedException, ExecutionException, TimeoutException {
        final long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                final TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
                        .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(topic);
                if (d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    return;
                }
            } catch (final ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            Thread.sleep(50);
        }
        throw new TimeoutException("topic " + topic + " got no leader within " + TIMEOUT.toSeconds() + " s");
    }

    /**
     * Reads assigned partitions from their start to the end offsets they have now.
     *
     * @param c       a consumer (no group)
     * @param parts   the partitions to read
     * @param timeout longest read
     * @param what    the topic, for the message
     * @param sink    every record, in order
     * @throws IllegalStateException when the end is not reached in time
     */
    public static <K, V> void readToEnd(final KafkaConsumer<K, V> c, final List<TopicPartition> parts, final Duration timeout,
                                        final String what, final java.util.function.Consumer<ConsumerRecord<K, V>> sink) {
        c.assign(parts);
        c.seekToBeginning(parts);
        final Map<TopicPartition, Long> end = c.endOffsets(parts, timeout);
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out reading " + what);
            }
            c.poll(Duration.ofMillis(200)).forEach(sink);
        }
    }

    static List<TopicPartition> partitions(final KafkaConsumer<?, ?> c, final String topic, final String what) {
        final List<PartitionInfo> infos = c.partitionsFor(topic, TIMEOUT);
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException(what + " " + topic + " does not exist");
        }
        return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
    }
}
