package dev.nelbo.trainer.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.util.PairList;
import dev.nelbo.schemas.bundle.Activation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The VAE as a DJL block: an MLP encoder with Gaussian heads {@code mu} and {@code logvar}, the
 * reparameterised sample {@code z = mu + exp(logvar / 2) * eps}, and an MLP decoder with a
 * {@code mean} head (means, logits) and either a learned per-feature log-variance that does not
 * depend on {@code z} or a log-variance head ({@link VaeConfig#perRowVariance()}). The block's structure is exactly what {@link VaeExport} writes as two ONNX graphs.
 *
 * <p>Forward inputs: {@code x [batch, D]} and {@code eps [batch, K]}; outputs: {@code mu},
 * {@code logvar} (clamped), {@code mean [batch, Dx]}, {@code decoderLogvar [Dx]} or {@code [batch, Dx]} (clamped). Taking
 * {@code eps} as an input keeps the block deterministic and lets the caller own the noise.
 *
 * <p>Conditional (a CVAE, Sohn et al. 2015) when the rows end in context columns {@code [Dx, D)}: the encoder reads the
 * whole row, q(z|x, c); the decoder reads the sample followed by the context, p(x|z, c), and reconstructs only the
 * first Dx columns. Without context Dx = D and this is the plain VAE.
 */
final class VaeBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int inputWidth;
    private final int reconstructedWidth;
    private final int latent;
    private final Activation activation;
    private final float logvarMin;
    private final float logvarMax;
    private final List<Linear> encoderLayers = new ArrayList<>();
    private final Linear posteriorHead;
    private final List<Linear> decoderLayers = new ArrayList<>();
    private final Linear meanHead;
    private final Linear decoderLogvarHead;
    private final Parameter decoderLogvar;
    private final int flowLength;
    private final Parameter flowU;
    private final Parameter flowW;
    private final Parameter flowB;

    VaeBlock(final int inputWidth, final int reconstructedWidth, final VaeConfig config) {
        super(VERSION);
        this.inputWidth = inputWidth;
        this.reconstructedWidth = reconstructedWidth;
        this.latent = config.latent();
        this.activation = config.activation();
        this.logvarMin = config.logvarMin();
        this.logvarMax = config.logvarMax();
        for (int i = 0; i < config.hidden().size(); i++) {
            encoderLayers.add(addChildBlock("encoder_" + i, linear(config.hidden().get(i))));
        }
        // mu and logvar come from one 2K-wide layer: one matmul and one optimizer update fewer per
        // step; the export splits it back into the two heads of the graph contract.
        posteriorHead = addChildBlock("posterior", linear(2 * latent));
        final List<Integer> mirrored = new ArrayList<>(config.hidden());
        Collections.reverse(mirrored);
        for (int i = 0; i < mirrored.size(); i++) {
            decoderLayers.add(addChildBlock("decoder_" + i, linear(mirrored.get(i))));
        }
        meanHead = addChildBlock("mean", linear(reconstructedWidth));
        if (config.perRowVariance()) {
            decoderLogvarHead = addChildBlock("decoder_logvar", linear(reconstructedWidth));
            decoderLogvar = null;
        } else {
            decoderLogvarHead = null;
            decoderLogvar = addParameter(Parameter.builder()
                    .setName("decoder_logvar")
                    .setType(Parameter.Type.OTHER)
                    .optShape(new Shape(reconstructedWidth))
                    .optInitializer(new ConstantInitializer(0f))
                    .build());
        }
        flowLength = config.flowLength();
        if (flowLength > 0) {
            flowU = addParameter(flowParameter("flow_u", new Shape(flowLength, latent)));
            flowW = addParameter(flowParameter("flow_w", new Shape(flowLength, latent)));
            flowB = addParameter(flowParameter("flow_b", new Shape(flowLength)));
        } else {
            flowU = null;
            flowW = null;
            flowB = null;
        }
    }

    private static Parameter flowParameter(final String name, final Shape shape) {
        return Parameter.builder().setName(name).setType(Parameter.Type.OTHER).optShape(shape)
                .optInitializer(new ai.djl.training.initializer.NormalInitializer(0.1f)).build();
    }

    private static Linear linear(final int units) {
        return Linear.builder().setUnits(units).optBias(true).build();
    }

    @Override
    protected NDList forwardInternal(final ParameterStore ps, final NDList inputs, final boolean training,
                                     final PairList<String, Object> params) {
        final NDList encoded = encode(ps, inputs.get(0), training);
        final NDArray mu = encoded.get(0);
        final NDArray logvar = encoded.get(1);
        final NDArray eps = inputs.get(1);
        final NDArray z0 = logvar.mul(NelboLoss.scalar(logvar, 0.5f)).exp().mul(eps).add(mu);
        if (flowLength == 0) {
            final NDList decoded = decode(ps, withContext(z0, inputs.get(0)), training);
            return new NDList(mu, logvar, decoded.get(0), decoded.get(1));
        }
        final NDList flowed = flow(ps, z0, training);
        final NDArray z = flowed.get(0);
        final NDList decoded = decode(ps, withContext(z, inputs.get(0)), training);
        // One-sample Monte Carlo KL of the flowed posterior: log q0(z0|x) - sum log|det| - log p(z_K), the log(2 pi)
        // terms cancelling: 0.5 * sum(z_K^2 - eps^2 - logvar) - sum log|det|.
        final NDArray kl = z.square().sub(eps.square()).sub(logvar).sum(new int[] {1}).mul(NelboLoss.scalar(z, 0.5f))
                .sub(flowed.get(1));
        return new NDList(mu, logvar, decoded.get(0), decoded.get(1), kl);
    }

    /**
     * The planar flow chain on posterior samples, with the paper's constraint on u (u-hat, so w . u-hat =
     * m(w . u) = -1 + softplus(w . u) >= -1 and every step is invertible); the engine's {@code PlanarFlow} does the
     * same arithmetic on the exported u-hat.
     *
     * @return {@code z_K [batch, K]} and the summed log-determinants {@code [batch]}
     */
    NDList flow(final ParameterStore ps, final NDArray z0, final boolean training) {
        final NDArray u = parameter(ps, flowU, z0, training);
        final NDArray w = parameter(ps, flowW, z0, training);
        final NDArray b = parameter(ps, flowB, z0, training);
        final NDArray uHat = constrained(u, w);
        NDArray z = z0;
        NDArray logDet = null;
        final long batch = z0.getShape().get(0);
        final NDArray one = NelboLoss.scalar(z0, 1f);
        for (int k = 0; k < flowLength; k++) {
            final NDArray wk = w.get(k);
            final NDArray uk = uHat.get(k);
            final NDArray h = z.matMul(wk.reshape(latent, 1)).reshape(batch).add(b.get(k)).tanh();
            z = z.add(h.reshape(batch, 1).mul(uk.reshape(1, latent)));
            final NDArray det = one.sub(h.square()).mul(wk.mul(uk).sum()).add(one);
            final NDArray step = det.abs().log();
            logDet = logDet == null ? step : logDet.add(step);
        }
        return new NDList(z, logDet);
    }

    /** @return u-hat per step: {@code u + (m(w . u) - w . u) w / |w|^2} */
    static NDArray constrained(final NDArray u, final NDArray w) {
        final NDArray wu = w.mul(u).sum(new int[] {1}, true);
        final NDArray m = ai.djl.nn.Activation.softPlus(wu).sub(NelboLoss.scalar(wu, 1f));
        return u.add(w.mul(m.sub(wu)).div(w.square().sum(new int[] {1}, true)));
    }

    /**
     * A parameter as an array of the batch's manager (an op whose first operand is a parameter lands in the
     * parameter's long-lived manager and would pile up there every step); gradients flow through the add.
     */
    private static NDArray parameter(final ParameterStore ps, final Parameter p, final NDArray like, final boolean training) {
        final NDArray value = ps.getValue(p, like.getDevice(), training);
        return like.getManager().zeros(value.getShape(), value.getDataType()).add(value);
    }

    /** @return {@code mu} and the clamped {@code logvar} of q(z|x) */
    NDList encode(final ParameterStore ps, final NDArray x, final boolean training) {
        final NDArray h = body(ps, encoderLayers, x, training);
        final NDList halves = apply(ps, posteriorHead, h, training).split(2, 1);
        return new NDList(halves.get(0), halves.get(1).clip(logvarMin, logvarMax));
    }

    /** @return the decoder's input: {@code z} followed by the context columns of {@code x} (just {@code z} without context) */
    NDArray withContext(final NDArray z, final NDArray x) {
        if (reconstructedWidth == inputWidth) {
            return z;
        }
        return z.concat(x.get(new ai.djl.ndarray.index.NDIndex(":, {}:", reconstructedWidth)), 1);
    }

    /** @return the decoder {@code mean} for its input (z, then any context) and the clamped per-feature log-variance */
    NDList decode(final ParameterStore ps, final NDArray z, final boolean training) {
        final NDArray h = body(ps, decoderLayers, z, training);
        final NDArray mean = apply(ps, meanHead, h, training);
        if (decoderLogvarHead != null) {
            return new NDList(mean, apply(ps, decoderLogvarHead, h, training).clip(logvarMin, logvarMax));
        }
        final NDArray logvar = ps.getValue(decoderLogvar, z.getDevice(), training).clip(logvarMin, logvarMax);
        // An op on a parameter lands in the parameter's (long-lived) manager: move it to the batch's.
        logvar.attach(z.getManager());
        return new NDList(mean, logvar);
    }

    private NDArray body(final ParameterStore ps, final List<Linear> layers, final NDArray input,
                         final boolean training) {
        NDArray h = input;
        for (Linear layer : layers) {
            h = activate(apply(ps, layer, h, training));
        }
        return h;
    }

    private static NDArray apply(final ParameterStore ps, final Linear layer, final NDArray input,
                                 final boolean training) {
        return layer.forward(ps, new NDList(input), training).singletonOrThrow();
    }

    private NDArray activate(final NDArray a) {
        return switch (activation) {
            case TANH -> a.tanh();
            case RELU -> ai.djl.nn.Activation.relu(a);
            case ELU -> ai.djl.nn.Activation.elu(a, 1f);
            case SOFTPLUS -> ai.djl.nn.Activation.softPlus(a);
        };
    }

    @Override
    public Shape[] getOutputShapes(final Shape[] inputShapes) {
        final long batch = inputShapes[0].get(0);
        final Shape decoderLogvarShape = decoderLogvarHead != null ? new Shape(batch, reconstructedWidth) : new Shape(reconstructedWidth);
        if (flowLength > 0) {
            return new Shape[] {new Shape(batch, latent), new Shape(batch, latent), new Shape(batch, reconstructedWidth),
                decoderLogvarShape, new Shape(batch)};
        }
        return new Shape[] {new Shape(batch, latent), new Shape(batch, latent), new Shape(batch, reconstructedWidth),
            decoderLogvarShape};
    }

    @Override
    protected void initializeChildBlocks(final NDManager manager, final DataType dataType, final Shape... inputShapes) {
        final long batch = inputShapes[0].get(0);
        long width = inputWidth;
        for (Linear layer : encoderLayers) {
            layer.initialize(manager, dataType, new Shape(batch, width));
            width = layer.getOutputShapes(new Shape[] {new Shape(batch, width)})[0].get(1);
        }
        posteriorHead.initialize(manager, dataType, new Shape(batch, width));
        width = decoderInputWidth();
        for (Linear layer : decoderLayers) {
            layer.initialize(manager, dataType, new Shape(batch, width));
            width = layer.getOutputShapes(new Shape[] {new Shape(batch, width)})[0].get(1);
        }
        meanHead.initialize(manager, dataType, new Shape(batch, width));
        if (decoderLogvarHead != null) {
            decoderLogvarHead.initialize(manager, dataType, new Shape(batch, width));
        }
    }

    List<Linear> encoderLayers() {
        return Collections.unmodifiableList(encoderLayers);
    }

    List<Linear> decoderLayers() {
        return Collections.unmodifiableList(decoderLayers);
    }

    /** @return the layer whose first K outputs are mu and last K outputs are logvar */
    Linear posteriorHead() {
        return posteriorHead;
    }

    Linear meanHead() {
        return meanHead;
    }

    /** @return the per-row log-variance head, or null with a per-feature log-variance */
    Linear decoderLogvarHead() {
        return decoderLogvarHead;
    }

    /** @return the per-feature log-variance, or null with a per-row head */
    Parameter decoderLogvar() {
        return decoderLogvar;
    }

    int inputWidth() {
        return inputWidth;
    }

    int reconstructedWidth() {
        return reconstructedWidth;
    }

    /** @return K plus the context width */
    int decoderInputWidth() {
        return latent + inputWidth - reconstructedWidth;
    }

    int latent() {
        return latent;
    }

    /** @return planar flow steps (0: none) */
    int flowLength() {
        return flowLength;
    }

    /** @return the flow's raw u, w and b parameters, or null without a flow */
    Parameter[] flowParameters() {
        return flowLength == 0 ? null : new Parameter[] {flowU, flowW, flowB};
    }

    Activation activation() {
        return activation;
    }
}
