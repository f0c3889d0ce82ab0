package dev.nelbo.trainer.cli;

import dev.nelbo.schemas.bundle.Activation;
import dev.nelbo.trainer.pipeline.TrainSettings;
import dev.nelbo.trainer.pipeline.TrainingPipeline;
import dev.nelbo.trainer.vae.VaeConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code train}: fit a model on normal data and write a calibrated bundle. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = "Train a VAE on normal records (CSV with header, or JSONL), export ONNX graphs, calibrate the"
                + " alert threshold and write a model bundle with a report.")
final class TrainCommand implements Callable<Integer> {

    private static final VaeConfig DEFAULTS = VaeConfig.defaults();

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Training data: .csv (with header) or .jsonl.")
    private Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Bundle directory to write.")
    private Path out;

    @Option(names = "--spec", paramLabel = "FILE", description = "Feature spec (JSON); inferred from the data when absent.")
    private Path specFile;

    @Option(names = "--label-column", paramLabel = "NAME", description = "Column/field excluded from the features.")
    private String labelColumn;

    @Option(names = "--max-rows", defaultValue = "1000000", description = "Most rows used; larger inputs are sampled uniformly.")
    private long maxRows;

    @Option(names = "--max-bad-fraction", defaultValue = "0.01", description = "Largest tolerated share of unusable lines.")
    private double maxBadFraction;

    @Option(names = "--hidden", split = ",", paramLabel = "W[,W...]", defaultValue = "64,64",
            description = "Hidden layer widths (decoder mirrors encoder).")
    private List<Integer> hidden;

    @Option(names = "--latent", defaultValue = "8", description = "Latent size.")
    private int latent;

    @Option(names = "--activation", defaultValue = "ELU", description = "Hidden activation: ${COMPLETION-CANDIDATES}.")
    private Activation activation;

    @Option(names = "--per-row-variance", defaultValue = "false", description = "Decoder log-variance per row (a head on z) instead of one learned value per feature.")
    private boolean perRowVariance;

    @Option(names = "--epochs", defaultValue = "200", description = "Maximum epochs (early stopping usually ends sooner).")
    private int epochs;

    @Option(names = "--batch-size", defaultValue = "256", description = "Rows per optimizer step.")
    private int batchSize;

    @Option(names = "--learning-rate", defaultValue = "0.001", description = "Adam learning rate.")
    private float learningRate;

    @Option(names = "--beta", defaultValue = "1.0", description = "Final KL weight.")
    private float beta;

    @Option(names = "--beta-warmup-epochs", defaultValue = "10", description = "Epochs over which beta rises from 0.")
    private int betaWarmupEpochs;

    @Option(names = "--denoise", defaultValue = "0.1", description = "Probability of hiding each input column during training (0 = off).")
    private float denoise;

    @Option(names = "--validation-fraction", defaultValue = "0.1", description = "Rows held out for early stopping and calibration.")
    private float validationFraction;

    @Option(names = "--patience", defaultValue = "15", description = "Epochs without validation improvement before stopping.")
    private int patience;

    @Option(names = "--grad-clip", defaultValue = "5.0", description = "Element-wise gradient clip.")
    private float gradClip;

    @Option(names = "--seed", defaultValue = "42", description = "Seed: same seed and data give the same model.")
    private long seed;

    @Option(names = "--target-fpr", defaultValue = "0.001", description = "False-positive rate the alert threshold is set for.")
    private double targetFpr;

    @Option(names = "--samples", defaultValue = "8", description = "Monte Carlo samples per score during calibration (match the scorer's nelbo.engine.samples).")
    private int samples;

    @Option(names = "--threads", defaultValue = "1", description = "PyTorch intra-op threads (1 was fastest on 2 cores for models this size).")
    private int threads;

    /** @return the model settings given on the command line */
    VaeConfig config() {
        return new VaeConfig(hidden, latent, activation, perRowVariance, epochs, batchSize, learningRate, beta,
                betaWarmupEpochs, denoise, validationFraction, patience, gradClip, DEFAULTS.logvarMin(),
                DEFAULTS.logvarMax(), seed);
    }

    @Override
    public Integer call() {
        if (!(maxBadFraction >= 0 && maxBadFraction <= 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-bad-fraction must be in [0, 1], got " + maxBadFraction);
        }
        if (threads < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be at least 1, got " + threads);
        }
        final VaeConfig config;
        try {
            config = config();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        // Read by DJL's PyTorch engine when it starts, i.e. at the first training call below.
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        }
        TrainingPipeline.run(new TrainSettings(data, out, specFile, labelColumn, maxRows, maxBadFraction, config,
                targetFpr, samples), spec.commandLine().getOut());
        return 0;
    }
}
