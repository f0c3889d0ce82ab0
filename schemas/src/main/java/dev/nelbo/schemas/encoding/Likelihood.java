package dev.nelbo.schemas.encoding;

import com.fasterxml.jackson.annotation.JsonValue;

/** How one feature's block is modelled, fixed by the feature's type: the decoder likelihood, or none for a time cycle. */
public enum Likelihood {
    /** Continuous feature: Gaussian with the decoder's mean and a learned log-variance. */
    GAUSSIAN,
    /** Binary feature: Bernoulli with the decoder's logit. */
    BERNOULLI,
    /** One-of-k feature: categorical, softmax over the decoder's logits of the one-hot block. */
    CATEGORICAL,
    /** A time feature's sine and cosine (two columns): context only, never reconstructed. */
    CYCLIC;

    /** @return the lower-case name used in JSON */
    @JsonValue
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
