package dev.nelbo.scorer.model;

import dev.nelbo.registry.BundleArchive;
import dev.nelbo.registry.ModelRegistry;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Follows the model registry topic on its own thread (a plain consumer without a group: every instance
 * reads everything) and hands each new "current" version to the {@link ModelManager}. Each bundle is
 * unpacked into a new directory that is handed over to the manager, which deletes it once no model needs it.
 */
public final class RegistryFollower implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryFollower.class);
    private static final Duration POLL = Duration.ofMillis(500);

    private final KafkaConsumer<String, byte[]> consumer;
    private final String topic;
    private final ModelManager models;
    private final ModelRegistry.SnapshotBuilder state = new ModelRegistry.SnapshotBuilder();
    private final Set<String> refused = new HashSet<>();
    private final Set<String> missingReported = new HashSet<>();
    private final boolean followShadow;
    private final Path unpackParent;
    private Thread thread;
    private volatile boolean running;

    /**
     * Unpacks bundles under {@code java.io.tmpdir}.
     *
     * @param clientProps  Kafka client settings
     * @param topic        registry topic
     * @param models       where verified models go
     * @param followShadow whether to load the registry's shadow model too (shadow scoring is on)
     */
    public RegistryFollower(final Map<String, Object> clientProps, final String topic, final ModelManager models,
                            final boolean followShadow) {
        this(clientProps, topic, models, followShadow, Path.of(System.getProperty("java.io.tmpdir")));
    }

    /**
     * @param clientProps  Kafka client settings
     * @param topic        registry topic
     * @param models       where verified models go
     * @param followShadow whether to load the registry's shadow model too (shadow scoring is on)
     * @param unpackParent directory the followed bundles are unpacked under (one new directory per bundle)
     */
    public RegistryFollower(final Map<String, Object> clientProps, final String topic, final ModelManager models,
                            final boolean followShadow, final Path unpackParent) {
        this.followShadow = followShadow;
        this.unpackParent = Objects.requireNonNull(unpackParent, "unpackParent");
        final Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, ModelRegistry.MAX_RECORD_BYTES);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, ModelRegistry.MAX_RECORD_BYTES * 4);
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        this.topic = topic;
        this.models = models;
    }

    /**
     * Reads the registry to its end and applies its current version, if any (call before starting the
     * stream, so an instance starts on the version its peers serve).
     *
     * @return the registry's current version, or null when it names none
     */
    public String catchUp() {
        final List<TopicPartition> parts = ModelRegistry.partitions(consumer, topic);
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        final Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(60));
        final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out reading the model registry " + topic);
            }
            for (final ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                state.accept(r);
            }
        }
        apply();
        return state.current();
    }

    /** Starts following new registry records in the background. */
    public void start() {
        running = true;
        thread = new Thread(this::loop, "nelbo-model-registry");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        try {
            while (running) {
                boolean changed = false;
                for (final ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                    state.accept(r);
                    changed = true;
                }
                if (changed) {
                    apply();
                }
            }
        } catch (final WakeupException e) {
            // closing
        } catch (final RuntimeException e) {
            LOG.error("Model registry follower stopped: {}; the current model keeps serving but new versions are not picked up",
                    e.getMessage(), e);
        }
    }

    private void apply() {
        applyCurrent();
        if (followShadow) {
            applyShadow();
        }
    }

    private void applyCurrent() {
        final String wanted = state.current();
        if (wanted == null || wanted.equals(models.currentVersion().orElse(null)) || refused.contains(wanted)) {
            return;
        }
        final Path dir = unpack(wanted);
        if (dir != null && !models.offer(dir, "registry " + topic, true)) {
            refused.add(wanted);
        }
    }

    /** A shadow that is gone, or that became current (promoted), stops shadow scoring. */
    private void applyShadow() {
        final String wanted = state.shadow();
        if (wanted == null || wanted.equals(models.currentVersion().orElse(null))) {
            models.clearShadow();
            return;
        }
        final LoadedModel shadow = models.shadow();
        if ((shadow != null && wanted.equals(shadow.version())) || refused.contains(wanted)) {
            return;
        }
        final Path dir = unpack(wanted);
        if (dir != null && !models.offerShadow(dir, "registry " + topic + " (shadow)", true)) {
            refused.add(wanted);
        }
    }

    /**
     * @return the version's bundle unpacked into a new directory under {@code unpackParent}, handed over to the
     *         {@link ModelManager} (which deletes it once no model needs it), or null (reported) when unusable
     */
    private Path unpack(final String wanted) {
        final byte[] archive = state.bundle(wanted);
        if (archive == null) {
            if (missingReported.add(wanted)) {
                LOG.warn("Registry {} points at model {} but holds no bundle for it; keeping the current model", topic, wanted);
            }
            return null;
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory(unpackParent, "nelbo-model-" + wanted.replaceAll("[^A-Za-z0-9._-]", "_") + "-");
            BundleArchive.unpack(archive, dir);
            return dir;
        } catch (final IOException | UncheckedIOException | IllegalArgumentException e) {
            if (dir != null) {
                BundleDirs.delete(dir);
            }
            refused.add(wanted);
            models.refuse("registry " + topic, wanted, e.getMessage());
            return null;
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
}
