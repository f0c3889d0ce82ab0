package dev.nelbo.schemas.encoding;

import com.fasterxml.jackson.annotation.JsonValue;

/** The decoder likelihood of one feature, fixed by the feature's type. */
public enum Likelihood {
    /** Continuous feature: Gaussian with the decoder's mean and a learned log-variance. */
    GAUSSIAN,
    /** Binary feature: Bernoulli with the decoder's logit. */
    BERNOULLI,
    /** One-of-k feature: categorical, softmax over the decoder's logits of the one-hot block. */
    CATEGORICAL;

    /** @return the lower-case name used in JSON */
    @JsonValue
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
