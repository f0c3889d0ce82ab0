package dev.nelbo.deploy.kafka;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A producer of JSON events that checks every send: the first failed send stops the caller at its next
 * {@link #send} and {@link #close} fails if anything was not acknowledged. Nothing is lost silently. Values go out as
 * their UTF-8 text, or in another wire format ({@link AvroValues}).
 */
public final class CheckedProducer implements AutoCloseable {

    private final KafkaProducer<String, byte[]> producer;
    private final java.util.function.Function<String, byte[]> encoder;
    private final String topic;
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private long sent;

    /**
     * @param client Kafka client settings (bootstrap servers, security)
     * @param topic destination topic
     */
    public CheckedProducer(final Properties client, final String topic) {
        this(client, topic, v -> v.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * @param client  Kafka client settings (bootstrap servers, security)
     * @param topic   destination topic
     * @param encoder a JSON event to the record value (throws IllegalArgumentException for one it cannot write)
     */
    public CheckedProducer(final Properties client, final String topic, final java.util.function.Function<String, byte[]> encoder) {
        this.encoder = encoder;
        final Properties props = new Properties();
        props.putAll(client);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
        this.producer = new KafkaProducer<>(props);
        this.topic = topic;
    }

    /**
     * Sends one record asynchronously.
     *
     * @param key record key, may be null
     * @param value record value
     * @param timestampMillis record timestamp, or null for the producer's clock
     * @throws IllegalStateException when an earlier send has failed
     * @throws IllegalArgumentException when the encoder cannot write the value (nothing is sent)
     */
    public void send(final String key, final String value, final Long timestampMillis) {
        throwIfFailed();
        final byte[] bytes = encoder.apply(value);
        sent++;
        producer.send(new ProducerRecord<>(topic, null, timestampMillis, key, bytes), (metadata, exception) -> {
            if (exception == null) {
                acknowledged.incrementAndGet();
            } else {
                failure.compareAndSet(null, exception);
            }
        });
    }

    /** @return records handed to {@link #send} so far */
    public long sent() {
        return sent;
    }

    /** @return records the broker has acknowledged so far */
    public long acknowledged() {
        return acknowledged.get();
    }

    /**
     * Flushes, closes and verifies that every sent record was acknowledged.
     *
     * @throws IllegalStateException when a send failed or records are unacknowledged
     */
    @Override
    public void close() {
        try {
            producer.flush();
        } finally {
            producer.close(Duration.ofSeconds(30));
        }
        throwIfFailed();
        if (acknowledged.get() != sent) {
            throw new IllegalStateException("only " + acknowledged.get() + " of " + sent + " records to " + topic
                    + " were acknowledged");
        }
    }

    private void throwIfFailed() {
        final Exception e = failure.get();
        if (e != null) {
            throw new IllegalStateException("sending to " + topic + " failed after " + acknowledged.get()
                    + " acknowledged records: " + e.getMessage(), e);
        }
    }
}
