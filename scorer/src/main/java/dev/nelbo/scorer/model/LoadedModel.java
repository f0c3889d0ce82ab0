package dev.nelbo.scorer.model;

import dev.nelbo.engine.EngineOptions;
import dev.nelbo.engine.ScoringEngine;
import dev.nelbo.engine.entity.EntityEvidence;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A verified model bundle together with a pool of warm scoring engines for it. Engines are not
 * thread-safe, so every processor borrows its own and gives it back when it moves to another model;
 * once the model is retired, idle and returned engines are closed and it lends no more.
 */
public final class LoadedModel {

    private static final Logger LOG = LoggerFactory.getLogger(LoadedModel.class);

    private final ModelBundle bundle;
    private final EngineOptions options;
    private final double loadSeconds;
    private final String device;
    private final boolean ownsDir;
    /** The model's entity test, or null when its calibration has none. */
    private final EntityEvidence entityEvidence;
    private final Deque<ScoringEngine> idle = new ArrayDeque<>();
    private int borrowed;
    private boolean retired;

    private LoadedModel(final ModelBundle bundle, final EngineOptions options, final ScoringEngine warm,
                        final double loadSeconds, final boolean ownsDir, final EntityEvidence entityEvidence) {
        this.bundle = bundle;
        this.options = options;
        this.loadSeconds = loadSeconds;
        this.ownsDir = ownsDir;
        this.device = warm.device().toString();
        this.entityEvidence = entityEvidence;
        idle.push(warm);
    }

    /**
     * The bundle's entity test, checked (a bound out of range refuses the model); the offline scorer reads it here too.
     *
     * @param bundle a verified bundle
     * @return its entity test, or null when its calibration has none
     * @throws IllegalArgumentException naming the calibration when a bound is out of range
     */
    public static EntityEvidence entityEvidenceOf(final ModelBundle bundle) {
        final Manifest.Calibration c = bundle.manifest().calibration();
        if (c == null || c.entity() == null) {
            return null;
        }
        try {
            return new EntityEvidence(c.entity().drift(), c.entity().threshold());
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("calibration.entity of model " + bundle.version() + ": " + e.getMessage(), e);
        }
    }

    /** The bundle's silence test, checked before the model serves (a factor out of range refuses the model). */
    private static void checkSilence(final ModelBundle bundle) {
        final Manifest.Calibration c = bundle.manifest().calibration();
        if (c != null && c.silence() != null && !(c.silence().factor() > 0 && c.silence().factor() < 1e6)) {
            throw new IllegalArgumentException("calibration.silence of model " + bundle.version() + ": the factor must be"
                    + " positive and below 1e6, got " + c.silence().factor());
        }
    }

    /**
     * Opens a verified bundle and warms one engine up, within a time limit.
     *
     * @param bundle  a bundle verified by {@link ModelBundle#load}
     * @param options engine options
     * @param ownsDir whether the bundle directory is the scorer's own copy, deleted when the model retires
     *                (false for a directory the user named: that one is never deleted)
     * @param timeout longest time to open and warm up the engine (a graph crafted to take forever is refused)
     * @return the loaded model
     * @throws IllegalStateException    when ONNX Runtime cannot open or run the graphs, or not in time
     * @throws IllegalArgumentException when the manifest's graph names or calibration are unusable
     */
    public static LoadedModel open(final ModelBundle bundle, final EngineOptions options, final boolean ownsDir,
                                   final java.time.Duration timeout) {
        final long start = System.nanoTime();
        final ScoringEngine engine = openWithin(bundle, options, timeout);
        final double seconds = (System.nanoTime() - start) / 1e9;
        final EntityEvidence evidence;
        try {
            evidence = entityEvidenceOf(bundle);
            checkSilence(bundle);
        } catch (final IllegalArgumentException e) {
            engine.close();
            throw e;
        }
        LOG.info("Model {} ready on {} ({} features, threshold {}) in {} ms", bundle.version(), engine.device(),
                engine.layout().featureCount(), threshold(bundle), Math.round(seconds * 1000));
        return new LoadedModel(bundle, options, engine, seconds, ownsDir, evidence);
    }

    /**
     * Native code cannot be interrupted: on timeout the opening thread is left to finish (a daemon; the engine it may
     * still produce is closed) and the model is refused.
     */
    private static IllegalStateException tooSlow(final java.time.Duration timeout) {
        return new IllegalStateException("opening and warming up the model took longer than " + timeout.toMillis()
                + " ms (nelbo.model.warmup.timeout.ms; " + timeout.toNanos() + " ns)");
    }

    private static ScoringEngine openWithin(final ModelBundle bundle, final EngineOptions options, final java.time.Duration timeout) {
        final java.util.concurrent.CompletableFuture<ScoringEngine> opening = new java.util.concurrent.CompletableFuture<>();
        final Thread t = new Thread(() -> {
            try {
                opening.complete(ScoringEngine.open(bundle, options));
            } catch (final RuntimeException | Error e) {
                opening.completeExceptionally(e);
            }
        }, "nelbo-model-warm-up-" + bundle.version());
        t.setDaemon(true);
        final long start = System.nanoTime();
        t.start();
        try {
            final ScoringEngine engine = opening.get(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
            // a caller descheduled past the deadline can find the engine already done: the deadline still holds
            if (System.nanoTime() - start > timeout.toNanos()) {
                engine.close();
                throw tooSlow(timeout);
            }
            return engine;
        } catch (final java.util.concurrent.TimeoutException e) {
            opening.thenAccept(ScoringEngine::close);
            throw tooSlow(timeout);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while warming up the model", e);
        } catch (final java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("warming up the model failed: " + e.getCause(), e.getCause());
        }
    }

    /** @return the model version */
    public String version() {
        return bundle.version();
    }

    /** @return the verified bundle */
    public ModelBundle bundle() {
        return bundle;
    }

    /** @return the feature encoder of this model */
    public FeatureEncoder encoder() {
        return bundle.encoder();
    }

    /** @return the alert threshold, or NaN when the model is uncalibrated */
    public double threshold() {
        return threshold(bundle);
    }

    /** @return the model's silence test, or null when its calibration has none */
    public Manifest.SilenceCalibration silence() {
        final Manifest.Calibration c = bundle.manifest().calibration();
        return c == null ? null : c.silence();
    }

    /** @return the model's entity test, or null when its calibration has none */
    public EntityEvidence entityEvidence() {
        return entityEvidence;
    }

    /** @return the device the engines run on (CPU after a CUDA fallback) */
    public String device() {
        return device;
    }

    /** @return seconds spent verifying and warming up */
    public double loadSeconds() {
        return loadSeconds;
    }

    /** @return calibration quantiles keyed by their label ("0.99"), for the drift metrics */
    public Map<String, Double> trainingQuantiles() {
        final Map<String, Double> out = new LinkedHashMap<>();
        final Manifest.Calibration c = bundle.manifest().calibration();
        if (c != null) {
            for (final Manifest.Quantile q : c.quantiles()) {
                out.put(stripZeros(q.q()), q.value());
            }
        }
        return out;
    }

    /**
     * @return a warm engine for this caller's exclusive use (give it back with {@link #giveBack}), or null once
     *         the model is retired: a newer model has replaced it and its files may be gone
     * @throws IllegalStateException when ONNX Runtime cannot open another engine
     */
    public synchronized ScoringEngine borrow() {
        if (retired) {
            return null;
        }
        borrowed++;
        final ScoringEngine e = idle.poll();
        return e != null ? e : ScoringEngine.open(bundle, options);
    }

    /** @param engine an engine borrowed from this model */
    public synchronized void giveBack(final ScoringEngine engine) {
        borrowed--;
        if (retired) {
            engine.close();
        } else {
            idle.push(engine);
        }
    }

    /**
     * Stops pooling: closes idle engines now and borrowed ones when they come back, and deletes the bundle
     * directory when it is the scorer's own copy.
     */
    public synchronized void retire() {
        if (retired) {
            return;
        }
        retired = true;
        while (!idle.isEmpty()) {
            idle.pop().close();
        }
        if (borrowed > 0) {
            LOG.debug("Model {} retired; {} engines still finishing a batch", version(), borrowed);
        }
        // Engines read the graph files only while opening (ONNX Runtime keeps the graph in memory), and a retired
        // model opens none, so the files can go now, even with engines still finishing a batch. Holding the lock
        // makes a borrow() that is opening an engine right now finish reading first.
        if (ownsDir) {
            BundleDirs.delete(bundle.dir());
        }
    }

    private static double threshold(final ModelBundle bundle) {
        final Manifest.Calibration c = bundle.manifest().calibration();
        return c == null ? Double.NaN : c.threshold();
    }

    private static String stripZeros(final double q) {
        return java.math.BigDecimal.valueOf(q).stripTrailingZeros().toPlainString();
    }
}
