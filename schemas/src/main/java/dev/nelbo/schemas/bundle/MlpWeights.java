package dev.nelbo.schemas.bundle;

import java.util.List;
import java.util.Objects;

/**
 * Plain weights of a multilayer perceptron: {@code h = act(... act(W1 x + b1) ...)}, followed by
 * named heads on the last hidden layer. The encoder and the decoder of every nelbo model have this
 * form, so one writer ({@link OnnxMlpWriter}) exports both for the trainer and for tests.
 *
 * @param inputName  ONNX input name
 * @param inputWidth input width
 * @param hidden     hidden layers in order (may be empty: heads then read the input directly)
 * @param activation activation after every hidden layer
 * @param heads      named outputs
 */
public record MlpWeights(String inputName, int inputWidth, List<DenseLayer> hidden, Activation activation,
                         List<MlpHead> heads) {

    /**
     * @throws IllegalArgumentException when consecutive layer widths do not chain
     */
    public MlpWeights {
        Objects.requireNonNull(inputName, "inputName");
        Objects.requireNonNull(activation, "activation");
        hidden = List.copyOf(hidden);
        heads = List.copyOf(heads);
        if (heads.isEmpty()) {
            throw new IllegalArgumentException("an MLP needs at least one head");
        }
        int width = inputWidth;
        for (int i = 0; i < hidden.size(); i++) {
            if (hidden.get(i).inputs() != width) {
                throw new IllegalArgumentException("hidden layer " + i + " takes " + hidden.get(i).inputs()
                        + " inputs but receives " + width);
            }
            width = hidden.get(i).outputs();
        }
        for (MlpHead head : heads) {
            if (head.layer() != null && head.layer().inputs() != width) {
                throw new IllegalArgumentException("head '" + head.name() + "' takes " + head.layer().inputs()
                        + " inputs but the last hidden layer has " + width);
            }
        }
    }

    /** @return the width of each hidden layer, in order */
    public List<Integer> hiddenWidths() {
        return hidden.stream().map(DenseLayer::outputs).toList();
    }

    /** @return the head with this name */
    public MlpHead head(final String name) {
        return heads.stream().filter(h -> h.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no head named '" + name + "'"));
    }
}
