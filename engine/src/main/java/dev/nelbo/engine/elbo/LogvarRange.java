package dev.nelbo.engine.elbo;

/**
 * The interval a graph's log-variance output is clamped to before use, so that no variance can be
 * zero or overflow and no score can become NaN.
 *
 * @param min lower bound
 * @param max upper bound
 */
public record LogvarRange(double min, double max) {

    /**
     * @throws IllegalArgumentException unless {@code min < max} and both are finite
     */
    public LogvarRange {
        if (!Double.isFinite(min) || !Double.isFinite(max) || min >= max) {
            throw new IllegalArgumentException("log-variance clamp range must be finite with min < max, got [" + min + ", " + max + "]");
        }
    }

    /**
     * @param value a log-variance from a graph
     * @return the value clamped to this range (NaN maps to {@link #max()})
     */
    public double clamp(final double value) {
        return Elbo.clamp(value, min, max);
    }
}
