package dev.nelbo.registry;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.nelbo.schemas.json.Json;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fleet's view of the model registry: each scorer instance's {@link InstanceStatus} on a compacted topic
 * of its own ({@code nelbo.topic.status}), so the registry commands can say which instances took a version and
 * which refused it. Scorers need WRITE on it and nothing on the registry but READ; a stopped instance removes
 * its record (a tombstone), one that crashed goes stale and is left out after {@link #LIVE_WITHIN}.
 */
public final class FleetStatus {
    /** Longest time between two reports of a running instance. */
    public static final Duration HEARTBEAT = Duration.ofSeconds(30);
    /** A report older than this is from an instance that is gone (or whose follower is stuck). */
    public static final Duration LIVE_WITHIN = HEARTBEAT.multipliedBy(3);
    /** Largest status record. */
    static final int MAX_RECORD_BYTES = 64 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(FleetStatus.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Reports of newer scorers may carry fields this version does not know: they are still read. */
    private static final ObjectReader READER = Json.DOCUMENTS.readerFor(InstanceStatus.class)
            .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private FleetStatus() {
    }

    /**
     * Creates the compacted status topic unless it exists.
     *
     * @param admin admin client
     * @param topic topic name
     */
    public static void ensureTopic(final Admin admin, final String topic) {
        Topics.ensureCompacted(admin, topic, MAX_RECORD_BYTES);
    }

    /**
     * Reads every instance's latest report.
     *
     * @param clientProps Kafka client settings
     * @param topic       status topic
     * @return the reports, by key (none when the topic does not exist: no scorer ever started); unreadable records
     *         are skipped (logged)
     * @throws IllegalStateException when the topic cannot be read to its end within 30 s
     */
    public static Map<String, InstanceStatus> read(final Map<String, Object> clientProps, final String topic) {
        final Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        final Map<String, InstanceStatus> out = new TreeMap<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            final List<PartitionInfo> infos = c.partitionsFor(topic, TIMEOUT);
            if (infos == null || infos.isEmpty()) {
                return out;
            }
            final List<TopicPartition> parts = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            Topics.readToEnd(c, parts, TIMEOUT, "the scorer status topic " + topic, r -> accept(out, r));
        }
        return out;
    }

    private static void accept(final Map<String, InstanceStatus> out, final ConsumerRecord<String, byte[]> r) {
        if (r.key() == null) {
            return;
        }
        if (r.value() == null) {
            out.remove(r.key());
            return;
        }
        try {
            out.put(r.key(), READER.readValue(r.value()));
        } catch (final IOException e) {
            LOG.warn("Skipping an unreadable status record {} at offset {}: {}", r.key(), r.offset(), e.getMessage());
        }
    }

    /**
     * @param all      reports
     * @param registry a registry topic
     * @param nowMs    the current time
     * @return the reports of instances following that registry made within {@link #LIVE_WITHIN}
     */
    public static List<InstanceStatus> live(final Map<String, InstanceStatus> all, final String registry, final long nowMs) {
        final List<InstanceStatus> live = new ArrayList<>();
        for (final InstanceStatus s : all.values()) {
            if (registry.equals(s.registry()) && nowMs - s.updatedMs() <= LIVE_WITHIN.toMillis()) {
                live.add(s);
            }
        }
        return live;
    }

    /** Where an instance's reports go. */
    public interface Sink {
        /** Reports nowhere. */
        Sink NONE = status -> { };

        /** @param status the report */
        void report(InstanceStatus status);
    }

    /**
     * Writes one instance's reports (asynchronously: a broker that is down costs a warning, never the caller's
     * thread) and removes its record on close.
     */
    public static final class Writer implements Sink, AutoCloseable {
        private final KafkaProducer<String, byte[]> producer;
        private final String topic;
        private final AtomicLong lastWarning = new AtomicLong();
        private volatile String key;

        /**
         * @param clientProps Kafka client settings
         * @param topic       status topic
         */
        public Writer(final Map<String, Object> clientProps, final String topic) {
            final Map<String, Object> p = new HashMap<>(clientProps);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
            p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
            p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
            this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
            this.topic = topic;
        }

        @Override
        public void report(final InstanceStatus status) {
            key = status.key();
            try {
                producer.send(new ProducerRecord<>(topic, status.key(), Json.DOCUMENTS.writeValueAsBytes(status)), (m, e) -> {
                    if (e != null) {
                        warn(e);
                    }
                });
            } catch (final IOException | RuntimeException e) {
                warn(e);
            }
        }

        private void warn(final Exception e) {
            final long now = System.currentTimeMillis();
            final long last = lastWarning.get();
            if (now - last > 60_000 && lastWarning.compareAndSet(last, now)) {
                LOG.warn("Cannot report this instance's model status to {}: {} (the registry commands will not see this"
                        + " instance; it needs WRITE on that topic)", topic, e.getMessage());
            }
        }

        @Override
        public void close() {
            final String k = key;
            try {
                if (k != null) {
                    producer.send(new ProducerRecord<>(topic, k, null));
                }
                producer.close(Duration.ofSeconds(5));
            } catch (final RuntimeException e) {
                LOG.debug("Closing the status writer: {}", e.getMessage());
            }
        }
    }
}
