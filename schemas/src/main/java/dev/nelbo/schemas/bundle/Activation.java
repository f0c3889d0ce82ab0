package dev.nelbo.schemas.bundle;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.nelbo.schemas.json.WireEnum;

/** Hidden-layer non-linearity of an exported MLP (how each is written as ONNX: {@link OnnxMlpWriter}). */
public enum Activation {
    /** {@code tanh(x)}. */
    TANH,
    /** {@code max(0, x)}. */
    RELU,
    /** {@code x} for x &gt; 0, {@code exp(x) - 1} otherwise. */
    ELU,
    /** {@code log(1 + exp(x))}. */
    SOFTPLUS;

    /** @return wire name */
    @JsonValue
    public String wireName() {
        return WireEnum.wireName(this);
    }

    /** @return the constant for a wire name */
    @JsonCreator
    public static Activation fromWire(final String text) {
        return WireEnum.parse(Activation.class, text, "activation");
    }
}
