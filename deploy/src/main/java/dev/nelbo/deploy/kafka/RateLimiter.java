package dev.nelbo.deploy.kafka;

import java.util.concurrent.locks.LockSupport;

/**
 * Paces a loop to a fixed rate by schedule rather than by fixed sleeps, so a slow iteration is made up
 * by the next ones and the long-run rate stays exact.
 */
public final class RateLimiter {

    private final double perSecond;
    private final long startNanos;
    private long permits;

    /**
     * @param perSecond target rate; zero or negative means unlimited
     */
    public RateLimiter(final double perSecond) {
        this.perSecond = perSecond;
        this.startNanos = System.nanoTime();
    }

    /** Blocks until the next permit is due. */
    public void acquire() {
        if (perSecond <= 0) {
            return;
        }
        final long due = startNanos + (long) (permits++ * 1e9 / perSecond);
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
