package dev.nelbo.scorer.model;

import dev.nelbo.registry.BundleArchive;
import dev.nelbo.schemas.bundle.BundleException;
import dev.nelbo.registry.InstanceStatus;
import dev.nelbo.registry.ModelRegistry;
import dev.nelbo.registry.Topics;
import dev.nelbo.scorer.metrics.ScorerMetrics;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Follows the model registry topic on its own thread (a plain consumer without a group: every instance
 * reads everything) and hands each new "current" (and "shadow") version to the {@link ModelManager}.
 * Each bundle is unpacked into a new directory that is handed over to the manager, which deletes it once
 * no model needs it.
 *
 * <p>Supervised: any failure (the broker, a corrupt record, a bug) is logged and the follower starts again
 * from a fresh consumer after a backoff (1 s doubling to 60 s), reading the registry from the start; the
 * serving model keeps serving meanwhile. {@code nelbo_registry_follower_up}, the time of its last read and
 * whether the model in use is the registry's current one are metrics. A refused version is offered again
 * after a backoff (30 s doubling to 15 min) and whenever the model in use changes, since spec compatibility
 * is checked against it.
 *
 * <p>Bounded: only the bundles of the current and shadow pointers and the newest ones seen (the next pointer
 * usually names one of those) are held in memory; any other version the pointer moves to (a rollback) is
 * fetched again from the topic at its offset.
 */
public final class RegistryFollower implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryFollower.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
    /** Newest bundles kept besides the pointed ones. */
    private static final int RECENT_BUNDLES = 2;
    static final long RESTART_MIN_MS = 1_000;
    static final long RESTART_MAX_MS = 60_000;
    static final long RETRY_MIN_MS = 30_000;
    static final long RETRY_MAX_MS = 15 * 60_000;

    private final Map<String, Object> consumerProps;
    private final String topic;
    private final ModelManager models;
    private final ScorerMetrics metrics;
    private final boolean followShadow;
    private final Path unpackParent;
    private final LastGoodModel lastGood;
    /** Written by the follower's thread, read by the status reporter. */
    private final Map<String, Refusal> refused = new ConcurrentHashMap<>();
    private final Set<String> missingReported = new HashSet<>();
    private KafkaConsumer<String, byte[]> consumer;
    private State state = new State();
    private String refusedAgainst;
    private volatile String registryCurrent;
    private Thread thread;
    private volatile boolean running;
    private volatile boolean up;

    /** A version that was refused, why, and when to offer it again. */
    private record Refusal(long retryAt, long backoffMs, String reason) {
    }

    /**
     * @param clientProps  Kafka client settings
     * @param topic        registry topic
     * @param models       where verified models go
     * @param followShadow whether to load the registry's shadow model too (shadow scoring is on)
     * @param metrics      metrics
     * @param unpackParent directory the followed bundles are unpacked under (one new directory per bundle)
     * @param lastGood     where each current model switched to is kept for a restart, or null for nowhere
     */
    public RegistryFollower(final Map<String, Object> clientProps, final String topic, final ModelManager models,
                            final boolean followShadow, final ScorerMetrics metrics, final Path unpackParent,
                            final LastGoodModel lastGood) {
        this.followShadow = followShadow;
        this.lastGood = lastGood;
        this.unpackParent = Objects.requireNonNull(unpackParent, "unpackParent");
        final Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, ModelRegistry.MAX_RECORD_BYTES);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, ModelRegistry.MAX_RECORD_BYTES * 4);
        this.consumerProps = Map.copyOf(p);
        this.topic = topic;
        this.models = models;
        this.metrics = metrics;
        this.consumer = newConsumer();
    }

    private KafkaConsumer<String, byte[]> newConsumer() {
        return new KafkaConsumer<>(consumerProps, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Reads the registry to its end and applies its current version, if any (call before starting the
     * stream, so an instance starts on the version its peers serve).
     *
     * @return the registry's current version, or null when it names none
     * @throws IllegalStateException when the registry cannot be read within 60 s
     */
    public String catchUp() {
        state = new State();
        Topics.readToEnd(consumer, ModelRegistry.partitions(consumer, topic), READ_TIMEOUT, "the model registry " + topic,
                state::accept);
        read();
        apply();
        return state.current;
    }

    /** Starts following new registry records in the background. */
    public void start() {
        running = true;
        up = true;
        metrics.registryFollowerUp(true);
        thread = new Thread(this::supervise, "nelbo-model-registry");
        thread.setDaemon(true);
        thread.start();
    }

    /** @return whether the follower is reading the registry (false while it waits to start again after a failure) */
    public boolean isUp() {
        return up;
    }

    /** @return the registry topic followed */
    public String topic() {
        return topic;
    }

    /** @return the registry's current version as last read, or null */
    public String registryCurrent() {
        return registryCurrent;
    }

    /** @return the versions refused and waiting to be offered again, with the reasons, in version order */
    public List<InstanceStatus.Refusal> refusals() {
        return refused.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> new InstanceStatus.Refusal(e.getKey(), e.getValue().reason())).toList();
    }

    private void supervise() {
        long backoff = RESTART_MIN_MS;
        while (running) {
            try {
                if (!up) {
                    consumer = newConsumer();
                    catchUp();
                    up = true;
                    metrics.registryFollowerUp(true);
                    LOG.info("Model registry follower reading {} again", topic);
                    backoff = RESTART_MIN_MS;
                }
                follow();
            } catch (final WakeupException e) {
                return;
            } catch (final RuntimeException e) {
                if (!running) {
                    return;
                }
                up = false;
                metrics.registryFollowerUp(false);
                LOG.error("Model registry follower failed: {}; the model in use keeps serving; starting again in {} s",
                        e.getMessage(), backoff / 1000, e);
                closeConsumerQuietly();
                if (!sleep(backoff)) {
                    return;
                }
                backoff = Math.min(RESTART_MAX_MS, backoff * 2);
            }
        }
    }

    private void follow() {
        while (running) {
            boolean changed = false;
            for (final ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                state.accept(r);
                changed = true;
            }
            read();
            if (changed || retryDue()) {
                apply();
            }
        }
    }

    private void read() {
        registryCurrent = state.current;
        metrics.registryRead(System.currentTimeMillis() / 1000.0, state.current, models.currentVersion().orElse(null));
    }

    /** A refused version whose backoff passed, or any refused one once the model in use changed. */
    private boolean retryDue() {
        final String serving = models.currentVersion().orElse(null);
        if (!Objects.equals(serving, refusedAgainst) && !refused.isEmpty()) {
            refused.clear();
            return true;
        }
        final long now = System.currentTimeMillis();
        return refused.values().stream().anyMatch(r -> r.retryAt() <= now);
    }

    private void apply() {
        applyCurrent();
        if (followShadow) {
            applyShadow();
        }
        read();
    }

    private void applyCurrent() {
        final String wanted = state.current;
        if (wanted == null || wanted.equals(models.currentVersion().orElse(null)) || waiting(wanted)) {
            return;
        }
        final Path dir = unpack(wanted);
        if (dir != null) {
            if (models.offer(dir, "registry " + topic, true)) {
                refused.remove(wanted);
                if (lastGood != null) {
                    lastGood.remember(state.bundle(wanted), wanted);
                }
            } else {
                refuse(wanted, models.lastRefusal());
            }
        }
    }

    /** A shadow that is gone, or that became current (promoted), stops shadow scoring. */
    private void applyShadow() {
        final String wanted = state.shadow;
        if (wanted == null || wanted.equals(models.currentVersion().orElse(null))) {
            models.clearShadow();
            return;
        }
        final LoadedModel shadow = models.shadow();
        if ((shadow != null && wanted.equals(shadow.version())) || waiting(wanted)) {
            return;
        }
        final Path dir = unpack(wanted);
        if (dir != null) {
            if (models.offerShadow(dir, "registry " + topic + " (shadow)", true)) {
                refused.remove(wanted);
            } else {
                refuse(wanted, models.lastRefusal());
            }
        }
    }

    private boolean waiting(final String version) {
        final Refusal r = refused.get(version);
        return r != null && r.retryAt() > System.currentTimeMillis();
    }

    private void refuse(final String version, final String reason) {
        final Refusal before = refused.get(version);
        final long backoff = before == null ? RETRY_MIN_MS : Math.min(RETRY_MAX_MS, before.backoffMs() * 2);
        refused.put(version, new Refusal(System.currentTimeMillis() + backoff, backoff, reason == null ? "refused" : reason));
        refusedAgainst = models.currentVersion().orElse(null);
        LOG.info("Model {} will be offered again in {} s, or when the model in use changes", version, backoff / 1000);
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
        try {
            return unpack(wanted, archive);
        } catch (final IOException | UncheckedIOException | IllegalArgumentException | BundleException e) {
            refuse(wanted, "the archive does not unpack: " + e.getMessage());
            models.refuse("registry " + topic, wanted, e.getMessage());
            return null;
        }
    }

    /** @return the archive unpacked into a new directory under {@code unpackParent} (removed again when it fails) */
    private Path unpack(final String name, final byte[] archive) throws IOException {
        final Path dir = Files.createTempDirectory(unpackParent, "nelbo-model-" + name.replaceAll("[^A-Za-z0-9._-]", "_") + "-");
        try {
            BundleArchive.unpack(archive, dir, models.trust());
            return dir;
        } catch (final UncheckedIOException | IllegalArgumentException | BundleException e) {
            BundleDirs.delete(dir);
            throw e;
        }
    }

    /**
     * Offers the model kept by the last run ({@link LastGoodModel}), unpacked and verified like a registry bundle. Call
     * before {@link #catchUp()}: the registry's current version is then checked against it, as the instances that
     * kept running check it against theirs.
     */
    public void offerLastGood() {
        if (lastGood == null) {
            return;
        }
        lastGood.read().ifPresent(archive -> {
            final String origin = "the last-known-good model " + lastGood.path();
            try {
                models.offer(unpack("last-good", archive), origin, true);
            } catch (final IOException | UncheckedIOException | IllegalArgumentException | BundleException e) {
                models.refuse(origin, "last-good", "the archive does not unpack: " + e.getMessage());
            }
        });
    }

    private boolean sleep(final long ms) {
        try {
            Thread.sleep(ms);
            return running;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void closeConsumerQuietly() {
        try {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (final RuntimeException e) {
            LOG.debug("Closing the failed registry consumer: {}", e.getMessage());
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
        closeConsumerQuietly();
    }

    /**
     * The registry as the follower needs it: the pointers, where each bundle record is, and the bytes of the
     * bundles it may load soon (pointed at, or among the newest); others are fetched at their offset on demand.
     */
    private final class State {
        private final Map<String, Long> offsets = new HashMap<>();
        private final Map<String, byte[]> held = new HashMap<>();
        private final Deque<String> recent = new ArrayDeque<>();
        private TopicPartition partition;
        private String current;
        private String shadow;

        void accept(final ConsumerRecord<String, byte[]> r) {
            final ModelRegistry.Entry e = ModelRegistry.Entry.of(r.key(), r.value());
            if (e.kind() == ModelRegistry.Entry.Kind.OTHER) {
                return;
            }
            partition = new TopicPartition(r.topic(), r.partition());
            switch (e.kind()) {
                case CURRENT -> current = e.version();
                case SHADOW -> shadow = e.version();
                default -> bundle(e.version(), r);
            }
            trim();
        }

        private void bundle(final String version, final ConsumerRecord<String, byte[]> r) {
            recent.remove(version);
            if (r.value() == null) {
                offsets.remove(version);
                held.remove(version);
            } else {
                offsets.put(version, r.offset());
                held.put(version, r.value());
                recent.addLast(version);
                // a new archive of a refused version (signed again, as a rollback) is a new candidate
                refused.remove(version);
            }
        }

        private void trim() {
            while (recent.size() > RECENT_BUNDLES) {
                recent.removeFirst();
            }
            held.keySet().removeIf(v -> !v.equals(current) && !v.equals(shadow) && !recent.contains(v));
        }

        byte[] bundle(final String version) {
            final byte[] b = held.get(version);
            if (b != null || !offsets.containsKey(version)) {
                return b;
            }
            final byte[] fetched = fetch(offsets.get(version), ModelRegistry.BUNDLE_PREFIX + version);
            if (fetched != null) {
                held.put(version, fetched);
            }
            return fetched;
        }

        /** Reads one bundle record again at its offset, with a consumer of its own (the follower's keeps its place). */
        private byte[] fetch(final long offset, final String key) {
            try (KafkaConsumer<String, byte[]> c = newConsumer()) {
                c.assign(List.of(partition));
                c.seek(partition, offset);
                final long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
                while (System.nanoTime() < deadline) {
                    for (final ConsumerRecord<String, byte[]> r : c.poll(POLL)) {
                        if (r.offset() >= offset) {
                            return key.equals(r.key()) ? r.value() : null;
                        }
                    }
                }
            }
            throw new IllegalStateException("timed out fetching " + key + " from the model registry " + topic);
        }
    }
}
