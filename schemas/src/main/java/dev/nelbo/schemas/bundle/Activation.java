package dev.nelbo.schemas.bundle;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.nelbo.schemas.json.WireEnum;

/** Hidden-layer non-linearity of an exported MLP; each maps to one ONNX operator. */
public enum Activation {
    /** {@code tanh(x)}. */
    TANH("Tanh"),
    /** {@code max(0, x)}. */
    RELU("Relu"),
    /** {@code x} for x &gt; 0, {@code exp(x) - 1} otherwise. */
    ELU("Elu"),
    /** {@code log(1 + exp(x))}. */
    SOFTPLUS("Softplus");

    private final String onnxOp;

    Activation(final String onnxOp) {
        this.onnxOp = onnxOp;
    }

    /** @return the ONNX operator type that implements this activation */
    public String onnxOp() {
        return onnxOp;
    }

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
