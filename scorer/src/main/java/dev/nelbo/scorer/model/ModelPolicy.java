package dev.nelbo.scorer.model;

import dev.nelbo.schemas.event.EventFormat;
import dev.nelbo.schemas.bundle.BundleTrust;

import java.time.Duration;
import java.util.Objects;

/**
 * What a bundle must satisfy before the scorer serves it, beyond its checksums: a signature by a trusted key for this
 * deployment's audience (when keys are configured), graphs no larger than a limit, and a warm-up that finishes in
 * time. Whoever can
 * write the registry topic can offer any bundle; these checks decide whether it runs.
 *
 * @param trust         the signatures accepted; no keys accepts unsigned bundles (warned at start)
 * @param maxGraphBytes largest encoder or decoder graph file
 * @param warmupTimeout longest time to open and warm up a model's engine
 * @param format        the input events' wire format: a model whose feature spec it cannot read (an Avro schema
 *                      without one of its paths) is refused
 */
public record ModelPolicy(BundleTrust trust, long maxGraphBytes, Duration warmupTimeout, EventFormat format) {

    /** Default {@link #maxGraphBytes}: 64 MiB, hundreds of times nelbo's own graphs. */
    public static final long DEFAULT_MAX_GRAPH_BYTES = 64L * 1024 * 1024;
    /** Default {@link #warmupTimeout}. */
    public static final Duration DEFAULT_WARMUP_TIMEOUT = Duration.ofSeconds(60);

    /** Checks the limits. */
    public ModelPolicy {
        Objects.requireNonNull(trust, "trust");
        Objects.requireNonNull(warmupTimeout, "warmupTimeout");
        Objects.requireNonNull(format, "format");
        if (maxGraphBytes < 1 || warmupTimeout.isNegative() || warmupTimeout.isZero()) {
            throw new IllegalArgumentException("graph size limit and warm-up timeout must be positive");
        }
    }

    /** @return no trusted keys, default limits */
    public static ModelPolicy defaults() {
        return new ModelPolicy(BundleTrust.NONE, DEFAULT_MAX_GRAPH_BYTES, DEFAULT_WARMUP_TIMEOUT, EventFormat.JSON);
    }
}
