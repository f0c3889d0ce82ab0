package dev.nelbo.trainer.cli;

import dev.nelbo.engine.EngineOptions;
import dev.nelbo.registry.ModelRegistry;
import dev.nelbo.schemas.bundle.Activation;
import dev.nelbo.schemas.bundle.BundleSignature;
import dev.nelbo.trainer.retrain.RetrainConfig;
import dev.nelbo.trainer.pipeline.TrainSettings;
import dev.nelbo.trainer.pipeline.TrainingPipeline;
import dev.nelbo.trainer.vae.VaeConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code train}: fit a model on normal data and write a calibrated bundle. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        defaultValueProvider = TrainCommand.ModelDefaults.class,
        description = "Train a VAE on normal records (CSV with header, or JSONL), export ONNX graphs, calibrate the"
                + " alert threshold and write a model bundle with a report; with --publish, also make it the registry's"
                + " current model (a first model for a fresh install, in one command).")
final class TrainCommand implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Training data: .csv (with header) or .jsonl.")
    private Path data;

    @Option(names = "--publish", description = "Publish the bundle to the model registry as the current model (the registry's"
            + " connection from --config/--set: bootstrap.servers, nelbo.topic.registry, Kafka security keys).")
    private boolean publish;

    @CommandLine.Mixin
    private ConfigOptions registry;

    @Option(names = "--signing-key", paramLabel = "FILE", defaultValue = "${env:NELBO_BUNDLE_SIGNING_KEY}",
            description = "Ed25519 private key (PKCS#8 PEM file, or the PEM text) the bundle is signed with (see 'keygen');"
                    + " default: the NELBO_BUNDLE_SIGNING_KEY variable, then nelbo.bundle.signing.key with --publish.")
    private String signingKey;

    @Option(names = "--signing-audience", paramLabel = "NAME", defaultValue = "${env:NELBO_BUNDLE_SIGNING_AUDIENCE}",
            description = "Deployment the bundle is signed for: scorers with nelbo.bundle.audience serve only bundles signed"
                    + " for theirs; default: the NELBO_BUNDLE_SIGNING_AUDIENCE variable, then nelbo.bundle.signing.audience"
                    + " with --publish, else any.")
    private String signingAudience;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Bundle directory to write.")
    private Path out;

    @Option(names = "--spec", paramLabel = "FILE", description = "Feature spec (JSON); inferred from the data when absent.")
    private Path specFile;

    @Option(names = "--label-column", paramLabel = "NAME", description = "Column/field excluded from the features.")
    private String labelColumn;

    @Option(names = "--max-rows", defaultValue = "1000000", description = "Most rows used; larger inputs are sampled uniformly.")
    private long maxRows;

    @Option(names = "--max-bad-fraction", defaultValue = TrainSettings.DEFAULT_MAX_BAD_FRACTION, description = "Largest tolerated share of unusable lines.")
    private double maxBadFraction;

    @Option(names = "--hidden", split = ",", paramLabel = "W[,W...]",
            description = "Hidden layer widths (decoder mirrors encoder).")
    private List<Integer> hidden;

    @Option(names = "--latent", description = "Latent size.")
    private int latent;

    @Option(names = "--activation", description = "Hidden activation: ${COMPLETION-CANDIDATES}.")
    private Activation activation;

    @Option(names = "--per-row-variance", description = "Decoder log-variance per row (a head on z) instead of one learned value per feature.")
    private boolean perRowVariance;

    @Option(names = "--epochs", description = "Maximum epochs (early stopping usually ends sooner).")
    private int epochs;

    @Option(names = "--batch-size", description = "Rows per optimizer step.")
    private int batchSize;

    @Option(names = "--learning-rate", description = "Adam learning rate.")
    private float learningRate;

    @Option(names = "--beta", description = "Final KL weight of the training loss (validation,"
            + " calibration and scores always use the ELBO, weight 1).")
    private float beta;

    @Option(names = "--beta-warmup-epochs", description = "Epochs over which beta rises from 0.")
    private int betaWarmupEpochs;

    @Option(names = "--denoise", description = "Probability of hiding each input column during training (0 = off).")
    private float denoise;

    @Option(names = "--validation-fraction", description = "Rows held out for early stopping and calibration.")
    private float validationFraction;

    @Option(names = "--patience", description = "Epochs without validation improvement before stopping.")
    private int patience;

    @Option(names = "--grad-clip", description = "Element-wise gradient clip.")
    private float gradClip;

    @Option(names = "--logvar-min", description = "Lower clamp of every log-variance (a variance floor).")
    private float logvarMin;

    @Option(names = "--logvar-max", description = "Upper clamp of every log-variance.")
    private float logvarMax;

    /** Posterior families. */
    enum Flow {
        /** A diagonal Gaussian q(z|x), closed-form KL. */
        none,
        /** Planar flows on its samples (Rezende and Mohamed, 2015), Monte Carlo KL. */
        planar
    }

    @Option(names = "--flow", description = "Posterior: none (diagonal Gaussian) or planar"
            + " (--flow-length planar flows on its samples, shared by all records; KL by Monte Carlo).")
    private Flow flow;

    @Option(names = "--flow-length", defaultValue = "4", description = "Planar flow steps with --flow planar.")
    private int flowLength;

    @Option(names = "--seed", description = "Seed: same seed and data give the same model.")
    private long seed;

    @Option(names = "--target-fpr", defaultValue = TrainSettings.DEFAULT_TARGET_FPR, description = "False-positive rate the alert threshold is set for.")
    private double targetFpr;

    @Option(names = "--threshold-by", paramLabel = "FEATURE", description = "A categorical context feature whose values"
            + " get thresholds of their own, each calibrated on its rows for --target-fpr (values with fewer than 200 rows"
            + " keep the global one). Default: one threshold.")
    private String thresholdBy;

    @Option(names = "--entity-false-alarm-rate", defaultValue = TrainSettings.DEFAULT_ENTITY_FALSE_ALARM_RATE,
            description = "Alarms per event of one normal entity the entity-level test (CUSUM over each key's events) is"
                    + " calibrated for; 0: no entity test in the bundle.")
    private double entityFalseAlarmRate;

    @Option(names = "--silence-false-alarm-rate", defaultValue = TrainSettings.DEFAULT_SILENCE_FALSE_ALARM_RATE,
            description = "False silences per interval of one regular key the silence test (a key quiet for much longer"
                    + " than its own cadence) is calibrated for; 0: no silence test in the bundle.")
    private double silenceFalseAlarmRate;

    @Option(names = "--samples", defaultValue = EngineOptions.DEFAULT_SAMPLES_TEXT, description = "Monte Carlo samples per score during calibration (match the scorer's nelbo.engine.samples).")
    private int samples;

    @Option(names = "--threads", defaultValue = "1", description = "PyTorch intra-op threads (1 was fastest on 2 cores for models this size).")
    private int threads;

    /**
     * The model options' defaults, taken from {@link VaeConfig#defaults()} so that the one default configuration is
     * written once: picocli applies and shows them as if they were the options' {@code defaultValue}s.
     */
    static final class ModelDefaults implements CommandLine.IDefaultValueProvider {
        private static final Map<String, String> VALUES = values(VaeConfig.defaults());

        private static Map<String, String> values(final VaeConfig d) {
            final Map<String, String> v = new HashMap<>();
            v.put("--hidden", d.hidden().stream().map(String::valueOf).collect(Collectors.joining(",")));
            v.put("--latent", String.valueOf(d.latent()));
            v.put("--activation", d.activation().name());
            v.put("--per-row-variance", String.valueOf(d.perRowVariance()));
            v.put("--epochs", String.valueOf(d.epochs()));
            v.put("--batch-size", String.valueOf(d.batchSize()));
            v.put("--learning-rate", String.valueOf(d.learningRate()));
            v.put("--beta", String.valueOf(d.beta()));
            v.put("--beta-warmup-epochs", String.valueOf(d.betaWarmupEpochs()));
            v.put("--denoise", String.valueOf(d.denoise()));
            v.put("--validation-fraction", String.valueOf(d.validationFraction()));
            v.put("--patience", String.valueOf(d.patience()));
            v.put("--grad-clip", String.valueOf(d.gradClip()));
            v.put("--logvar-min", String.valueOf(d.logvarMin()));
            v.put("--logvar-max", String.valueOf(d.logvarMax()));
            v.put("--flow", (d.flowLength() == 0 ? Flow.none : Flow.planar).name());
            v.put("--seed", String.valueOf(d.seed()));
            return Map.copyOf(v);
        }

        @Override
        public String defaultValue(final CommandLine.Model.ArgSpec arg) {
            return arg instanceof CommandLine.Model.OptionSpec o ? VALUES.get(o.longestName()) : null;
        }
    }

    private Optional<PrivateKey> signingKey(final RetrainConfig connection) {
        try {
            if (signingKey != null && !signingKey.isBlank()) {
                return Optional.of(BundleSignature.privateKey(BundleSignature.pemText(signingKey)));
            }
        } catch (final IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--signing-key: " + e.getMessage());
        }
        return connection == null ? Optional.empty() : connection.signingKey();
    }

    /** @return the model settings given on the command line */
    VaeConfig config() {
        return new VaeConfig(hidden, latent, activation, perRowVariance, epochs, batchSize, learningRate, beta,
                betaWarmupEpochs, denoise, validationFraction, patience, gradClip, logvarMin, logvarMax, seed,
                flow == Flow.planar ? flowLength : 0);
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
        final RetrainConfig connection = publish ? registry.load(spec, Map.of()) : null;
        final Optional<PrivateKey> key = signingKey(connection);
        // compare-and-set against the registry as it was before training: a publish meanwhile wins (exit 5)
        final ModelRegistry.Snapshot registryBefore = connection == null ? null : RegistryCommands.read(connection);
        final String before = registryBefore == null ? null : registryBefore.current();
        TrainingPipeline.run(new TrainSettings(data, out, specFile, labelColumn, maxRows, maxBadFraction, config,
                targetFpr, samples, thresholdBy, entityFalseAlarmRate, silenceFalseAlarmRate), spec.commandLine().getOut());
        final String audience = signingAudience != null && !signingAudience.isBlank() ? signingAudience
                : connection == null ? null : connection.signingAudience().orElse(null);
        key.ifPresent(k -> {
            BundleSignature.sign(out, k, audience, null);
            spec.commandLine().getOut().println("signed " + out + " (" + BundleSignature.FILE_NAME + ")");
        });
        if (connection != null) {
            // the publish command's checks: a bundle the trusted keys or the live fleet would refuse is not written
            final List<String> problems = FleetCheck.problems(out, connection.trustedKeys(), registryBefore,
                    RegistryCommands.fleet(connection).live());
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("not published, the scorers would refuse it: " + String.join("; ", problems)
                        + " (the bundle is in " + out + ")");
            }
            try (ModelRegistry r = RegistryCommands.open(connection)) {
                spec.commandLine().getOut().println("published " + r.publish(out, before) + " as current (was "
                        + (before == null ? "none" : before) + ")");
            }
        }
        return 0;
    }
}
