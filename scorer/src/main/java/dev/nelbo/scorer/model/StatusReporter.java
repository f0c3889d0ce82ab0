package dev.nelbo.scorer.model;

import dev.nelbo.registry.FleetStatus;
import dev.nelbo.registry.InstanceStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Reports this instance's models to the fleet's status topic: at once when what it serves, what it refused or
 * what it read from the registry changes (checked every second), and every {@link FleetStatus#HEARTBEAT}
 * otherwise, so {@code nelbo-trainer rollback} can tell which instances took a version and which refused it.
 */
public final class StatusReporter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StatusReporter.class);
    private static final long CHECK_MS = 1_000;

    private final ModelManager models;
    private final RegistryFollower follower;
    private final FleetStatus.Sink sink;
    private final String applicationId;
    private final String instance;
    private final LongSupplier clock;
    private final ScheduledExecutorService timer;
    private InstanceStatus last;

    /**
     * @param models        the models in use
     * @param follower      the registry follower (what it read, what it refused)
     * @param sink          where reports go
     * @param applicationId the scorer application
     * @param instance      this instance's name
     * @param clock         epoch milliseconds
     */
    StatusReporter(final ModelManager models, final RegistryFollower follower, final FleetStatus.Sink sink,
                   final String applicationId, final String instance, final LongSupplier clock) {
        this.models = models;
        this.follower = follower;
        this.sink = sink;
        this.applicationId = applicationId;
        this.instance = instance;
        this.clock = clock;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "nelbo-status");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts reporting.
     *
     * @param models        the models in use
     * @param follower      the registry follower
     * @param sink          where reports go
     * @param applicationId the scorer application
     * @param instance      this instance's name
     * @return the running reporter
     */
    public static StatusReporter start(final ModelManager models, final RegistryFollower follower, final FleetStatus.Sink sink,
                                       final String applicationId, final String instance) {
        final StatusReporter r = new StatusReporter(models, follower, sink, applicationId, instance, System::currentTimeMillis);
        r.timer.scheduleWithFixedDelay(r::check, 0, CHECK_MS, TimeUnit.MILLISECONDS);
        return r;
    }

    /** Sends a report when anything changed or the heartbeat is due; a failure is logged, the next check runs. */
    synchronized void check() {
        try {
            checkOnce();
        } catch (final RuntimeException e) {
            LOG.warn("Cannot report this instance's status: {}", e.getMessage(), e);
        }
    }

    private void checkOnce() {
        final LoadedModel shadow = models.shadow();
        final InstanceStatus now = new InstanceStatus(applicationId, instance, follower.topic(), models.currentVersion().orElse(null),
                shadow == null ? null : shadow.version(), follower.registryCurrent(), follower.isUp(), follower.refusals(),
                clock.getAsLong());
        if (now.sameAs(last) && now.updatedMs() - last.updatedMs() < FleetStatus.HEARTBEAT.toMillis()) {
            return;
        }
        sink.report(now);
        last = now;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
