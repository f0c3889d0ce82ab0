package dev.nelbo.scorer.pipeline;

/** Where the pipeline's output records go (the Kafka Streams sinks, or a list in a test). */
@FunctionalInterface
public interface Outputs {

    /** The four outputs. */
    enum Kind {
        /** A score record, one per scored event. */
        SCORE,
        /** An alert. */
        ALERT,
        /** A dead letter, one per record that cannot be scored. */
        DEAD_LETTER,
        /** The shadow model's score record. */
        SHADOW
    }

    /**
     * @param kind          which output
     * @param origin        the input record it is for
     * @param key           the output's Kafka key (the input's, or null when that would not fit)
     * @param value         the output document
     * @param versionHeader the model version that produced it, as the {@code nelbo-model-version} header value
     */
    void emit(Kind kind, Origin origin, byte[] key, byte[] value, byte[] versionHeader);
}
