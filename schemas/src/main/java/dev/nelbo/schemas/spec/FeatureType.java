package dev.nelbo.schemas.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.nelbo.schemas.encoding.Likelihood;
import dev.nelbo.schemas.json.WireEnum;

/** How a feature is encoded and which decoder likelihood models it. */
public enum FeatureType {
    /** A real number (after an optional transform), standardised; Gaussian likelihood. */
    CONTINUOUS(Likelihood.GAUSSIAN),
    /** 0/1 or true/false; Bernoulli likelihood. */
    BINARY(Likelihood.BERNOULLI),
    /** One of a set of strings; one-hot over the top-K training values plus an out-of-vocabulary slot. */
    CATEGORICAL(Likelihood.CATEGORICAL),
    /**
     * A cycle of the event time (hour of day, day of week; see {@link TimePeriod}) derived from the spec's
     * timestamp path, as sine and cosine; always context (the time of an event conditions the model, it is
     * not something to predict).
     */
    TIME(Likelihood.CYCLIC);

    private final Likelihood likelihood;

    FeatureType(final Likelihood likelihood) {
        this.likelihood = likelihood;
    }

    /** @return the decoder likelihood for this type */
    public Likelihood likelihood() {
        return likelihood;
    }

    /** @return wire name */
    @JsonValue
    public String wireName() {
        return WireEnum.wireName(this);
    }

    /** @return the constant for a wire name */
    @JsonCreator
    public static FeatureType fromWire(final String text) {
        return WireEnum.parse(FeatureType.class, text, "feature type");
    }
}
