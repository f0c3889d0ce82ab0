package dev.nelbo.scorer.app;

import dev.nelbo.engine.EngineOptions;
import dev.nelbo.registry.ModelRegistry;
import dev.nelbo.scorer.config.ScorerConfig;
import dev.nelbo.scorer.config.ScorerKey;
import dev.nelbo.scorer.metrics.MetricsServer;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.metrics.StreamsMetricsBridge;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.model.RegistryFollower;
import dev.nelbo.scorer.topology.OutputExceptionHandler;
import dev.nelbo.scorer.topology.ScorerTopology;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The running scorer: model manager and registry follower, the Kafka Streams client and the
 * operations endpoint. {@link #start} returns once the client is started; {@link #close} is bounded.
 */
public final class ScorerService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ScorerService.class);

    private final ModelManager models;
    private final RegistryFollower follower;
    private final KafkaStreams streams;
    private final MetricsServer server;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean failed = new AtomicBoolean();
    private final AtomicBoolean closing = new AtomicBoolean();

    private ScorerService(final ModelManager models, final RegistryFollower follower, final KafkaStreams streams,
                          final MetricsServer server) {
        this.models = models;
        this.follower = follower;
        this.streams = streams;
        this.server = server;
    }

    /**
     * Loads the model (the registry's current version, else {@code nelbo.model.dir}), starts following the
     * registry, the stream and the endpoint.
     *
     * @param config validated configuration
     * @return the running service
     * @throws IllegalArgumentException when no usable model is available
     */
    public static ScorerService start(final ScorerConfig config) {
        return start(config, new PrometheusRegistry(), true);
    }

    /**
     * @param config     validated configuration
     * @param registry   metrics registry to use
     * @param jvmMetrics whether to register JVM metrics in it
     * @return the running service
     */
    public static ScorerService start(final ScorerConfig config, final PrometheusRegistry registry, final boolean jvmMetrics) {
        final ScorerMetrics metrics = new ScorerMetrics(registry, jvmMetrics);
        final EngineOptions options = new EngineOptions(config.intValue(ScorerKey.ENGINE_SAMPLES), config.require(ScorerKey.DEVICE),
                config.booleanValue(ScorerKey.DEVICE_STRICT), config.intValue(ScorerKey.ENGINE_INTRA_OP_THREADS),
                config.intValue(ScorerKey.BATCH_MAX_RECORDS));
        final ModelManager models = new ModelManager(options, metrics);
        final String registryTopic = config.topics().registry();
        final Map<String, Object> client = config.clientProperties();
        try (Admin admin = Admin.create(client)) {
            ModelRegistry.ensureTopic(admin, registryTopic);
            config.get(ScorerKey.SHADOW_TOPIC).ifPresent(t -> requireShadowTopic(admin, t));
        } catch (final RuntimeException e) {
            models.close();
            throw e;
        }
        final RegistryFollower follower = new RegistryFollower(client, registryTopic, models,
                config.get(ScorerKey.SHADOW_TOPIC).isPresent());
        try {
            final String fromRegistry = follower.catchUp();
            if (models.current() == null && config.modelDir().isPresent()) {
                if (fromRegistry != null) {
                    LOG.warn("Registry {} names model {} but it could not be used; starting from {}", registryTopic, fromRegistry,
                            config.modelDir().get());
                }
                models.offer(config.modelDir().get(), "nelbo.model.dir");
            }
            if (models.current() == null) {
                throw new IllegalArgumentException("no usable model: set nelbo.model.dir to a valid bundle directory or publish"
                        + " one to the registry topic " + registryTopic + " (see the log for why a bundle was refused)");
            }
            follower.start();
        } catch (final RuntimeException e) {
            follower.close();
            models.close();
            throw e;
        }
        final java.util.Properties props = config.streamsProperties();
        props.put(OutputExceptionHandler.METRICS, metrics);
        props.put(OutputExceptionHandler.SCORES_TOPIC, config.topics().scores());
        props.put(OutputExceptionHandler.DLQ_TOPIC, config.topics().dlq());
        final KafkaStreams streams = new KafkaStreams(ScorerTopology.build(config, models, metrics), props);
        StreamsMetricsBridge.register(registry, streams::metrics);
        final MetricsServer server;
        try {
            server = MetricsServer.start(config.intValue(ScorerKey.METRICS_PORT), registry,
                    () -> streams.state().isRunningOrRebalancing() || streams.state() == KafkaStreams.State.CREATED,
                    () -> streams.state() == KafkaStreams.State.RUNNING && models.current() != null);
        } catch (final RuntimeException e) {
            follower.close();
            models.close();
            throw e;
        }
        final ScorerService service = new ScorerService(models, follower, streams, server);
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("Stream thread failed; shutting the scorer down: {}", e.getMessage(), e);
            service.failed.set(true);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.setStateListener((now, before) -> {
            LOG.info("Kafka Streams {} -> {}", before, now);
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                service.stopped.countDown();
            }
        });
        streams.start();
        LOG.info("Scorer started: application.id={}, model {}, metrics on port {}", config.require(ScorerKey.APPLICATION_ID),
                models.currentVersion().orElse("?"), server.port());
        return service;
    }

    /** Shadow outputs need an existing topic: a missing one would stop the stream at the first shadow batch. */
    private static void requireShadowTopic(final Admin admin, final String topic) {
        try {
            admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS);
        } catch (final ExecutionException e) {
            throw new IllegalArgumentException("nelbo.shadow.topic '" + topic + "' cannot be used: " + e.getCause().getMessage()
                    + " (create it like the other output topics)", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted checking nelbo.shadow.topic " + topic, e);
        } catch (final TimeoutException e) {
            throw new IllegalStateException("timed out checking nelbo.shadow.topic " + topic, e);
        }
    }

    /** @return whether Streams is RUNNING with a model loaded */
    public boolean isReady() {
        return streams.state() == KafkaStreams.State.RUNNING && models.current() != null;
    }

    /** @return the model manager */
    public ModelManager models() {
        return models;
    }

    /** @return the port of the operations endpoint */
    public int metricsPort() {
        return server.port();
    }

    /** @return the Streams client state */
    public KafkaStreams.State state() {
        return streams.state();
    }

    /**
     * Blocks until the service stops.
     *
     * @return whether it stopped because of a failure
     * @throws InterruptedException when interrupted
     */
    public boolean awaitStopped() throws InterruptedException {
        stopped.await();
        return failed.get() || streams.state() == KafkaStreams.State.ERROR;
    }

    /**
     * Stops everything, waiting at most {@code timeout} for Streams to commit and leave.
     *
     * @param timeout bound on the clean shutdown
     */
    public void close(final Duration timeout) {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        LOG.info("Shutting down (at most {} s)", timeout.toSeconds());
        final boolean clean = streams.close(timeout);
        if (!clean) {
            LOG.warn("Kafka Streams did not close within {} s", timeout.toSeconds());
        }
        follower.close();
        server.close();
        models.close();
        stopped.countDown();
        LOG.info("Scorer stopped");
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
