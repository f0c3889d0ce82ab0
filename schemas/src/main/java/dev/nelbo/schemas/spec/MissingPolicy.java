package dev.nelbo.schemas.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.nelbo.schemas.json.WireEnum;

/** What happens when a feature is absent or null in a record. */
public enum MissingPolicy {
    /** The record cannot be scored: reason {@code missing_field}. */
    REJECT,
    /**
     * The feature is filled with its training expectation for the encoder input and masked out of
     * the reconstruction term, so it neither raises nor lowers the score.
     */
    IMPUTE;

    /** @return wire name */
    @JsonValue
    public String wireName() {
        return WireEnum.wireName(this);
    }

    /** @return the constant for a wire name */
    @JsonCreator
    public static MissingPolicy fromWire(final String text) {
        return WireEnum.parse(MissingPolicy.class, text, "missing policy");
    }
}
