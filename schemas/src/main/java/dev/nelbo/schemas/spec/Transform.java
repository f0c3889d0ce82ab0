package dev.nelbo.schemas.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.nelbo.schemas.json.WireEnum;

/**
 * A monotone transform applied to a continuous value before standardisation. Heavy right tails
 * (latencies, byte counts) are far closer to Gaussian after a log, which is what the decoder assumes.
 */
public enum Transform {
    /** Identity. */
    NONE,
    /** {@code log(1 + x)}; defined for x &gt; -1. */
    LOG1P,
    /** {@code sign(x) * log(1 + |x|)}; defined everywhere, for heavy tails on both sides. */
    SIGNED_LOG;

    /**
     * Applies the transform.
     *
     * @param x raw value (finite)
     * @return the transformed value, NaN where the transform is undefined (log1p of x &lt;= -1)
     */
    public double apply(final double x) {
        return switch (this) {
            case NONE -> x;
            case LOG1P -> x > -1.0 ? Math.log1p(x) : Double.NaN;
            case SIGNED_LOG -> Math.copySign(Math.log1p(Math.abs(x)), x);
        };
    }

    /**
     * Inverse of {@link #apply}, used to show expected values in the user's units.
     *
     * @param y transformed value
     * @return raw value
     */
    public double invert(final double y) {
        return switch (this) {
            case NONE -> y;
            case LOG1P -> Math.expm1(y);
            case SIGNED_LOG -> Math.copySign(Math.expm1(Math.abs(y)), y);
        };
    }

    /** @return wire name */
    @JsonValue
    public String wireName() {
        return WireEnum.wireName(this);
    }

    /** @return the constant for a wire name */
    @JsonCreator
    public static Transform fromWire(final String text) {
        return WireEnum.parse(Transform.class, text, "transform");
    }
}
