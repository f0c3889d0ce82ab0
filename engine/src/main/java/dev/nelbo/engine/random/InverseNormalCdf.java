package dev.nelbo.engine.random;

/**
 * The standard normal quantile function {@code Phi^-1(p)} by Acklam's rational approximation
 * (relative error below 1.15e-9 over (0, 1)).
 *
 * <p>Implemented here rather than taken from the JDK because scores must be reproducible across JDK
 * versions: {@code Random.nextGaussian} has changed algorithm before. The tails use
 * {@link StrictMath#log} (bit-identical on every JVM); the central region is pure arithmetic.
 */
public final class InverseNormalCdf {

    private static final double A0 = -3.969683028665376e+01;
    private static final double A1 = 2.209460984245205e+02;
    private static final double A2 = -2.759285104469687e+02;
    private static final double A3 = 1.383577518672690e+02;
    private static final double A4 = -3.066479806614716e+01;
    private static final double A5 = 2.506628277459239e+00;

    private static final double B0 = -5.447609879822406e+01;
    private static final double B1 = 1.615858368580409e+02;
    private static final double B2 = -1.556989798598866e+02;
    private static final double B3 = 6.680131188771972e+01;
    private static final double B4 = -1.328068155288572e+01;

    private static final double C0 = -7.784894002430293e-03;
    private static final double C1 = -3.223964580411365e-01;
    private static final double C2 = -2.400758277161838e+00;
    private static final double C3 = -2.549732539343734e+00;
    private static final double C4 = 4.374664141464968e+00;
    private static final double C5 = 2.938163982698783e+00;

    private static final double D0 = 7.784695709041462e-03;
    private static final double D1 = 3.224671290700398e-01;
    private static final double D2 = 2.445134137142996e+00;
    private static final double D3 = 3.754408661907416e+00;

    private static final double P_LOW = 0.02425;
    private static final double P_HIGH = 1 - P_LOW;

    private InverseNormalCdf() {
    }

    /**
     * @param p a probability strictly between 0 and 1 (not checked: callers on the hot path pass
     *          values from {@link CounterNormals#uniform}, which never returns 0 or 1)
     * @return the standard normal quantile of {@code p}
     */
    public static double quantile(final double p) {
        if (p < P_LOW) {
            return tail(StrictMath.sqrt(-2 * StrictMath.log(p)));
        }
        if (p > P_HIGH) {
            return -tail(StrictMath.sqrt(-2 * StrictMath.log1p(-p)));
        }
        final double q = p - 0.5;
        final double r = q * q;
        return (((((A0 * r + A1) * r + A2) * r + A3) * r + A4) * r + A5) * q
                / (((((B0 * r + B1) * r + B2) * r + B3) * r + B4) * r + 1);
    }

    /**
     * Replaces each uniform in {@code values[offset, offset + count)} by its quantile, bit-identical
     * to calling {@link #quantile} on each. The central-region formula runs over the whole range in
     * one branch-free loop (which the JIT vectorises), then the few tail values (under 5%) are
     * redone; this is several times faster than one call per value.
     *
     * @param uniforms probabilities strictly between 0 and 1; left unchanged
     * @param values   receives the quantiles (may not be the same array as {@code uniforms})
     * @param offset   first index in both arrays
     * @param count    number of values
     */
    public static void quantiles(final double[] uniforms, final double[] values, final int offset, final int count) {
        final int end = offset + count;
        for (int i = offset; i < end; i++) {
            final double q = uniforms[i] - 0.5;
            final double r = q * q;
            values[i] = (((((A0 * r + A1) * r + A2) * r + A3) * r + A4) * r + A5) * q
                    / (((((B0 * r + B1) * r + B2) * r + B3) * r + B4) * r + 1);
        }
        for (int i = offset; i < end; i++) {
            final double p = uniforms[i];
            if (p < P_LOW || p > P_HIGH) {
                values[i] = quantile(p);
            }
        }
    }

    private static double tail(final double q) {
        return (((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5)
                / ((((D0 * q + D1) * q + D2) * q + D3) * q + 1);
    }
}
