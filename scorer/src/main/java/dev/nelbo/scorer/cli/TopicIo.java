package dev.nelbo.scorer.cli;

import dev.nelbo.registry.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the {@code rules} and {@code feedback} commands do with Kafka: write one record to a compacted topic they own
 * (created if missing) and read a topic, or its recent part, up to the end it had when the read began.
 */
final class TopicIo {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private TopicIo() {
    }

    /**
     * @param client   Kafka settings
     * @param topic    a compacted topic (created with {@code maxBytes} per record when missing)
     * @param maxBytes its largest record
     * @param key      the record key
     * @param value    the value, or null for a tombstone
     */
    static void write(final Map<String, Object> client, final String topic, final int maxBytes, final String key,
                      final byte[] value) {
        try (Admin admin = Admin.create(client)) {
            Topics.ensureCompacted(admin, topic, maxBytes);
        }
        final Map<String, Object> p = new HashMap<>(client);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted writing to " + topic, e);
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not write to " + topic + ": " + (e.getCause() != null
                    ? e.getCause().getMessage() : e.getMessage()), e);
        }
    }

    /** How a compacted topic's records change what is in force (the followers' own rule, e.g. {@code AlertRule::apply}). */
    @FunctionalInterface
    interface Applier<T> {
        /**
         * @param inForce what is in force, by key
         * @param key     a record key
         * @param value   its value, or null for a tombstone
         * @return whether it changed
         * @throws IllegalArgumentException when the record is not valid
         */
        boolean apply(Map<String, T> inForce, String key, byte[] value);
    }

    /**
     * @return what a compacted topic holds now, by key, as the followers read it (records the applier refuses: said on
     * err, by coordinates)
     */
    static <T> Map<String, T> latest(final Map<String, Object> client, final String topic, final java.io.PrintWriter err,
                                     final Applier<T> applier) {
        final Map<String, T> inForce = new java.util.TreeMap<>();
        for (final ConsumerRecord<String, byte[]> r : all(client, topic)) {
            try {
                applier.apply(inForce, r.key(), r.value());
            } catch (final IllegalArgumentException e) {
                err.println("skipped " + r.topic() + "-" + r.partition() + "@" + r.offset() + ": " + e.getMessage());
            }
        }
        return inForce;
    }

    /**
     * Writes the tombstone of a key the topic holds now.
     *
     * @param what the records' name in the message, e.g. {@code rule} (the command's {@code list} shows them)
     * @throws IllegalArgumentException when the topic holds no such key
     */
    static <T> void remove(final Map<String, Object> client, final String topic, final int maxBytes, final String key,
                           final java.io.PrintWriter err, final Applier<T> applier, final String what) {
        if (!latest(client, topic, err, applier).containsKey(key)) {
            throw new IllegalArgumentException("no " + what + " '" + key + "' in " + topic + " (list shows what it holds)");
        }
        write(client, topic, maxBytes, key, null);
    }

    /** @return every record of the topic (none when it does not exist) */
    static List<ConsumerRecord<String, byte[]>> all(final Map<String, Object> client, final String topic) {
        return read(client, topic, null, Long.MAX_VALUE);
    }

    /** @return about the last {@code perPartition} records of each partition */
    static List<ConsumerRecord<String, byte[]>> last(final Map<String, Object> client, final String topic,
                                                     final long perPartition) {
        return read(client, topic, null, perPartition);
    }

    /** @return the records whose timestamp is {@code since} or later */
    static List<ConsumerRecord<String, byte[]>> since(final Map<String, Object> client, final String topic,
                                                      final Instant since) {
        return read(client, topic, since, Long.MAX_VALUE);
    }

    private static List<ConsumerRecord<String, byte[]>> read(final Map<String, Object> client, final String topic,
                                                             final Instant since, final long perPartition) {
        final Map<String, Object> p = new HashMap<>(client);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        final List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> parts = c.partitionsFor(topic, TIMEOUT).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            if (parts.isEmpty()) {
                return out;
            }
            c.assign(parts);
            final Map<TopicPartition, Long> begin = c.beginningOffsets(parts);
            final Map<TopicPartition, Long> end = c.endOffsets(parts);
            final Map<TopicPartition, OffsetAndTimestamp> from = new HashMap<>();
            if (since != null) {
                final Map<TopicPartition, Long> query = new HashMap<>();
                parts.forEach(tp -> query.put(tp, since.toEpochMilli()));
                from.putAll(c.offsetsForTimes(query, TIMEOUT));
            }
            for (final TopicPartition tp : parts) {
                if (since != null) {
                    final OffsetAndTimestamp at = from.get(tp);
                    c.seek(tp, at == null ? end.get(tp) : at.offset());
                } else {
                    c.seek(tp, Math.max(begin.get(tp), end.get(tp) - Math.min(perPartition, end.get(tp))));
                }
            }
            final long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end within " + TIMEOUT.toSeconds() + " s");
                }
                c.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                        out.add(r);
                    }
                });
            }
        }
        return out;
    }
}
