package dev.nelbo.scorer.model;

import dev.nelbo.engine.EngineOptions;
import dev.nelbo.engine.ScoringEngine;
import dev.nelbo.engine.ScoringModel;
import dev.nelbo.schemas.bundle.BundleTrust;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Owns the model in use. A candidate is verified (checksums, schema version and, with trusted keys, its
 * signature by {@link ModelBundle#load}; feature spec compatible with the input the current model reads; a
 * calibrated threshold consistent with its own calibration; graphs within the size limit; with trusted keys, as
 * a current model, not older than one this instance served unless signed as a rollback), warmed up within
 * the time limit ({@link ModelPolicy}), and only then published;
 * processors pick the new model up at their next batch boundary. A refused candidate leaves the current
 * model serving and is counted in {@code nelbo_model_rejected_total}. It also owns the inference threads
 * the processors hand full batches to. A bundle directory handed over as the manager's own (a registry
 * bundle unpacked to disk) is deleted once no model needs it; a directory the user named never is.
 */
public final class ModelManager implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelManager.class);

    private final EngineOptions options;
    private final ScorerMetrics metrics;
    private final ModelPolicy policy;
    private final ExecutorService inference;
    private volatile LoadedModel current;
    private volatile LoadedModel shadow;
    /** Guarded by this: run once, when the first model is in use. */
    private Runnable onFirstModel;
    /** Guarded by this: a model loaded after close would never be retired. */
    private boolean closed;
    private volatile String lastRefusal;
    /**
     * Guarded by this: the latest {@link ModelBundle#orderedAt} of the models this instance served. With trusted keys
     * an older model does not serve again unless signed as a rollback: whoever can write the registry topic could
     * otherwise bring back any old signed bundle (one with a known flaw, or a threshold since raised).
     */
    private Instant servedUpTo;

    /**
     * @param options engine options for every model
     * @param metrics metrics to report to
     */
    public ModelManager(final EngineOptions options, final ScorerMetrics metrics) {
        this(options, metrics, ModelPolicy.defaults());
    }

    /**
     * @param options engine options for every model
     * @param metrics metrics to report to
     * @param policy  what a bundle must satisfy to serve (signature, limits)
     */
    public ModelManager(final EngineOptions options, final ScorerMetrics metrics, final ModelPolicy policy) {
        this.options = Objects.requireNonNull(options, "options");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.policy = Objects.requireNonNull(policy, "policy");
        final int threads = Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
        final AtomicInteger seq = new AtomicInteger();
        this.inference = Executors.newFixedThreadPool(threads, r -> {
            final Thread t = new Thread(r, "nelbo-inference-" + seq.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * @return the threads full batches are scored on while the stream threads parse the next ones
     *         (shared by every task; an engine is still used by one thread at a time)
     */
    public ExecutorService inferenceExecutor() {
        return inference;
    }

    /** @return the model in use, or null before the first one is loaded */
    public LoadedModel current() {
        return current;
    }

    /** @return the version in use, if any */
    public Optional<String> currentVersion() {
        final LoadedModel m = current;
        return m == null ? Optional.empty() : Optional.of(m.version());
    }

    /**
     * Verifies, warms up and switches to the bundle in {@code dir}; on any problem keeps the current model.
     * The directory stays the caller's: it is never deleted.
     *
     * @param dir    bundle directory
     * @param origin where the bundle came from, for the log
     * @return whether the bundle is now in use
     */
    public boolean offer(final Path dir, final String origin) {
        return offer(dir, origin, false);
    }

    /**
     * Verifies, warms up and switches to the bundle in {@code dir}; on any problem keeps the current model.
     *
     * @param dir    bundle directory
     * @param origin where the bundle came from, for the log
     * @param owned  whether {@code dir} is handed over to the manager, which deletes it once no model needs
     *               it: at once when refused or redundant, else when its model retires. Never true for a
     *               directory the user named.
     * @return whether the bundle is now in use
     */
    public synchronized boolean offer(final Path dir, final String origin, final boolean owned) {
        final LoadedModel loaded = verify(dir, origin, current, owned, true);
        if (loaded == null) {
            return false;
        }
        final LoadedModel old = current;
        if (loaded == old) {
            return true;
        }
        current = loaded;
        final Instant at = loaded.bundle().orderedAt();
        if (at != null && (servedUpTo == null || at.isAfter(servedUpTo))) {
            servedUpTo = at;
        }
        metrics.modelInUse(loaded.version(), loaded.loadSeconds(), loaded.threshold(), loaded.trainingQuantiles());
        if (old == null && onFirstModel != null) {
            final Runnable first = onFirstModel;
            onFirstModel = null;
            first.run();
        }
        LOG.info("Switched to model {} (from {}){}", loaded.version(), origin,
                old == null ? "" : "; model " + old.version() + " retires after in-flight batches");
        if (old != null) {
            old.retire();
        }
        return true;
    }

    /**
     * Runs an action once a model is in use: at once when one is, else right after the first one is switched to
     * (on the thread that offers it).
     *
     * @param action what to run (for the service: start consuming events)
     */
    public synchronized void whenServing(final Runnable action) {
        if (current != null) {
            action.run();
        } else {
            onFirstModel = action;
        }
    }

    /**
     * Borrows an engine of the current model, for a processor moving to it.
     *
     * @param held the model the caller scores with now, or null
     * @return the current model with an engine for the caller's exclusive use, or null when there is nothing
     *         new to move to (no model, {@code held} is current, or the manager is closed)
     */
    public Lease borrowCurrent(final LoadedModel held) {
        return borrowPublished(() -> current, held);
    }

    /**
     * Borrows an engine of the shadow model, for a shadow scorer moving to it.
     *
     * @param held the shadow model the caller scores with now, or null
     * @return the shadow model with an engine for the caller's exclusive use, or null when there is nothing
     *         new to move to (no shadow, {@code held} is the shadow, or the manager is closed)
     */
    public Lease borrowShadow(final LoadedModel held) {
        return borrowPublished(() -> shadow, held);
    }

    /**
     * A model retired between reading it and borrowing from it lends nothing (its files may be deleted), and a
     * newer one has been published by then, so look again; a model retired while still published means closed.
     */
    private static Lease borrowPublished(final Supplier<LoadedModel> published, final LoadedModel held) {
        LoadedModel model = published.get();
        while (model != null && model != held) {
            final ScoringEngine engine = model.borrow();
            if (engine != null) {
                return new Lease(model, engine);
            }
            final LoadedModel next = published.get();
            if (next == model) {
                return null;
            }
            model = next;
        }
        return null;
    }

    /**
     * A model and an engine borrowed from it; give the engine back to that model with {@link LoadedModel#giveBack}.
     *
     * @param model  the model
     * @param engine the engine, for one caller's exclusive use
     */
    public record Lease(LoadedModel model, ScoringEngine engine) {
    }

    /** @return the shadow model (scored in parallel to the shadow topic), or null */
    public LoadedModel shadow() {
        return shadow;
    }

    /**
     * Verifies and warms up a shadow candidate (same checks as {@link #offer}); the current model keeps serving.
     *
     * @param dir    bundle directory
     * @param origin where the bundle came from, for the log
     * @param owned  whether {@code dir} is handed over to the manager (see {@link #offer(Path, String, boolean)})
     * @return whether it is now the shadow
     */
    public synchronized boolean offerShadow(final Path dir, final String origin, final boolean owned) {
        final LoadedModel loaded = verify(dir, origin, shadow, owned, false);
        if (loaded == null) {
            return false;
        }
        final LoadedModel old = shadow;
        if (loaded != old) {
            shadow = loaded;
            metrics.shadowInUse(loaded.version());
            LOG.info("Shadow model {} (from {}) now scores in parallel with {}", loaded.version(), origin,
                    currentVersion().orElse("?"));
            if (old != null) {
                old.retire();
            }
        }
        return true;
    }

    /** Stops shadow scoring (the registry names no shadow any more). */
    public synchronized void clearShadow() {
        final LoadedModel old = shadow;
        if (old != null) {
            shadow = null;
            metrics.shadowInUse(null);
            LOG.info("Shadow model {} retired", old.version());
            old.retire();
        }
    }

    /**
     * Loads a candidate and checks it against the current model's input.
     *
     * @param same      the model the candidate would replace (returned as is when the versions match)
     * @param owned     whether to delete {@code dir} once no model needs it
     * @param asCurrent whether it would serve (a shadow only scores beside the current model)
     * @return the loaded model, or null when refused (counted and logged) or when the manager is closed
     */
    private LoadedModel verify(final Path dir, final String origin, final LoadedModel same, final boolean owned,
                               final boolean asCurrent) {
        final LoadedModel loaded = closed ? null : load(dir, origin, same, owned, asCurrent);
        // refused, offered after close, or a copy of the version already in place: no model will read it
        if (owned && (loaded == null || !loaded.bundle().dir().equals(dir))) {
            BundleDirs.delete(dir);
        }
        return loaded;
    }

    /** @return the signatures this manager accepts (an archive's is checked before it is unpacked) */
    public BundleTrust trust() {
        return policy.trust();
    }

    private LoadedModel load(final Path dir, final String origin, final LoadedModel same, final boolean owned,
                             final boolean asCurrent) {
        try {
            final ModelBundle bundle = ModelBundle.load(dir, policy.trust());
            if (same != null && same.version().equals(bundle.version())) {
                return same;
            }
            if (asCurrent) {
                requireNotOlderThanServed(bundle);
            }
            final LoadedModel before = current;
            if (before != null) {
                final List<String> problems = bundle.manifest().featureSpec()
                        .incompatibilitiesWith(before.bundle().manifest().featureSpec());
                if (!problems.isEmpty()) {
                    throw new IllegalArgumentException("feature spec incompatible with the input of model "
                            + before.version() + ": " + String.join("; ", problems));
                }
            }
            try {
                policy.format().parser(bundle.manifest().featureSpec(), dev.nelbo.schemas.event.DecodeLimits.defaults());
            } catch (final IllegalArgumentException e) {
                throw new IllegalArgumentException("the input events cannot serve its feature spec: " + e.getMessage(), e);
            }
            final List<String> serving = ScoringModel.servingProblems(bundle.manifest());
            if (!serving.isEmpty()) {
                throw new IllegalArgumentException(String.join("; ", serving));
            }
            for (final Path graph : List.of(bundle.encoderPath(), bundle.decoderPath())) {
                final long size = Files.size(graph);
                if (size > policy.maxGraphBytes()) {
                    throw new IllegalArgumentException("graph " + graph.getFileName() + " is " + size + " bytes, over the limit of "
                            + policy.maxGraphBytes() + " (nelbo.model.max.graph.bytes)");
                }
            }
            // Not deleted right after loading: every stream task, and every processor moving to this model, opens
            // another engine from the graph files (LoadedModel.borrow), so they are needed until the model retires.
            return LoadedModel.open(bundle, options, owned, policy.warmupTimeout());
        } catch (final RuntimeException | java.io.IOException e) {
            metrics.modelRejected();
            lastRefusal = String.valueOf(e.getMessage());
            LOG.warn("Refused model bundle from {} ({}): {}; {}", origin, dir, e.getMessage(),
                    current == null ? "no model is serving yet" : "model " + current.version() + " keeps serving");
            return null;
        }
    }

    private void requireNotOlderThanServed(final ModelBundle bundle) {
        if (!policy.trust().checksSignatures() || servedUpTo == null) {
            return;
        }
        final Instant at = bundle.orderedAt();
        if (at == null || at.isBefore(servedUpTo)) {
            throw new IllegalArgumentException("model " + bundle.version() + " (created " + bundle.manifest().createdAt()
                    + ") is older than a model this instance served (" + servedUpTo + "): an older model serves again only"
                    + " when signed as a rollback (nelbo-trainer rollback --to " + bundle.version()
                    + " with nelbo.bundle.signing.key)");
        }
    }

    /** @return why the last candidate was refused (read right after an {@code offer} that returned false), or null */
    public String lastRefusal() {
        return lastRefusal;
    }

    /**
     * Records a candidate refused before it could be loaded (e.g. an archive that does not unpack).
     *
     * @param origin  where it came from
     * @param version its version
     * @param reason  why it was refused
     */
    public void refuse(final String origin, final String version, final String reason) {
        metrics.modelRejected();
        lastRefusal = reason;
        LOG.warn("Refused model {} from {}: {}; {}", version, origin, reason,
                current == null ? "no model is serving yet" : "model " + current.version() + " keeps serving");
    }

    @Override
    public synchronized void close() {
        closed = true;
        inference.shutdown();
        try {
            if (!inference.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("Inference threads still busy after 5 s; closing models anyway");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        final LoadedModel m = current;
        if (m != null) {
            m.retire();
        }
        clearShadow();
    }
}
