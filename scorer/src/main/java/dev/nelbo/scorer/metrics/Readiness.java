package dev.nelbo.scorer.metrics;

/**
 * Whether the scorer takes traffic, and why not.
 *
 * @param ready  whether {@code /readyz} answers 200
 * @param code   a short stable name of the reason (the {@code reason} label of {@code nelbo_not_ready}), empty when ready
 * @param reason what the scorer is waiting for, one line for operators (the body of {@code /readyz}), empty when ready
 */
public record Readiness(boolean ready, String code, String reason) {

    /** The ready state. */
    public static final Readiness READY = new Readiness(true, "", "");

    /**
     * @param code   short name of the reason
     * @param reason what is missing
     * @return a not-ready state
     */
    public static Readiness notReady(final String code, final String reason) {
        return new Readiness(false, code, reason);
    }
}
