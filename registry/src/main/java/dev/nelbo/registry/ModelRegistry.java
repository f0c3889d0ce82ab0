package dev.nelbo.registry;

import dev.nelbo.schemas.bundle.BundleTrust;
import dev.nelbo.schemas.bundle.ModelBundle;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * The model registry: a compacted Kafka topic every scorer instance follows, so all instances of an
 * application converge on the same model across machines. It holds one record per bundle version
 * (key {@code bundle/<version>}, value the bundle's files as a zip) and one pointer record (key
 * {@code current}, value the version to serve). Publishing a new model and rolling back are both a
 * pointer write; the bundle records stay for later rollbacks, the last {@value #DEFAULT_KEEP_BUNDLES}
 * published (and any a pointer names) at least: older ones are deleted (tombstoned) as new ones arrive.
 *
 * <p>Writes cannot be raced. Every write is compare-and-set against the current version the caller last saw,
 * inside a transaction of a producer with one fixed transactional id per registry topic: starting it fences
 * any other writer (its open transaction is aborted, its next commit fails), then the registry is read to its
 * end and the expectation checked before anything is written. A write that finds the registry moved throws
 * {@link RegistryConflictException} and writes nothing.
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
    /** Bundles kept besides those a pointer names. */
    public static final int DEFAULT_KEEP_BUNDLES = 5;
    /** Attempts of a write whose writer is fenced by another one before it gives up with a conflict. */
    static final int WRITE_ATTEMPTS = 5;
    /** Prefix of the one transactional id all writers of a registry topic share (so they fence each other). */
    public static final String TRANSACTIONAL_ID_PREFIX = "nelbo-registry-writer.";

    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Map<String, Object> clientProps;
    private final String topic;
    private final int keepBundles;
    private KafkaProducer<String, byte[]> producer;

    /**
     * @param clientProps Kafka client settings (bootstrap servers, security)
     * @param topic       registry topic
     */
    public ModelRegistry(final Map<String, Object> clientProps, final String topic) {
        this(clientProps, topic, DEFAULT_KEEP_BUNDLES);
    }

    /**
     * @param clientProps Kafka client settings (bootstrap servers, security)
     * @param topic       registry topic
     * @param keepBundles bundles kept besides those a pointer names (at least 1)
     */
    public ModelRegistry(final Map<String, Object> clientProps, final String topic, final int keepBundles) {
        if (keepBundles < 1) {
            throw new IllegalArgumentException("the registry must keep at least 1 bundle, got " + keepBundles);
        }
        this.clientProps = Map.copyOf(clientProps);
        this.topic = topic;
        this.keepBundles = keepBundles;
    }

    /** The writer, created on the first write: its initTransactions fences any other writer of this topic. */
    private KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            final Map<String, Object> p = new HashMap<>(clientProps);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_RECORD_BYTES);
            p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, TRANSACTIONAL_ID_PREFIX + topic);
            final KafkaProducer<String, byte[]> created = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
            try {
                created.initTransactions();
            } catch (final RuntimeException e) {
                created.close(Duration.ZERO);
                throw new IllegalStateException("cannot start writing to the model registry " + topic + ": " + e.getMessage()
                        + " (the writer needs WRITE on the topic and on transactional id " + TRANSACTIONAL_ID_PREFIX + topic
                        + ")", e);
            }
            producer = created;
        }
        return producer;
    }

    /**
     * Creates the compacted registry topic unless it exists.
     *
     * @param admin admin client
     * @param topic topic name
     * @throws IllegalStateException when the topic cannot be created
     */
    public static void ensureTopic(final Admin admin, final String topic) {
        Topics.ensureCompacted(admin, topic, MAX_RECORD_BYTES);
    }

    /**
     * Verifies a bundle directory, stores it in the registry and makes it the current model.
     *
     * @param bundleDir       bundle directory
     * @param expectedCurrent the current version the caller last saw (null: none)
     * @return the published version
     * @throws dev.nelbo.schemas.bundle.BundleException when the bundle does not verify
     * @throws RegistryConflictException                when the current version is not the expected one
     * @throws IllegalStateException                    when Kafka does not acknowledge the writes
     */
    public String publish(final Path bundleDir, final String expectedCurrent) {
        final String version = ModelBundle.load(bundleDir).version();
        final byte[] archive = BundleArchive.pack(bundleDir);
        write(expectedCurrent, s -> List.of(record(BUNDLE_PREFIX + version, archive), pointer(CURRENT_KEY, version)));
        LOG.info("Published model {} to {}", version, topic);
        return version;
    }

    /**
     * Stores a bundle without pointing at it (stage it for a later {@link #pin}); no pointer changes, so it
     * expects nothing of the current version.
     *
     * @param bundleDir bundle directory
     * @return its version
     */
    public String store(final Path bundleDir) {
        final String version = ModelBundle.load(bundleDir).version();
        final byte[] archive = BundleArchive.pack(bundleDir);
        for (int attempt = 1; ; attempt++) {
            try {
                write(read().current(), s -> List.of(record(BUNDLE_PREFIX + version, archive)));
                return version;
            } catch (final RegistryConflictException e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    /**
     * Stores a bundle and names it the shadow candidate: scorers score with it in parallel, to the shadow
     * topic, while the current model keeps serving.
     *
     * @param bundleDir       bundle directory
     * @param expectedCurrent the current version the caller last saw (null: none)
     * @return its version
     * @throws RegistryConflictException when the current version is not the expected one
     */
    public String publishShadow(final Path bundleDir, final String expectedCurrent) {
        final String version = ModelBundle.load(bundleDir).version();
        final byte[] archive = BundleArchive.pack(bundleDir);
        write(expectedCurrent, s -> List.of(record(BUNDLE_PREFIX + version, archive), pointer(SHADOW_KEY, version)));
        LOG.info("Published model {} to {} as shadow", version, topic);
        return version;
    }

    /**
     * Makes a stored version current (rollback or roll forward).
     *
     * @param version         a version stored in the registry
     * @param expectedCurrent the current version the caller last saw (null: none)
     * @throws IllegalArgumentException   when the registry does not hold that version
     * @throws RegistryConflictException  when the current version is not the expected one
     */
    public void pin(final String version, final String expectedCurrent) {
        write(expectedCurrent, s -> {
            if (!s.bundles().containsKey(version)) {
                throw new IllegalArgumentException("the registry " + topic + " holds no bundle for version '" + version
                        + "' (it holds: " + String.join(", ", s.bundles().keySet()) + ")");
            }
            return List.of(pointer(CURRENT_KEY, version));
        });
        LOG.info("Pinned model {} in {}", version, topic);
    }

    /**
     * Makes the shadow candidate current and clears the shadow pointer: compare-and-set on both pointers, so a shadow
     * published after the caller checked it (a retrain finishing meanwhile) is never promoted unchecked.
     *
     * @param expectedCurrent the current version the caller last saw (null: none)
     * @param expectedShadow  the shadow version the caller checked
     * @return the promoted version
     * @throws IllegalStateException      when the registry names no shadow
     * @throws RegistryConflictException  when the current or the shadow version is not the expected one
     */
    public String promoteShadow(final String expectedCurrent, final String expectedShadow) {
        final String[] promoted = new String[1];
        write(expectedCurrent, s -> {
            if (s.shadow() == null) {
                throw new IllegalStateException("the registry " + topic + " names no shadow model to promote");
            }
            if (!s.shadow().equals(expectedShadow)) {
                throw new RegistryConflictException(topic, SHADOW_KEY, expectedShadow, s.shadow());
            }
            promoted[0] = s.shadow();
            return List.of(pointer(CURRENT_KEY, s.shadow()), new ProducerRecord<>(topic, SHADOW_KEY, new byte[0]));
        });
        LOG.info("Promoted shadow model {} in {}", promoted[0], topic);
        return promoted[0];
    }

    /**
     * One compare-and-set write: in a transaction (which fences any other writer), read the registry to its end,
     * check the current version, send what {@code change} asks for plus the deletion of bundles no longer kept,
     * commit.
     */
    private void write(final String expectedCurrent, final java.util.function.Function<Snapshot, List<ProducerRecord<String, byte[]>>> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                writeOnce(expectedCurrent, change);
                return;
            } catch (final ProducerFencedException | InvalidProducerEpochException e) {
                // another writer started meanwhile (or the coordinator moved this writer's epoch on): start a new
                // writer, which fences that one in turn, and check the expectation again from a fresh read
                closeProducer();
                if (attempt == WRITE_ATTEMPTS) {
                    final RegistryConflictException conflict = new RegistryConflictException(topic, expectedCurrent,
                            "(another writer keeps writing: " + e.getMessage() + ")");
                    conflict.initCause(e);
                    throw conflict;
                }
                LOG.debug("Registry write attempt {} fenced ({}); retrying", attempt, e.getMessage());
                // two writers retrying at once would keep fencing each other: a random pause lets one of them finish
                try {
                    Thread.sleep(100 + java.util.concurrent.ThreadLocalRandom.current().nextLong(100L << attempt));
                } catch (final InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted writing to the model registry " + topic, ie);
                }
            }
        }
    }

    private void writeOnce(final String expectedCurrent,
                           final java.util.function.Function<Snapshot, List<ProducerRecord<String, byte[]>>> change) {
        final KafkaProducer<String, byte[]> p = producer();
        p.beginTransaction();
        boolean committed = false;
        try {
            final Snapshot before = read();
            if (!Objects.equals(before.current(), expectedCurrent)) {
                throw new RegistryConflictException(topic, expectedCurrent, before.current());
            }
            final List<ProducerRecord<String, byte[]>> records = new ArrayList<>(change.apply(before));
            records.addAll(prune(before, records));
            final List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (final ProducerRecord<String, byte[]> r : records) {
                sent.add(p.send(r));
            }
            p.commitTransaction();
            committed = true;
            awaitVisible(sent);
        } catch (final ProducerFencedException | InvalidProducerEpochException e) {
            throw e;
        } catch (final KafkaException e) {
            if (e.getCause() instanceof ProducerFencedException || e.getCause() instanceof InvalidProducerEpochException) {
                throw (RuntimeException) e.getCause();
            }
            throw new IllegalStateException("cannot write to the model registry " + topic + ": " + e.getMessage(), e);
        } finally {
            if (!committed && producer != null) {
                abortQuietly(p);
            }
        }
    }

    /**
     * Waits until a read_committed reader sees the committed records. The transaction coordinator writes the
     * commit markers after commitTransaction returns; until then the last stable offset stays before the
     * transaction, and a read right after a write (this writer's next compare-and-set, or the caller's check)
     * would miss it.
     */
    private void awaitVisible(final List<Future<RecordMetadata>> sent) {
        final Map<TopicPartition, Long> target = new HashMap<>();
        try {
            for (final Future<RecordMetadata> f : sent) {
                final RecordMetadata m = f.get();
                target.merge(new TopicPartition(m.topic(), m.partition()), m.offset() + 1, Math::max);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted writing to the model registry " + topic, e);
        } catch (final ExecutionException e) {
            throw new IllegalStateException("cannot write to the model registry " + topic + ": " + e.getCause().getMessage(), e);
        }
        if (target.isEmpty()) {
            return;
        }
        final Map<String, Object> props = new HashMap<>(clientProps);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            final long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (true) {
                final Map<TopicPartition, Long> stable = c.endOffsets(target.keySet(), TIMEOUT);
                if (target.entrySet().stream().allMatch(e -> stable.get(e.getKey()) >= e.getValue())) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the write to the model registry " + topic
                            + " was committed but is not readable after " + TIMEOUT.toSeconds() + " s");
                }
                Thread.sleep(20);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted writing to the model registry " + topic, e);
        }
    }

    private void closeProducer() {
        if (producer != null) {
            try {
                producer.close(Duration.ofSeconds(5));
            } catch (final RuntimeException e) {
                LOG.debug("Closing a fenced registry writer: {}", e.getMessage());
            }
            producer = null;
        }
    }

    /** Tombstones for the bundles beyond the newest {@code keepBundles} that no pointer names after the change. */
    private List<ProducerRecord<String, byte[]>> prune(final Snapshot before, final List<ProducerRecord<String, byte[]>> change) {
        final List<String> order = new ArrayList<>(before.publishOrder());
        String current = before.current();
        String shadow = before.shadow();
        for (final ProducerRecord<String, byte[]> r : change) {
            final Entry e = Entry.of(r.key(), r.value());
            switch (e.kind()) {
                case BUNDLE -> {
                    order.remove(e.version());
                    order.add(e.version());
                }
                case CURRENT -> current = e.version();
                case SHADOW -> shadow = e.version();
                case OTHER -> { }
            }
        }
        final List<ProducerRecord<String, byte[]>> tombstones = new ArrayList<>();
        for (int i = 0; i < order.size() - keepBundles; i++) {
            final String v = order.get(i);
            if (!v.equals(current) && !v.equals(shadow)) {
                tombstones.add(new ProducerRecord<>(topic, BUNDLE_PREFIX + v, null));
                LOG.info("Deleting model {} from {} (more than {} bundles, and no pointer names it)", v, topic, keepBundles);
            }
        }
        return tombstones;
    }

    private static void abortQuietly(final KafkaProducer<String, byte[]> p) {
        try {
            p.abortTransaction();
        } catch (final RuntimeException e) {
            LOG.debug("Aborting a registry transaction: {}", e.getMessage());
        }
    }

    private ProducerRecord<String, byte[]> record(final String key, final byte[] value) {
        return new ProducerRecord<>(topic, key, value);
    }

    private ProducerRecord<String, byte[]> pointer(final String key, final String version) {
        return record(key, version.getBytes(StandardCharsets.UTF_8));
    }

    /** @return what the registry holds now (read from the beginning to the end of the topic) */
    public Snapshot read() {
        final Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, MAX_RECORD_BYTES);
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            final SnapshotBuilder b = new SnapshotBuilder();
            Topics.readToEnd(c, partitions(c, topic), TIMEOUT, "the model registry " + topic, b::accept);
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
        return Topics.partitions(c, topic, "model registry topic");
    }

    @Override
    public void close() {
        closeProducer();
    }

    /**
     * The registry's content.
     *
     * @param bundles      bundle archives by version
     * @param current      the current version, or null
     * @param shadow       the shadow candidate's version, or null
     * @param publishOrder the versions held, oldest bundle record first
     */
    public record Snapshot(Map<String, byte[]> bundles, String current, String shadow, List<String> publishOrder) {

        /** Copies the order. */
        public Snapshot {
            publishOrder = List.copyOf(publishOrder);
        }

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

        /**
         * Unpacks a stored version, its signature checked before anything is written ({@link BundleArchive#unpack}).
         *
         * @param version a version
         * @param dir     an empty directory (created when missing)
         * @param trust   the signatures accepted
         * @throws IllegalArgumentException when the registry holds no bundle for it, or its archive does not unpack
         * @throws dev.nelbo.schemas.bundle.BundleException when its signature is not accepted
         */
        public void unpack(final String version, final Path dir, final BundleTrust trust) {
            final byte[] archive = bundles.get(version);
            if (archive == null) {
                throw new IllegalArgumentException("the registry holds no bundle for version '" + version + "' (it holds: "
                        + String.join(", ", bundles.keySet()) + ")");
            }
            BundleArchive.unpack(archive, dir, trust);
        }
    }

    /**
     * The version a pointer record names. Pointers are written by whoever may write the registry topic and end up in
     * logs and status reports: control characters are escaped ({@code \\u000a}), so a pointer cannot forge a log
     * line, and such a version is simply one the registry holds no bundle for.
     *
     * @param value the pointer record's value
     * @return the version, or null for an empty or deleted pointer
     */
    private static String pointedVersion(final byte[] value) {
        return value == null || value.length == 0 ? null : escapeControls(new String(value, StandardCharsets.UTF_8));
    }

    /**
     * What a registry record is: the one reader of the registry's key layout, for its writers and its followers.
     *
     * @param kind    a pointer, a bundle, or a record of neither kind (ignored)
     * @param version the version a pointer names (null: none) or a bundle holds, control characters escaped
     */
    public record Entry(Kind kind, String version) {

        /** The kinds of registry records. */
        public enum Kind {
            /** The {@value #CURRENT_KEY} pointer. */
            CURRENT,
            /** The {@value #SHADOW_KEY} pointer. */
            SHADOW,
            /** A bundle record ({@value #BUNDLE_PREFIX}version). */
            BUNDLE,
            /** Anything else: not nelbo's, ignored. */
            OTHER
        }

        private static final Entry OTHER = new Entry(Kind.OTHER, null);

        /**
         * @param key   a record's key
         * @param value its value
         * @return what the record is
         */
        public static Entry of(final String key, final byte[] value) {
            if (key == null) {
                return OTHER;
            }
            if (key.equals(CURRENT_KEY)) {
                return new Entry(Kind.CURRENT, pointedVersion(value));
            }
            if (key.equals(SHADOW_KEY)) {
                return new Entry(Kind.SHADOW, pointedVersion(value));
            }
            return key.startsWith(BUNDLE_PREFIX) ? new Entry(Kind.BUNDLE, bundleVersion(key)) : OTHER;
        }
    }

    /**
     * @param key a registry record key that starts with {@link #BUNDLE_PREFIX}
     * @return the version it holds, control characters escaped as in {@link #pointedVersion}
     */
    private static String bundleVersion(final String key) {
        return escapeControls(key.substring(BUNDLE_PREFIX.length()));
    }

    private static String escapeControls(final String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            final boolean control = Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
            if (control && out == null) {
                out = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (out != null) {
                if (control) {
                    out.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? s : out.toString();
    }

    /** Folds registry records (latest wins, null values delete). */
    public static final class SnapshotBuilder {
        private final Map<String, byte[]> bundles = new TreeMap<>();
        private final Map<String, Long> offsets = new HashMap<>();
        private String current;
        private String shadow;

        /** @param r a registry record */
        public void accept(final ConsumerRecord<String, byte[]> r) {
            final Entry e = Entry.of(r.key(), r.value());
            switch (e.kind()) {
                case CURRENT -> current = e.version();
                case SHADOW -> shadow = e.version();
                case BUNDLE -> {
                    if (r.value() == null) {
                        bundles.remove(e.version());
                        offsets.remove(e.version());
                    } else {
                        bundles.put(e.version(), r.value());
                        offsets.put(e.version(), r.offset());
                    }
                }
                case OTHER -> { }
            }
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
            final List<String> order = offsets.entrySet().stream().sorted(Map.Entry.comparingByValue())
                    .map(Map.Entry::getKey).toList();
            return new Snapshot(Map.copyOf(bundles), current, shadow, order);
        }
    }
}
