package dev.nelbo.scorer.app;

import dev.nelbo.engine.EngineOptions;
import dev.nelbo.registry.FleetStatus;
import dev.nelbo.registry.ModelRegistry;
import dev.nelbo.scorer.config.ScorerConfig;
import dev.nelbo.scorer.config.ScorerKey;
import dev.nelbo.scorer.metrics.MetricsServer;
import dev.nelbo.scorer.metrics.Readiness;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.metrics.StreamsMetricsBridge;
import dev.nelbo.schemas.bundle.BundleSignature;
import dev.nelbo.schemas.event.ConfluentAvroFormat;
import dev.nelbo.scorer.model.LastGoodModel;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.model.ModelPolicy;
import dev.nelbo.scorer.model.RegistryFollower;
import dev.nelbo.schemas.feedback.AlertFeedback;
import dev.nelbo.scorer.feedback.FeedbackFollower;
import dev.nelbo.scorer.rules.AlertRule;
import dev.nelbo.scorer.rules.RulesFollower;
import dev.nelbo.scorer.model.StatusReporter;
import dev.nelbo.scorer.model.UnpackDirectory;
import dev.nelbo.scorer.topology.OutputExceptionHandler;
import dev.nelbo.scorer.topology.OutputTimestamps;
import dev.nelbo.scorer.topology.ScorerTopology;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

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
    private final String registryTopic;
    private final UnpackDirectory unpack;
    private final StatusReporter status;
    private final FleetStatus.Writer statusWriter;
    private final RulesFollower rules;
    private final FeedbackFollower feedback;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean failed = new AtomicBoolean();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean streamsStarted = new AtomicBoolean();

    private ScorerService(final ModelManager models, final RegistryFollower follower, final KafkaStreams streams,
                          final MetricsServer server, final String registryTopic, final UnpackDirectory unpack,
                          final StatusReporter status, final FleetStatus.Writer statusWriter, final RulesFollower rules,
                          final FeedbackFollower feedback) {
        this.rules = rules;
        this.feedback = feedback;
        this.models = models;
        this.status = status;
        this.statusWriter = statusWriter;
        this.unpack = unpack;
        this.follower = follower;
        this.streams = streams;
        this.server = server;
        this.registryTopic = registryTopic;
    }


    /**
     * @param config the scorer's settings
     * @return Kafka Streams' properties: the settings' own, with the scorer's production exception handler unless the
     *         user named one (an output refused as one record's fault must not fail the stream thread)
     */
    static java.util.Properties streamsProperties(final ScorerConfig config) {
        final java.util.Properties props = config.streamsProperties();
        props.putIfAbsent(org.apache.kafka.streams.StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
                OutputExceptionHandler.class.getName());
        return props;
    }
    /**
     * Loads the model (the registry's current version, else {@code nelbo.model.dir}), starts following the
     * registry, the endpoint, and the stream once a model is in use: with none yet, the service runs, not
     * ready, until one is published.
     *
     * @param config validated configuration
     * @return the running service
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
        if (config.eventFormat() instanceof ConfluentAvroFormat registryFormat) {
            metrics.schemaRegistry(registryFormat.registry().stats());
        }
        final EngineOptions options = new EngineOptions(config.intValue(ScorerKey.ENGINE_SAMPLES), config.require(ScorerKey.DEVICE),
                config.booleanValue(ScorerKey.DEVICE_STRICT), config.intValue(ScorerKey.ENGINE_INTRA_OP_THREADS),
                config.intValue(ScorerKey.BATCH_MAX_RECORDS));
        final ModelPolicy policy = config.modelPolicy();
        if (!policy.trust().checksSignatures()) {
            LOG.warn("No trusted signing keys (nelbo.bundle.trusted.keys): any bundle that verifies its own checksums is"
                    + " served, whoever wrote it to the registry topic; configure the trainer's public key to refuse others");
        } else {
            LOG.info("Serving only bundles signed by {}{}", policy.trust().keys().stream().map(BundleSignature::keyId).toList(),
                    policy.trust().audience() == null ? " (for any audience)" : " for audience " + policy.trust().audience());
        }
        // the endpoint first: /healthz answers while the start-up steps below (topic checks, catching up with the
        // registry, loading and warming a model; each bounded, together minutes on a slow cluster) run, so a pod's
        // startup probe need not outlast them; /readyz says "starting" until the service is built
        final AtomicReference<KafkaStreams> streamsRef = new AtomicReference<>();
        final AtomicReference<ScorerService> self = new AtomicReference<>();
        final MetricsServer server = MetricsServer.start(config.require(ScorerKey.METRICS_BIND_ADDRESS),
                config.intValue(ScorerKey.METRICS_PORT), registry, () -> {
                    final KafkaStreams s = streamsRef.get();
                    return s == null || s.state().isRunningOrRebalancing() || s.state() == KafkaStreams.State.CREATED;
                }, () -> self.get() == null ? Readiness.notReady("starting", "starting") : self.get().readiness());
        final ModelManager models = new ModelManager(options, metrics, policy);
        final String registryTopic = config.topics().registry();
        final Map<String, Object> client = config.clientProperties();
        final OutputTimestamps outputTimes;
        try (Admin admin = Admin.create(client)) {
            ModelRegistry.ensureTopic(admin, registryTopic);
            FleetStatus.ensureTopic(admin, config.require(ScorerKey.TOPIC_STATUS));
            dev.nelbo.registry.Topics.ensureCompacted(admin, config.require(ScorerKey.TOPIC_RULES), AlertRule.MAX_BYTES);
            dev.nelbo.registry.Topics.ensureCompacted(admin, config.require(ScorerKey.TOPIC_FEEDBACK), AlertFeedback.MAX_BYTES);
            config.get(ScorerKey.SHADOW_TOPIC).ifPresent(t -> requireShadowTopic(admin, t));
            final List<String> outputs = new java.util.ArrayList<>(List.of(config.topics().scores(), config.topics().alerts(),
                    config.topics().dlq()));
            config.get(ScorerKey.SHADOW_TOPIC).ifPresent(outputs::add);
            outputTimes = OutputTimestamps.of(admin, outputs);
        } catch (final RuntimeException e) {
            models.close();
            server.close();
            throw e;
        }
        final UnpackDirectory unpack;
        try {
            unpack = UnpackDirectory.create(Path.of(System.getProperty("java.io.tmpdir")));
        } catch (final RuntimeException e) {
            models.close();
            server.close();
            throw e;
        }
        final RegistryFollower follower = new RegistryFollower(client, registryTopic, models,
                config.get(ScorerKey.SHADOW_TOPIC).isPresent(), metrics, unpack.path(),
                new LastGoodModel(config.lastGoodModelDir()));
        try {
            follower.offerLastGood();
            final String fromRegistry = follower.catchUp();
            if (models.current() == null && config.modelDir().isPresent()) {
                if (fromRegistry != null) {
                    LOG.warn("Registry {} names model {} but it could not be used; starting from {}", registryTopic, fromRegistry,
                            config.modelDir().get());
                }
                models.offer(config.modelDir().get(), "nelbo.model.dir");
            }
            if (models.current() == null) {
                LOG.warn("No model yet ({}): the scorer waits, not ready, and starts consuming events as soon as one is published",
                        fromRegistry == null ? "the registry topic " + registryTopic + " names none and nelbo.model.dir is not set"
                                : "the registry's model " + fromRegistry + " was refused, see above");
            }
            follower.start();
        } catch (final RuntimeException e) {
            follower.close();
            models.close();
            unpack.close();
            server.close();
            throw e;
        }
        final FleetStatus.Writer statusWriter = new FleetStatus.Writer(client, config.require(ScorerKey.TOPIC_STATUS));
        final StatusReporter status = StatusReporter.start(models, follower, statusWriter,
                config.require(ScorerKey.APPLICATION_ID), config.instanceId());
        final java.util.Properties props = streamsProperties(config);
        props.put(OutputExceptionHandler.METRICS, metrics);
        props.put(OutputExceptionHandler.SCORES_TOPIC, config.topics().scores());
        props.put(OutputExceptionHandler.DLQ_TOPIC, config.topics().dlq());
        final RulesFollower rules = new RulesFollower(client, config.require(ScorerKey.TOPIC_RULES), metrics::alertRules);
        rules.start();
        final FeedbackFollower feedback = new FeedbackFollower(client, config.require(ScorerKey.TOPIC_FEEDBACK),
                config.intValue(ScorerKey.FEEDBACK_MAX_LABELS), metrics::alertPrecision, metrics::alertFeedbackRejected);
        feedback.start();
        final KafkaStreams streams = new KafkaStreams(ScorerTopology.build(config, models, metrics, outputTimes, rules), props);
        streamsRef.set(streams);
        StreamsMetricsBridge.register(registry, streams::metrics);
        final ScorerService service = new ScorerService(models, follower, streams, server, registryTopic, unpack,
                status, statusWriter, rules, feedback);
        self.set(service);
        metrics.readiness(service::readiness);
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
        // events are consumed only with a model to score them: now, or when the first one is published
        models.whenServing(service::startStreams);
        LOG.info("Scorer started: application.id={}, model {}, metrics on port {}", config.require(ScorerKey.APPLICATION_ID),
                models.currentVersion().orElse("none yet"), server.port());
        return service;
    }

    private void startStreams() {
        if (closing.get() || !streamsStarted.compareAndSet(false, true)) {
            return;
        }
        streams.start();
    }

    /** @return whether the scorer takes traffic, and why not */
    public Readiness readiness() {
        if (models.current() == null) {
            return Readiness.notReady("waiting_for_model", "no model to score with: waiting for the registry topic "
                    + registryTopic + " to name one (publish one with nelbo-trainer train --publish, or run"
                    + " nelbo-trainer retrain once)");
        }
        final KafkaStreams.State state = streams.state();
        if (state != KafkaStreams.State.RUNNING) {
            return Readiness.notReady("streams_" + state.name().toLowerCase(java.util.Locale.ROOT),
                    "Kafka Streams is " + state);
        }
        return Readiness.READY;
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
        return readiness().ready();
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
        status.close();
        // the tombstone: the registry commands stop waiting for this instance
        statusWriter.close();
        rules.close();
        feedback.close();
        follower.close();
        server.close();
        models.close();
        unpack.close();
        stopped.countDown();
        LOG.info("Scorer stopped");
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
