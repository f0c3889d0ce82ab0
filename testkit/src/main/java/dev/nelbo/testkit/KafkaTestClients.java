package dev.nelbo.testkit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Predicate;

/** Plain producer/consumer helpers for the integration tests (every send is checked). */
public final class KafkaTestClients {

    private KafkaTestClients() {
    }

    /** @return a producer of byte[] records to the shared broker */
    public static KafkaProducer<byte[], byte[]> producer() {
        final Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBroker.get().bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * 1024 * 1024);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * Sends records and waits for every acknowledgement.
     *
     * @param topic   topic
     * @param records key/value pairs (key may be null)
     * @return metadata of each record, in order
     */
    public static List<RecordMetadata> produce(final String topic, final List<byte[][]> records) {
        return send(records.stream().map(kv -> new ProducerRecord<>(topic, kv[0], kv[1])).toList());
    }

    /**
     * The lowest-level record the Java client allows: its constructor refuses a negative timestamp, but the record
     * format's "no timestamp" (-1) passes the producer's own checks and the broker's, as older clients send it.
     *
     * @param topic topic
     * @param key   key, or null
     * @param value value
     * @return a record the broker stores with timestamp -1
     */
    public static ProducerRecord<byte[], byte[]> withoutTimestamp(final String topic, final byte[] key, final byte[] value) {
        return new ProducerRecord<>(topic, key, value) {
            @Override
            public Long timestamp() {
                return -1L;
            }
        };
    }

    /**
     * Sends records as given (timestamps and headers included) and waits for every acknowledgement.
     *
     * @param records the records
     * @return metadata of each record, in order
     */
    public static List<RecordMetadata> send(final List<ProducerRecord<byte[], byte[]>> records) {
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            final List<Future<RecordMetadata>> futures = new ArrayList<>();
            for (final ProducerRecord<byte[], byte[]> r : records) {
                futures.add(producer.send(r));
            }
            producer.flush();
            final List<RecordMetadata> out = new ArrayList<>();
            for (final Future<RecordMetadata> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (final ExecutionException e) {
            throw new IllegalStateException("produce failed: " + e.getCause(), e);
        }
    }

    /**
     * Reads committed records from the start of the topics until {@code done} holds for what was read or
     * the timeout passes.
     *
     * @param topics  topics to read
     * @param timeout longest wait
     * @param done    stop condition over everything read so far
     * @return every record read
     */
    public static List<ConsumerRecord<byte[], byte[]>> readCommitted(final List<String> topics, final Duration timeout,
                                                                     final Predicate<List<ConsumerRecord<byte[], byte[]>>> done) {
        return read(topics, timeout, done, "read_committed");
    }

    /**
     * Like {@link #readCommitted} but also returns records of aborted transactions.
     *
     * @param topics  topics to read
     * @param timeout longest wait
     * @param done    stop condition over everything read so far
     * @return every record read
     */
    public static List<ConsumerRecord<byte[], byte[]>> readUncommitted(final List<String> topics, final Duration timeout,
                                                                       final Predicate<List<ConsumerRecord<byte[], byte[]>>> done) {
        return read(topics, timeout, done, "read_uncommitted");
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(final List<String> topics, final Duration timeout,
                                                             final Predicate<List<ConsumerRecord<byte[], byte[]>>> done,
                                                             final String isolation) {
        final Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBroker.get().bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
        final List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> parts = new ArrayList<>();
            for (final String t : topics) {
                c.partitionsFor(t).forEach(i -> parts.add(new TopicPartition(t, i.partition())));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(out) && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            return out;
        }
    }
}
