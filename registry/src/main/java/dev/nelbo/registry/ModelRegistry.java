package dev.nelbo.registry;

import dev.nelbo.schemas.bundle.ModelBundle;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The model registry: a compacted Kafka topic every scorer instance follows, so all instances of an
 * application converge on the same model across machines. It holds one record per bundle version
 * (key {@code bundle/<version>}, value the bundle's files as a zip) and one pointer record (key
 * {@code current}, value the version to serve). Publishing a new model and rolling back are both a
 * pointer write; the bundle records stay for later rollbacks.
 *
 * <p>The trainer's publish/rollback commands use this class too.
 */
public final class ModelRegistry implements AutoCloseable {

    /** Key of the pointer record. */
    public static final String CURRENT_KEY = "current";
    /** Key of the shadow pointer record (a null value or an empty one means no shadow). */
    public static final String SHADOW_KEY = "shadow";
    /** Key prefix of bundle records. */
    public static final String BUNDLE_PREFIX = "bundle/";
    /** Largest registry record (a bundle of a few MB fits easily). */
    public static final int MAX_RECORD_BYTES = 16 * 1024 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Map<String, Object> clientProps;
    private final String topic;
    private final KafkaProducer<String, byte[]> producer;

    /**
     * @param clientProps Kafka client settings (bootstrap servers, security)
     * @param topic       registry topic
     */
    public ModelRegistry(final Map<String, Object> clientProps, final String topic) {
        this.clientProps = Map.copyOf(clientProps);
        this.topic = topic;
        final Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_RECORD_BYTES);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Creates the compacted registry topic unless it exists.
     *
     * @param admin admin client
     * @param topic topic name
     * @throws IllegalStateException when the topic cannot be created
     */
    public static void ensureTopic(final Admin admin, final String topic) {
        try {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty()).configs(Map.of(
                    TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(MAX_RECORD_BYTES))))).all()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("Created model registry topic {}", topic);
        } catch (final ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create model registry topic " + topic + ": " + e.getCause().getMessage(), e);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted creating " + topic, e);
        } catch (final TimeoutException e) {
            throw new IllegalStateException("timed out creating model registry topic " + topic, e);
        }
    }

    /**
     * Verifies a bundle directory, stores it in the registry and makes it the current model.
     *
     * @param bundleDir bundle directory
     * @return the published version
     * @throws dev.nelbo.schemas.bundle.BundleException when the bundle does not verify
     * @throws IllegalStateException                    when Kafka does not acknowledge the writes
     */
    public String publish(final Path bundleDir) {
        final String version = ModelBundle.load(bundleDir).version();
        send(BUNDLE_PREFIX + version, BundleArchive.pack(bundleDir));
        send(CURRENT_KEY, version.getBytes(StandardCharsets.UTF_8));
        LOG.info("Published model {} to {}", version, topic);
        return version;
    }

    /**
     * Stores a bundle without making it current (stage it for a later {@link #pin}).
     *
     * @param bundleDir bundle directory
     * @return its version
     */
    public String store(final Path bundleDir) {
        final String version = ModelBundle.load(bundleDir).version();
        send(BUNDLE_PREFIX + version, BundleArchive.pack(bundleDir));
        return version;
    }

    /**
     * Makes a stored version current (rollback or roll forward).
     *
     * @param version a version stored in the registry
     * @throws IllegalArgumentException when the registry does not hold that version
     */
    public void pin(final String version) {
        final Snapshot s = read();
        if (!s.bundles().containsKey(version)) {
            throw new IllegalArgumentException("the registry " + topic + " holds no bundle for version '" + version
                    + "' (it holds: " + String.join(", ", s.bundles().keySet()) + ")");
        }
        send(CURRENT_KEY, version.getBytes(StandardCharsets.UTF_8));
        LOG.info("Pinned model {} in {}", version, topic);
    }

    /**
     * Stores a bundle and names it the shadow candidate: scorers score with it in parallel, to the shadow
     * topic, while the current model keeps serving.
     *
     * @param bundleDir bundle directory
     * @return its version
     */
    public String publishShadow(final Path bundleDir) {
        final String version = store(bundleDir);
        send(SHADOW_KEY, version.getBytes(StandardCharsets.UTF_8));
        LOG.info("Published model {} to {} as shadow", version, topic);
        return version;
    }

    /**
     * Makes the shadow candidate current and clears the shadow pointer.
     *
     * @return the promoted version
     * @throws IllegalStateException when the registry names no shadow
     */
    public String promoteShadow() {
        final Snapshot s = read();
        if (s.shadow() == null) {
            throw new IllegalStateException("the registry " + topic + " names no shadow model to promote");
        }
        pin(s.shadow());
        send(SHADOW_KEY, new byte[0]);
        LOG.info("Promoted shadow model {} in {}", s.shadow(), topic);
        return s.shadow();
    }

    /** @return what the registry holds now (read from the beginning to the end of the topic) */
    public Snapshot read() {
        final Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, MAX_RECORD_BYTES);
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            final SnapshotBuilder b = new SnapshotBuilder();
            final List<TopicPartition> parts = partitions(c, topic);
            c.assign(parts);
            c.seekToBeginning(parts);
            final Map<TopicPartition, Long> end = c.endOffsets(parts, TIMEOUT);
            final long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out reading the model registry " + topic);
                }
                c.poll(Duration.ofMillis(200)).forEach(b::accept);
            }
            return b.build();
        }
    }

    /**
     * @param c     a consumer
     * @param topic registry topic
     * @return its partitions
     * @throws IllegalStateException when the topic does not exist
     */
    public static List<TopicPartition> partitions(final KafkaConsumer<?, ?> c, final String topic) {
        final List<PartitionInfo> infos = c.partitionsFor(topic, TIMEOUT);
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("model registry topic " + topic + " does not exist");
        }
        return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
    }

    private void send(final String key, final byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final ExecutionException e) {
            throw new IllegalStateException("cannot write " + key + " to " + topic + ": " + e.getCause().getMessage(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted writing to " + topic, e);
        } catch (final TimeoutException e) {
            throw new IllegalStateException("timed out writing " + key + " to " + topic, e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }

    /**
     * The registry's content.
     *
     * @param bundles bundle archives by version
     * @param current the current version, or null
     * @param shadow  the shadow candidate's version, or null
     */
    public record Snapshot(Map<String, byte[]> bundles, String current, String shadow) {

        /**
         * Finds a stored version with the given content hash (identical weights, spec and encoder
         * statistics), so a rerun does not publish the same model twice under a new version id.
         *
         * @param contentHash a manifest's content hash
         * @return the version holding it, if any
         */
        public Optional<String> versionWithContentHash(final String contentHash) {
            return bundles.entrySet().stream()
                    .filter(e -> contentHash.equals(BundleArchive.manifest(e.getValue()).contentHash()))
                    .map(Map.Entry::getKey)
                    .findFirst();
        }
    }

    /** Folds registry records (latest wins, null values delete). */
    public static final class SnapshotBuilder {
        private final Map<String, byte[]> bundles = new TreeMap<>();
        private String current;
        private String shadow;

        /** @param r a registry record */
        public void accept(final ConsumerRecord<String, byte[]> r) {
            if (r.key() == null) {
                return;
            }
            if (CURRENT_KEY.equals(r.key())) {
                current = pointer(r.value());
            } else if (SHADOW_KEY.equals(r.key())) {
                shadow = pointer(r.value());
            } else if (r.key().startsWith(BUNDLE_PREFIX)) {
                final String version = r.key().substring(BUNDLE_PREFIX.length());
                if (r.value() == null) {
                    bundles.remove(version);
                } else {
                    bundles.put(version, r.value());
                }
            }
        }

        private static String pointer(final byte[] value) {
            return value == null || value.length == 0 ? null : new String(value, StandardCharsets.UTF_8);
        }

        /** @return the current version, or null */
        public String current() {
            return current;
        }

        /** @return the shadow version, or null */
        public String shadow() {
            return shadow;
        }

        /**
         * @param version a version
         * @return its bundle archive, or null
         */
        public byte[] bundle(final String version) {
            return bundles.get(version);
        }

        /** @return an immutable snapshot */
        public Snapshot build() {
            return new Snapshot(Map.copyOf(bundles), current, shadow);
        }
    }
}
