package dev.nelbo.trainer.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.nelbo.schemas.encoding.ColumnBlock;

import java.util.ArrayList;
import java.util.List;

/**
 * The per-row terms of the negative ELBO for the training objective: the reconstruction negative
 * log-likelihood over observed features (Gaussian, Bernoulli with logits, categorical softmax over a
 * one-hot block) and the closed-form KL of N(mu, diag exp(logvar)) to N(0, I) (with a planar flow, the block's
 * Monte Carlo estimate). Scoring is done by
 * the engine on the exported graphs; this class only drives the optimizer and early stopping.
 */
final class NelboLoss {

    private static final float LOG_2PI = (float) Math.log(2 * Math.PI);

    private final float[] gaussianColumns;
    private final float[] bernoulliColumns;
    private final boolean allGaussian;
    private final boolean anyGaussian;
    private final boolean anyBernoulli;
    private final List<ColumnBlock> categorical = new ArrayList<>();

    private final boolean allObserved;
    private final int width;

    /**
     * @param width       reconstructed width Dx (the targets' columns {@code [0, Dx)}; any context columns after
     *                    them are not reconstructed)
     * @param blocks      the reconstructed blocks
     * @param allObserved whether no value is missing in the data (the mask is then skipped: fewer ops per step)
     */
    NelboLoss(final int width, final List<ColumnBlock> blocks, final boolean allObserved) {
        this.allObserved = allObserved;
        this.width = width;
        gaussianColumns = new float[width];
        bernoulliColumns = new float[width];
        boolean gaussian = false;
        boolean bernoulli = false;
        for (ColumnBlock block : blocks) {
            switch (block.likelihood()) {
                case GAUSSIAN -> {
                    gaussianColumns[block.offset()] = 1f;
                    gaussian = true;
                }
                case BERNOULLI -> {
                    bernoulliColumns[block.offset()] = 1f;
                    bernoulli = true;
                }
                case CATEGORICAL -> categorical.add(block);
            }
        }
        anyGaussian = gaussian;
        anyBernoulli = bernoulli;
        allGaussian = gaussian && !bernoulli && categorical.isEmpty();
    }

    /** @return whether {@link #perRow} reads the observed mask (false when no value is missing) */
    boolean usesMask() {
        return !allObserved;
    }

    /**
     * @param fullX    targets {@code [batch, D]} (clean, never the corrupted input); only {@code [0, Dx)} is reconstructed
     * @param fullMask observed mask {@code [batch, D]}; may be null when {@link #usesMask()} is false
     * @param outputs the block's forward outputs (mu, logvar, mean, decoder logvar, and with a flow its KL estimate)
     * @return per-row reconstruction NLL {@code [batch]} and per-row KL {@code [batch]}
     */
    NDList perRow(final NDArray fullX, final NDArray fullMask, final NDList outputs) {
        final boolean context = fullX.getShape().get(1) > width;
        final NDIndex reconstructed = new NDIndex(":, 0:{}", width);
        final NDArray x = context ? fullX.get(reconstructed) : fullX;
        final NDArray mask = context && fullMask != null ? fullMask.get(reconstructed) : fullMask;
        final NDArray mu = outputs.get(0);
        final NDArray logvar = outputs.get(1);
        final NDArray mean = outputs.get(2);
        final NDArray decoderLogvar = outputs.get(3);
        final NDManager manager = x.getManager();

        NDArray columnNll = null;
        if (anyGaussian) {
            // 0.5 * (log 2pi + logvar + (x - mean)^2 / exp(logvar)). The halves are folded into the
            // per-feature [D] factors: one [batch, D] operation (and its backward) fewer per step.
            final NDArray half = scalar(x, 0.5f);
            final NDArray halfPrecision = decoderLogvar.neg().exp().mul(half);
            NDArray gaussian = x.sub(mean).square().mul(halfPrecision).add(decoderLogvar.add(scalar(x, LOG_2PI)).mul(half));
            if (!allGaussian) {
                gaussian = gaussian.mul(manager.create(gaussianColumns));
            }
            columnNll = gaussian;
        }
        if (anyBernoulli) {
            // Binary cross-entropy with logits, written stably: softplus(l) - x * l.
            final NDArray bce = ai.djl.nn.Activation.softPlus(mean).sub(x.mul(mean))
                    .mul(manager.create(bernoulliColumns));
            columnNll = columnNll == null ? bce : columnNll.add(bce);
        }
        NDArray recon = columnNll == null ? manager.zeros(new ai.djl.ndarray.types.Shape(x.getShape().get(0)))
                : (allObserved ? columnNll : columnNll.mul(mask)).sum(new int[] {1});
        for (ColumnBlock block : categorical) {
            final NDIndex columns = new NDIndex(":, {}:{}", block.offset(), block.end());
            final NDArray logProb = mean.get(columns).logSoftmax(1);
            NDArray nll = x.get(columns).mul(logProb).sum(new int[] {1});
            if (!allObserved) {
                // The mask is constant over a block: its first column says whether the feature was seen.
                nll = nll.mul(mask.get(new NDIndex(":, {}", block.offset())));
            }
            recon = recon.sub(nll);
        }
        if (outputs.size() > 4) {
            // a flowed posterior has no closed-form KL: the block's one-sample Monte Carlo estimate
            return new NDList(recon, outputs.get(4));
        }
        // 0.5 * sum(mu^2 + exp(logvar) - logvar - 1), with the constant taken out of the [batch, K] part.
        final NDArray kl = mu.square().add(logvar.exp()).sub(logvar).sum(new int[] {1})
                .sub(scalar(x, mu.getShape().get(1))).mul(scalar(x, 0.5f));
        return new NDList(recon, kl);
    }

    /**
     * A constant as a tensor whose memory PyTorch owns. DJL's {@code mul(Number)} wraps the number in a
     * tensor over a Java buffer and frees it right after the call, but autograd keeps that tensor for the
     * backward pass of mul and div: after a garbage collection the gradient then reads freed memory
     * (seen as rare, load-dependent NaN losses and runs that were not reproducible).
     *
     * @param like  an array on the step's manager (the constant is closed with it)
     * @param value the constant
     * @return a 0-dimensional tensor
     */
    static NDArray scalar(final NDArray like, final float value) {
        return like.getManager().full(new ai.djl.ndarray.types.Shape(), value, like.getDataType());
    }
}
