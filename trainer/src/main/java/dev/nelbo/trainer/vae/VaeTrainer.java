package dev.nelbo.trainer.vae;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Fits a {@link VaeBlock} with DJL on the PyTorch engine: Adam, the negative ELBO with KL warm-up,
 * optional denoising, element-wise gradient clipping, a seeded validation split and early stopping
 * on the validation negative ELBO (the best epoch's weights are kept).
 *
 * <p>The training rows live on the native side as one tensor; each epoch gathers a shuffled copy
 * once and batches are views of it, so no Java-to-native copy happens per step. The parameters live in
 * one flat tensor ({@link FlatParameters}): gradient clipping and the Adam update are one native call
 * each per step instead of one per parameter.
 */
public final class VaeTrainer {

    /** Rows per forward pass when evaluating validation rows (no gradients, so larger is fine). */
    static final int EVAL_CHUNK = 4096;

    private VaeTrainer() {
    }

    /**
     * Trains a VAE.
     *
     * @param data     encoded rows and their column layout
     * @param config   hyperparameters
     * @param progress called after every epoch (e.g. to print a progress line)
     * @return the trained model; the caller closes it
     * @throws IllegalArgumentException when there are too few rows for a train/validation split
     */
    public static TrainedVae fit(final TrainingData data, final VaeConfig config, final Consumer<EpochStats> progress) {
        final int validationRows = (int) Math.round(data.rows() * (double) config.validationFraction());
        if (validationRows < 1 || data.rows() - validationRows < 2) {
            throw new IllegalArgumentException("too few rows to train: " + data.rows()
                    + " rows leave no room for a validation split of " + config.validationFraction());
        }
        final Random random = new Random(config.seed());
        final int[] order = permutation(data.rows(), random);
        final TrainingData validation = data.select(java.util.Arrays.copyOfRange(order, 0, validationRows));
        final TrainingData train = data.select(java.util.Arrays.copyOfRange(order, validationRows, order.length));

        Engine.getEngine("PyTorch").setRandomSeed((int) config.seed());
        final VaeBlock block = new VaeBlock(data.width(), data.reconstructedWidth(), config);
        final Model model = Model.newInstance("nelbo-vae", Device.cpu(), "PyTorch");
        boolean ok = false;
        try {
            model.setBlock(block);
            block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(config.batchSize(), data.width()),
                    new Shape(config.batchSize(), config.latent()));
            final FlatParameters parameters = new FlatParameters(block, model.getNDManager());
            // No optClipGrad: DJL's native Adam clips from above only (clamp_max); FlatParameters clips both ways.
            final Optimizer adam = Optimizer.adam()
                    .optLearningRateTracker(Tracker.fixed(config.learningRate()))
                    .build();
            final NelboLoss loss = new NelboLoss(data.reconstructedWidth(), data.reconstructedBlocks(), data.allObserved());
            final TrainedVae result = new TrainedVae(model, parameters, block, loss, validation, config);
            final Step step = new Step(block, parameters, adam, loss, config, model.getNDManager());
            final List<EpochStats> history = run(step, model.getNDManager(), loss, train, result, config, random, progress);
            result.finish(history);
            ok = true;
            return result;
        } finally {
            if (!ok) {
                model.close();
            }
        }
    }

    private static List<EpochStats> run(final Step step, final NDManager modelManager, final NelboLoss loss,
                                        final TrainingData train, final TrainedVae result, final VaeConfig config,
                                        final Random random, final Consumer<EpochStats> progress) {
        final List<EpochStats> history = new ArrayList<>();
        final int rows = train.rows();
        final int width = train.width();
        final int steps = (rows + config.batchSize() - 1) / config.batchSize();
        try (NDManager data = modelManager.newSubManager()) {
            final NDArray x = data.create(train.x(), new Shape(rows, width));
            final NDArray mask = loss.usesMask() ? data.create(train.mask(), new Shape(rows, width)) : null;
            double bestNelbo = Double.POSITIVE_INFINITY;
            int bestEpoch = -1;
            double elapsed = 0;
            for (int epoch = 0; epoch < config.epochs(); epoch++) {
                final long start = System.nanoTime();
                double sumRecon = 0;
                double sumKl = 0;
                double sumLoss = 0;
                float beta = 0;
                try (NDManager epochManager = data.newSubManager()) {
                    final NDIndex order = new NDIndex("{}", epochManager.create(permutationLong(rows, random)));
                    final NDArray xs = rowsOf(x, order, epochManager);
                    final NDArray ms = rowsOf(mask, order, epochManager);
                    for (int s = 0; s < steps; s++) {
                        beta = config.betaAt(epoch, (double) s / steps);
                        final int from = s * config.batchSize();
                        final int to = Math.min(rows, from + config.batchSize());
                        try (NDManager stepManager = epochManager.newSubManager()) {
                            final NDIndex slice = new NDIndex("{}:{}", from, to);
                            final float[] figures = step.run(rowsOf(xs, slice, stepManager), rowsOf(ms, slice, stepManager),
                                    beta, stepManager);
                            sumRecon += figures[0];
                            sumKl += figures[1];
                            sumLoss += figures[0] + beta * figures[1];
                        }
                    }
                }
                final double[] val = result.validationTerms();
                final double valNelbo = val[0] + val[1];
                final boolean improved = valNelbo < bestNelbo;
                if (improved) {
                    bestNelbo = valNelbo;
                    bestEpoch = epoch;
                    result.snapshotBest();
                }
                final double seconds = (System.nanoTime() - start) / 1e9;
                elapsed += seconds;
                final double eta = elapsed / (epoch + 1) * (config.epochs() - epoch - 1);
                final EpochStats stats = new EpochStats(epoch, config.epochs(), beta, sumLoss / rows, sumRecon / rows,
                        sumKl / rows, valNelbo, val[0], val[1], seconds, eta, improved);
                history.add(stats);
                progress.accept(stats);
                if (!Double.isFinite(sumLoss) || !Double.isFinite(valNelbo)) {
                    // Diverged: the weights are no longer usable; fall back to the best epoch, if any.
                    if (bestEpoch < 0) {
                        throw new IllegalStateException("training diverged in epoch " + (epoch + 1)
                                + " (non-finite loss) before any usable epoch: lower --learning-rate or check the data"
                                + " for extreme values");
                    }
                    break;
                }
                if (epoch - bestEpoch >= config.patience() && epoch >= config.betaWarmupEpochs()) {
                    break;
                }
            }
        }
        result.restoreBest();
        return history;
    }

    /** @return the indexed rows of {@code source}, owned by {@code owner}; null for a null source (no mask needed) */
    private static NDArray rowsOf(final NDArray source, final NDIndex index, final NDManager owner) {
        if (source == null) {
            return null;
        }
        final NDArray rows = source.get(index);
        rows.attach(owner);
        return rows;
    }

    /** One optimizer step: forward, negative ELBO, backward, clipped fused Adam update. */
    private static final class Step {

        /** The one key the optimizer keeps its state (moments, step count) under: all parameters are one tensor. */
        private static final String PARAMETERS = "vae";

        private final VaeBlock block;
        private final FlatParameters parameters;
        private final Optimizer adam;
        private final NelboLoss loss;
        private final VaeConfig config;
        private final ParameterStore store;
        /** 1 on the context columns, which denoising never hides (the condition stays known), or null. */
        private final NDArray contextKept;

        Step(final VaeBlock block, final FlatParameters parameters, final Optimizer adam, final NelboLoss loss,
             final VaeConfig config, final NDManager modelManager) {
            this.block = block;
            this.parameters = parameters;
            this.adam = adam;
            this.loss = loss;
            this.config = config;
            this.store = new ParameterStore(modelManager, false);
            if (block.reconstructedWidth() < block.inputWidth()) {
                final float[] ones = new float[block.inputWidth()];
                java.util.Arrays.fill(ones, block.reconstructedWidth(), ones.length, 1f);
                this.contextKept = modelManager.create(ones);
            } else {
                this.contextKept = null;
            }
        }

        /** @return the batch's summed reconstruction NLL and KL */
        float[] run(final NDArray xb, final NDArray mb, final float beta, final NDManager manager) {
            final long batch = xb.getShape().get(0);
            NDArray input = xb;
            if (config.denoise() > 0) {
                NDArray keep = manager.randomUniform(0f, 1f, xb.getShape()).gte(config.denoise())
                        .toType(DataType.FLOAT32, false);
                if (contextKept != null) {
                    keep = keep.maximum(contextKept);
                }
                input = xb.mul(keep);
            }
            final NDArray eps = manager.randomNormal(new Shape(batch, config.latent()));
            final NDArray recon;
            final NDArray kl;
            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                final NDList outputs = block.forward(store, new NDList(input, eps), true);
                final NDList terms = loss.perRow(xb, mb, outputs);
                recon = terms.get(0).sum();
                kl = terms.get(1).sum();
                collector.backward(recon.add(kl.mul(NelboLoss.scalar(kl, beta))).mul(NelboLoss.scalar(kl, 1f / batch)));
            }
            final NDArray gradient = parameters.gradient(manager, config.gradClip());
            adam.update(PARAMETERS, parameters.values(), gradient);
            parameters.zeroGradients();
            return new float[] {recon.getFloat(), kl.getFloat()};
        }
    }

    static int[] permutation(final int n, final Random random) {
        final int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            final int j = random.nextInt(i + 1);
            final int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static long[] permutationLong(final int n, final Random random) {
        final int[] order = permutation(n, random);
        final long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = order[i];
        }
        return out;
    }
}
