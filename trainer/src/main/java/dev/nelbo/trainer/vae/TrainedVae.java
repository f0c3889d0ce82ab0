package dev.nelbo.trainer.vae;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import dev.nelbo.schemas.bundle.BundleWriter;
import dev.nelbo.schemas.bundle.DenseLayer;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.MlpHead;
import dev.nelbo.schemas.bundle.MlpWeights;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A trained VAE: its weights as plain {@link MlpWeights} for export, the training history, the
 * validation rows it held back, and DJL forward passes of the encoder and decoder for the export
 * parity check. Owns native memory: close it.
 */
public final class TrainedVae implements AutoCloseable {

    private final Model model;
    private final FlatParameters parameters;
    private final VaeBlock block;
    private final NelboLoss loss;
    private final TrainingData validation;
    private final VaeConfig config;
    private final float[] validationEps;
    private float[] best;
    private List<EpochStats> history = List.of();

    TrainedVae(final Model model, final FlatParameters parameters, final VaeBlock block, final NelboLoss loss,
               final TrainingData validation, final VaeConfig config) {
        this.model = model;
        this.parameters = parameters;
        this.block = block;
        this.loss = loss;
        this.validation = validation;
        this.config = config;
        // Fixed noise for validation: epochs are compared on the same draws, so early stopping
        // reacts to the model and not to sampling noise.
        final Random random = new Random(config.seed() ^ 0x5DEECE66DL);
        validationEps = new float[validation.rows() * config.latent()];
        for (int i = 0; i < validationEps.length; i++) {
            validationEps[i] = (float) random.nextGaussian();
        }
    }

    /** @return per-epoch figures in order */
    public List<EpochStats> history() {
        return history;
    }

    /** @return the held-back validation rows (never used for gradients) */
    public TrainingData validation() {
        return validation;
    }

    /** @return the configuration the model was trained with */
    public VaeConfig config() {
        return config;
    }

    /** @return the encoder as an MLP with heads {@code mu} and {@code logvar} (input {@code x}) */
    public MlpWeights encoderWeights() {
        final List<DenseLayer> hidden = new ArrayList<>();
        for (Linear layer : block.encoderLayers()) {
            hidden.add(dense(layer));
        }
        return new MlpWeights(BundleWriter.ENCODER_INPUT, block.inputWidth(), hidden, block.activation(),
                List.of(MlpHead.dense(BundleWriter.MU, rows(block.posteriorHead(), 0, block.latent())),
                        MlpHead.dense(BundleWriter.LOGVAR, rows(block.posteriorHead(), block.latent(), block.latent()))));
    }

    /**
     * @return the decoder as an MLP with a {@code mean} head and a {@code logvar} head: a constant
     *         (already clamped, so the graph needs no clamp) or, with per-row variance, a linear head
     *         whose output the engine clamps
     */
    public MlpWeights decoderWeights() {
        final List<DenseLayer> hidden = new ArrayList<>();
        for (Linear layer : block.decoderLayers()) {
            hidden.add(dense(layer));
        }
        final MlpHead logvarHead;
        if (block.decoderLogvarHead() != null) {
            logvarHead = MlpHead.dense(BundleWriter.LOGVAR, dense(block.decoderLogvarHead()));
        } else {
            final float[] logvar = block.decoderLogvar().getArray().toFloatArray();
            for (int i = 0; i < logvar.length; i++) {
                logvar[i] = Math.max(config.logvarMin(), Math.min(config.logvarMax(), logvar[i]));
            }
            logvarHead = MlpHead.constant(BundleWriter.LOGVAR, logvar);
        }
        return new MlpWeights(BundleWriter.DECODER_INPUT, block.decoderInputWidth(), hidden, block.activation(),
                List.of(MlpHead.dense(BundleWriter.MEAN, dense(block.meanHead())), logvarHead));
    }

    /** Output rows {@code [from, from + count)} of a linear layer as a layer of their own. */
    private static DenseLayer rows(final Linear layer, final int from, final int count) {
        final DenseLayer all = dense(layer);
        final float[] weight = java.util.Arrays.copyOfRange(all.weight(), from * all.inputs(), (from + count) * all.inputs());
        final float[] bias = java.util.Arrays.copyOfRange(all.bias(), from, from + count);
        return new DenseLayer(all.inputs(), count, weight, bias);
    }

    private static DenseLayer dense(final Linear layer) {
        final NDArray weight = layer.getParameters().get("weight").getArray();
        final NDArray bias = layer.getParameters().get("bias").getArray();
        final Shape shape = weight.getShape();
        return new DenseLayer((int) shape.get(1), (int) shape.get(0), weight.toFloatArray(), bias.toFloatArray());
    }

    /**
     * DJL forward pass of the encoder.
     *
     * @param x    row-major encoded rows
     * @param rows number of rows
     * @return {@code mu} and {@code logvar} (clamped, as trained), each row-major {@code [rows, K]}
     */
    public float[][] encode(final float[] x, final int rows) {
        try (NDManager manager = model.getNDManager().newSubManager()) {
            final NDList out = block.encode(store(manager), manager.create(x, new Shape(rows, block.inputWidth())), false);
            return new float[][] {out.get(0).toFloatArray(), out.get(1).toFloatArray()};
        }
    }

    /**
     * The decoder's input rows: each latent code followed by its row's context columns (the codes alone for a model
     * without context), as the scoring engine builds them.
     *
     * @param z    row-major latent codes {@code [rows, K]}
     * @param x    the encoded rows they belong to {@code [rows, D]}
     * @param rows number of rows
     * @return row-major {@code [rows, K + C]}
     */
    public float[] decoderInput(final float[] z, final float[] x, final int rows) {
        final int k = block.latent();
        final int d = block.inputWidth();
        final int dx = block.reconstructedWidth();
        if (d == dx) {
            return z;
        }
        final int w = block.decoderInputWidth();
        final float[] out = new float[rows * w];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(z, r * k, out, r * w, k);
            System.arraycopy(x, r * d + dx, out, r * w + k, d - dx);
        }
        return out;
    }

    /**
     * DJL forward pass of the decoder.
     *
     * @param zc   row-major decoder input from {@link #decoderInput}
     * @param rows number of rows
     * @return {@code mean} {@code [rows, Dx]} row-major and the clamped {@code logvar} ({@code [Dx]} per feature or {@code [rows, Dx]} per row)
     */
    public float[][] decode(final float[] zc, final int rows) {
        try (NDManager manager = model.getNDManager().newSubManager()) {
            final NDList out = block.decode(store(manager), manager.create(zc, new Shape(rows, block.decoderInputWidth())), false);
            return new float[][] {out.get(0).toFloatArray(), out.get(1).toFloatArray()};
        }
    }

    /**
     * @return the posterior's planar flow as the engine applies it (u already constrained), or null without one
     */
    public Manifest.PlanarFlow flowWeights() {
        final Parameter[] p = block.flowParameters();
        if (p == null) {
            return null;
        }
        try (NDManager manager = model.getNDManager().newSubManager()) {
            final NDArray u = p[0].getArray().duplicate();
            final NDArray w = p[1].getArray().duplicate();
            u.attach(manager);
            w.attach(manager);
            final int k = block.latent();
            return new Manifest.PlanarFlow(rowsOf(VaeBlock.constrained(u, w).toFloatArray(), k),
                    rowsOf(w.toFloatArray(), k), doubles(p[2].getArray().toFloatArray(), 0, block.flowLength()));
        }
    }

    private static List<List<Double>> rowsOf(final float[] values, final int width) {
        final List<List<Double>> rows = new ArrayList<>();
        for (int r = 0; r < values.length / width; r++) {
            rows.add(doubles(values, r * width, width));
        }
        return rows;
    }

    private static List<Double> doubles(final float[] values, final int from, final int count) {
        final List<Double> out = new ArrayList<>(count);
        for (int j = 0; j < count; j++) {
            out.add((double) values[from + j]);
        }
        return out;
    }

    /**
     * DJL forward pass of the posterior's flow.
     *
     * @param z0   row-major samples {@code [rows, K]}
     * @param rows number of rows
     * @return {@code z_K} row-major and the summed log-determinant per row
     * @throws IllegalStateException without a flow
     */
    public float[][] flow(final float[] z0, final int rows) {
        if (block.flowLength() == 0) {
            throw new IllegalStateException("the model has no flow");
        }
        try (NDManager manager = model.getNDManager().newSubManager()) {
            final NDList out = block.flow(store(manager), manager.create(z0, new Shape(rows, block.latent())), false);
            return new float[][] {out.get(0).toFloatArray(), out.get(1).toFloatArray()};
        }
    }

    private static ParameterStore store(final NDManager manager) {
        return new ParameterStore(manager, false);
    }

    /** @return mean per-row reconstruction NLL and KL on the validation rows, with fixed noise */
    double[] validationTerms() {
        final float[][] terms = perRowTerms(validation, validationEps);
        double recon = 0;
        double kl = 0;
        for (int i = 0; i < validation.rows(); i++) {
            recon += terms[0][i];
            kl += terms[1][i];
        }
        return new double[] {recon / validation.rows(), kl / validation.rows()};
    }

    /**
     * Per-row reconstruction NLL and KL of the training objective (beta = 1) for one noise draw.
     *
     * @param data rows to evaluate
     * @param eps  row-major noise {@code [rows, K]}
     * @return per-row reconstruction NLL and per-row KL
     */
    float[][] perRowTerms(final TrainingData data, final float[] eps) {
        final float[] recon = new float[data.rows()];
        final float[] kl = new float[data.rows()];
        final int width = data.width();
        final int latent = config.latent();
        for (int from = 0; from < data.rows(); from += VaeTrainer.EVAL_CHUNK) {
            final int n = Math.min(VaeTrainer.EVAL_CHUNK, data.rows() - from);
            try (NDManager manager = model.getNDManager().newSubManager()) {
                final NDArray x = manager.create(FloatBuffer.wrap(data.x(), from * width, n * width), new Shape(n, width));
                final NDArray mask = loss.usesMask()
                        ? manager.create(FloatBuffer.wrap(data.mask(), from * width, n * width), new Shape(n, width)) : null;
                final NDArray noise = manager.create(FloatBuffer.wrap(eps, from * latent, n * latent), new Shape(n, latent));
                final NDList outputs = block.forward(store(manager), new NDList(x, noise), false);
                final NDList terms = loss.perRow(x, mask, outputs);
                System.arraycopy(terms.get(0).toFloatArray(), 0, recon, from, n);
                System.arraycopy(terms.get(1).toFloatArray(), 0, kl, from, n);
            }
        }
        return new float[][] {recon, kl};
    }

    void snapshotBest() {
        best = parameters.snapshot();
    }

    void restoreBest() {
        if (best == null) {
            throw new IllegalStateException("no epoch produced a finite validation negative ELBO");
        }
        parameters.restore(best);
    }

    void finish(final List<EpochStats> epochs) {
        history = List.copyOf(epochs);
    }

    @Override
    public void close() {
        model.close();
    }
}
