package dev.nelbo.trainer.pipeline;

import ai.djl.engine.Engine;
import dev.nelbo.schemas.bundle.Directories;
import dev.nelbo.schemas.bundle.BundleWriter;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.MlpWeights;
import dev.nelbo.schemas.bundle.OnnxMlpWriter;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.engine.ScoringModel;
import dev.nelbo.engine.elbo.LogvarRange;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.trainer.calibration.Calibrator;
import dev.nelbo.trainer.calibration.ContextRates;
import dev.nelbo.trainer.calibration.EntityCalibrator;
import dev.nelbo.trainer.calibration.SilenceCalibrator;
import dev.nelbo.trainer.data.BadLines;
import dev.nelbo.trainer.data.Dataset;
import dev.nelbo.trainer.data.DatasetReader;
import dev.nelbo.trainer.export.OnnxParity;
import dev.nelbo.trainer.report.FeatureErrors;
import dev.nelbo.trainer.report.TrainingReport;
import dev.nelbo.trainer.vae.EpochStats;
import dev.nelbo.trainer.vae.TrainedVae;
import dev.nelbo.trainer.vae.TrainingData;
import dev.nelbo.trainer.vae.VaeConfig;
import dev.nelbo.trainer.vae.VaeTrainer;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One {@code train} run: read and encode the data, fit the VAE, export the graphs and check them
 * against DJL, score the held-back validation rows with the scoring engine to calibrate the
 * threshold, render the report, and write the bundle.
 */
public final class TrainingPipeline {

    /** Validation rows compared in the parity check (plenty to catch an export error). */
    static final int PARITY_ROWS = 512;

    private TrainingPipeline() {
    }

    /**
     * @param settings what to train
     * @param out      progress and summary output
     * @return the manifest as written
     * @throws IllegalArgumentException for bad input (message says what to fix)
     * @throws IllegalStateException    when the export parity check or a native step fails
     */
    public static Manifest run(final TrainSettings settings, final PrintWriter out) {
        return run(settings, settings.data().toString(), out);
    }

    /**
     * Trains from a file that stands in for another source (retraining writes a topic window to a
     * temporary file): the manifest's provenance names {@code source}, not the file.
     *
     * @param settings what to train
     * @param source   where the data came from, for the provenance
     * @param out      progress and summary output
     * @return the manifest as written
     */
    public static Manifest run(final TrainSettings settings, final String source, final PrintWriter out) {
        final FeatureSpec spec = settings.specFile() == null ? null : readSpec(settings.specFile());
        out.println("reading " + settings.data());
        out.flush();
        final Dataset data = DatasetReader.readForTraining(new DatasetReader.TrainingRead(settings.data(), spec,
                settings.labelColumn(), settings.maxRows(), settings.maxBadFraction(), settings.vae().seed(),
                TrainSettings.MIN_ROWS));
        data.notes().forEach(n -> out.println("  " + n));
        reportBadLines(data.bad(), out);
        out.printf(Locale.ROOT, "training on %d rows: %d features, %d encoded columns%n", data.rows(),
                data.encoder().layout().size(), data.encoder().width());
        out.flush();
        if (settings.thresholdBy() != null) {
            data.encoder().categoricalContext(settings.thresholdBy(), Calibrator.THRESHOLD_BY);
        }
        final TrainingData rows = data.toTrainingData();
        try (TrainedVae vae = VaeTrainer.fit(rows, settings.vae(), s -> {
            out.println(s.progressLine());
            out.flush();
        })) {
            final EpochStats best = vae.history().stream().filter(EpochStats::improved)
                    .reduce((a, b) -> b).orElseThrow();
            out.printf(Locale.ROOT, "best epoch %d: validation negative ELBO %.4f%n", best.epoch() + 1, best.valNelbo());
            final MlpWeights encoder = vae.encoderWeights();
            final MlpWeights decoder = vae.decoderWeights();
            final TrainingData validation = vae.validation();
            final int parityRows = Math.min(PARITY_ROWS, validation.rows());
            final OnnxParity.Difference parity = OnnxParity.check(vae, encoder, decoder,
                    java.util.Arrays.copyOf(validation.x(), parityRows * validation.width()), parityRows);
            out.printf(Locale.ROOT, "export parity DJL vs ONNX Runtime: max abs diff %.2e (%s) on %d rows%n",
                    parity.maxAbs(), parity.name(), parityRows);
            final Manifest.PlanarFlow flow = vae.flowWeights();
            if (flow != null) {
                final OnnxParity.Difference flowParity = OnnxParity.checkFlow(vae, flow,
                        java.util.Arrays.copyOf(validation.x(), parityRows * validation.width()), parityRows);
                out.printf(Locale.ROOT, "flow parity DJL vs engine: max abs diff %.2e (%s) on %d rows%n",
                        flowParity.maxAbs(), flowParity.name(), parityRows);
            }

            // Fix the version and content hash first: the engine seeds its sampling noise with the content hash, so
            // calibration scores are exactly the scores the scorer will compute with this bundle.
            final Manifest unversioned = draft(settings, source, data, vae.config(), flow);
            final String hash = BundleWriter.contentHash(encoder, decoder, unversioned);
            final Manifest draft = unversioned.withVersion(
                    BundleWriter.versionId(Instant.parse(unversioned.createdAt()), hash), hash);
            // Calibrated on every row, not only the validation split: the 10% split is too few rows to show the tail
            // (on mammography its fitted 0.999 quantile was 22 where unseen normals' is 47, and unseen normals crossed
            // it at 3.9x the target), while the fit lowers the training rows' scores far less than that.
            final EngineScores scored = scoreWithEngine(draft, encoder, decoder, rows, settings);
            final double[] scores = scored.nelbo();
            final Map<String, Double> typical = new LinkedHashMap<>();
            final List<dev.nelbo.schemas.encoding.ColumnBlock> reconstructed = rows.reconstructedBlocks();
            for (int f = 0; f < reconstructed.size(); f++) {
                typical.put(reconstructed.get(f).feature(), scored.medianContribution(f));
            }
            final Manifest.Calibration global = Calibrator.calibrate(scores, settings.targetFpr())
                    .withTypicalContributions(typical);
            final Manifest.Calibration byContext = settings.thresholdBy() == null ? global
                    : global.withThresholdsBy(Calibrator.calibrateBy(data.encoder(), settings.thresholdBy(), rows.x(),
                    scores, settings.targetFpr()));
            final Manifest.Calibration withEntity = settings.entityFalseAlarmRate() == 0 ? byContext
                    : byContext.withEntity(EntityCalibrator.calibrate(settings.entityFalseAlarmRate(), scores, data.keys(),
                    ScoringModel.tailProbability(byContext)));
            final Manifest.Calibration calibration = settings.silenceFalseAlarmRate() == 0 ? withEntity
                    : withEntity.withSilence(SilenceCalibrator.calibrate(settings.silenceFalseAlarmRate(),
                    data.silenceRatios()));
            final Map<String, String> summary = summary(settings, source, data, vae, best, parity, calibration);
            if (data.encoder().spec().conditional()) {
                final double[] held = scoreWithEngine(draft, encoder, decoder, validation, settings).nelbo();
                final double[] thresholds = new double[validation.rows()];
                Arrays.fill(thresholds, calibration.threshold());
                final List<String> rates = new ArrayList<>(ContextRates.describe(ContextRates.of(data.encoder(),
                        validation.x(), validation.rows(), held, thresholds), settings.targetFpr()));
                if (calibration.thresholdsBy() != null) {
                    final ScoringModel.ThresholdsBy by = ScoringModel.ThresholdsBy.of(calibration, data.encoder());
                    for (int r = 0; r < thresholds.length; r++) {
                        thresholds[r] = by.threshold(validation.x(), r * validation.width());
                    }
                    calibration.thresholdsBy().values().forEach((value, t) -> rates.add(String.format(Locale.ROOT,
                            "threshold for %s=%s: %.4f (%s, %d rows)", settings.thresholdBy(), value, t.threshold(),
                            t.method(), t.rows())));
                    ContextRates.describe(ContextRates.of(data.encoder(), validation.x(), validation.rows(), held,
                            thresholds), settings.targetFpr()).forEach(l -> rates.add("with per-context thresholds, " + l));
                }
                for (int i = 0; i < rates.size(); i++) {
                    out.println(rates.get(i));
                    summary.put("per-context alert rate " + (i + 1), rates.get(i));
                }
            }
            final Map<String, byte[]> report = TrainingReport.render(vae.history(), scores, calibration,
                    validation.reconstructedBlocks(), FeatureErrors.compute(vae, validation), summary);
            final Manifest written = BundleWriter.write(settings.out(), draft.withCalibration(calibration), encoder,
                    decoder, report);
            out.printf(Locale.ROOT, "calibrated on %d rows (training and validation): threshold %.4f for target fpr %s (%s)%n",
                    calibration.rows(), calibration.threshold(), calibration.targetFpr(), calibration.method());
            if (calibration.entity() != null) {
                out.println(EntityCalibrator.describe(calibration.entity()));
            }
            if (settings.silenceFalseAlarmRate() > 0) {
                out.println(SilenceCalibrator.describe(calibration.silence(), data.silenceRatios().length));
            }
            if (Calibrator.GPD.equals(calibration.method())) {
                out.printf(Locale.ROOT, "  note: %d rows cannot show a rate of %s directly; the threshold is"
                                + " extrapolated from the top scores and the realised rate may differ by several times"
                                + " (about %d training rows would calibrate it empirically)%n", calibration.rows(),
                        calibration.targetFpr(), (long) Math.ceil(Calibrator.MIN_EMPIRICAL_EXCEEDANCES
                                / calibration.targetFpr()));
            }
            out.printf(Locale.ROOT, "wrote model %s to %s (report: %s)%n", written.modelVersion(), settings.out(),
                    settings.out().resolve(TrainingReport.DIR + "report.html"));
            out.flush();
            return written;
        }
    }

    private static FeatureSpec readSpec(final Path file) {
        final com.fasterxml.jackson.databind.JsonNode tree;
        try {
            tree = Json.DOCUMENTS.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read feature spec " + file + ": " + firstLine(e.getMessage()), e);
        }
        final List<String> problems = Schemas.validate(SchemaDocument.FEATURE_SPEC, tree);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("feature spec " + file + " does not match feature-spec.schema.json: "
                    + String.join("; ", problems));
        }
        try {
            return Json.DOCUMENTS.treeToValue(tree, FeatureSpec.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("feature spec " + file + " is inconsistent: " + firstLine(e.getMessage()), e);
        }
    }

    private static String firstLine(final String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    private static void reportBadLines(final BadLines bad, final PrintWriter out) {
        if (bad.total() == 0) {
            return;
        }
        out.println("  skipped " + bad.total() + " unusable lines: " + bad.summary());
        for (BadLines.Example e : bad.examples()) {
            out.println("    line " + e.line() + " (" + e.reason().wireName() + "): " + e.message());
        }
    }

    private static Manifest draft(final TrainSettings settings, final String source, final Dataset data, final VaeConfig config,
                                  final Manifest.PlanarFlow flow) {
        final List<Integer> decoderHidden = new ArrayList<>(config.hidden());
        Collections.reverse(decoderHidden);
        final Manifest.Architecture architecture = new Manifest.Architecture(data.encoder().width(), config.latent(),
                config.hidden(), decoderHidden, config.activation(), config.perRowVariance() ? "per_row" : "per_feature", config.logvarMin(),
                config.logvarMax(), data.encoder().layout(), flow, Manifest.Architecture.SEED_CONTENT_HASH);
        final Manifest.Provenance provenance = new Manifest.Provenance(source, data.rows(),
                settings.asProvenance(), config.seed(), libraryVersions());
        return new Manifest(Manifest.SCHEMA_VERSION, "", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), null,
                data.encoder().spec(), data.encoder().stats(), architecture,
                new Manifest.Graphs(BundleWriter.ENCODER_IO, BundleWriter.DECODER_IO), null, null, provenance);
    }

    private static Map<String, String> libraryVersions() {
        final Map<String, String> v = new LinkedHashMap<>();
        v.put("djl", Engine.getDjlVersion());
        v.put("pytorch", Engine.getEngine("PyTorch").getVersion());
        v.put("onnxruntime", ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion());
        v.put("java", System.getProperty("java.version"));
        final String nelbo = TrainingPipeline.class.getPackage().getImplementationVersion();
        v.put("nelbo", nelbo == null ? "dev" : nelbo);
        return v;
    }

    private static Map<String, String> summary(final TrainSettings settings, final String source, final Dataset data, final TrainedVae vae,
                                               final EpochStats best, final OnnxParity.Difference parity,
                                               final Manifest.Calibration calibration) {
        final Map<String, String> s = new LinkedHashMap<>();
        s.put("data", source);
        s.put("rows used", data.rows() + " of " + data.usable() + " usable (" + data.bad().total() + " unusable lines)");
        s.put("features / encoded columns", data.encoder().layout().size() + " / " + data.encoder().width());
        s.put("settings", settings.asProvenance().toString());
        s.put("epochs run", vae.history().size() + " (best " + (best.epoch() + 1) + ")");
        s.put("best validation negative ELBO", String.format(Locale.ROOT, "%.4f", best.valNelbo()));
        s.put("export parity (max abs diff)", String.format(Locale.ROOT, "%.2e (%s)", parity.maxAbs(), parity.name()));
        s.put("threshold", String.format(Locale.ROOT, "%.4f (target fpr %s, method %s, %d rows)",
                calibration.threshold(), calibration.targetFpr(), calibration.method(), calibration.rows()));
        return s;
    }

    /** Writes the graphs to a staging folder and scores the validation rows with the engine. */
    private static EngineScores scoreWithEngine(final Manifest draft, final MlpWeights encoder, final MlpWeights decoder,
                                            final TrainingData rows, final TrainSettings settings) {
        final Path staging;
        try {
            final Path parent = settings.out().toAbsolutePath().getParent();
            Files.createDirectories(parent);
            staging = Files.createTempDirectory(parent, ".nelbo-staging-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a staging directory next to " + settings.out(), e);
        }
        try {
            final Path enc = staging.resolve(BundleWriter.ENCODER_IO.file());
            final Path dec = staging.resolve(BundleWriter.DECODER_IO.file());
            OnnxMlpWriter.write(encoder, "nelbo-encoder", Map.of(), enc);
            OnnxMlpWriter.write(decoder, "nelbo-decoder", Map.of(), dec);
            final Manifest.Architecture a = draft.architecture();
            final LogvarRange range = new LogvarRange(a.logvarMin(), a.logvarMax());
            final ScoringModel model = new ScoringModel(draft.modelVersion(), enc, dec, ScoringModel.GraphNames.DEFAULT,
                    a.inputDim(), a.latentDim(), a.layout(), range, range, Double.NaN, null).withFlow(a.flow())
                    .withNoiseKey(ScoringModel.noiseKey(draft));
            return EngineScores.score(model, EngineOptions.defaults().withSamples(settings.samples()), rows.x(),
                    rows.mask(), rows.rows());
        } finally {
            Directories.deleteTree(staging);
        }
    }
}
