package dev.nelbo.engine;

import dev.nelbo.engine.calibration.TailProbability;
import dev.nelbo.engine.elbo.LogvarRange;
import dev.nelbo.schemas.bundle.BundleWriter;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.encoding.ColumnBlock;
import dev.nelbo.schemas.encoding.FeatureEncoder;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything the engine needs to know about a model. {@link #of(ModelBundle)} derives it from a
 * verified bundle; the trainer builds one directly to score its own freshly
 * exported graphs before a calibration exists.
 *
 * @param version         model version
 * @param encoderFile     encoder ONNX file
 * @param decoderFile     decoder ONNX file
 * @param names           graph input/output names
 * @param inputWidth      encoded width D
 * @param latentWidth     latent width K
 * @param layout          column blocks, one per feature, tiling {@code [0, D)}; context blocks (conditioning the
 *                        encoder and the decoder, not reconstructed) last: the decoder's input is the latent sample
 *                        followed by the record's context columns, {@code [batch, K + C]}
 * @param encoderLogvar   clamp for the encoder's log-variance
 * @param decoderLogvar   clamp for the decoder's log-variance
 * @param threshold       alert threshold on the negative ELBO, or NaN when uncalibrated
 * @param calibration     tail probability under the calibration, or null when uncalibrated
 * @param typical         each reconstructed feature's typical contribution (alerts rank features by their excess over
 *                        it), in reconstructed-layout order, or null (raw contributions rank)
 * @param thresholdsBy    per-value thresholds of a categorical context feature, or null (one threshold)
 * @param flow            planar flow on the posterior's samples, or null
 * @param noiseKey        seeds the sampling noise together with each record id (see {@link #noiseKey(Manifest)})
 */
public record ScoringModel(String version, Path encoderFile, Path decoderFile, GraphNames names, int inputWidth,
                           int latentWidth, List<ColumnBlock> layout, LogvarRange encoderLogvar,
                           LogvarRange decoderLogvar, double threshold, TailProbability calibration, double[] typical,
                           ThresholdsBy thresholdsBy, Manifest.PlanarFlow flow, String noiseKey) {

    /**
     * @param m a manifest
     * @return what seeds its sampling noise: the content hash when the architecture says so, else the model version
     */
    public static String noiseKey(final Manifest m) {
        return Manifest.Architecture.SEED_CONTENT_HASH.equals(m.architecture().noiseSeed()) ? m.contentHash()
                : m.modelVersion();
    }

    /**
     * The threshold of each column of one categorical context block: a record is judged by the threshold of its
     * value (the block's hottest column; the global threshold for values calibrated without one of their own).
     *
     * @param block    the context block
     * @param byColumn threshold per column of the block
     */
    public record ThresholdsBy(ColumnBlock block, double[] byColumn) {
        /** Copies the thresholds. */
        public ThresholdsBy {
            if (byColumn.length != block.width()) {
                throw new IllegalArgumentException(byColumn.length + " thresholds for a block of " + block.width());
            }
            byColumn = byColumn.clone();
        }

        /**
         * @param c       a calibration with per-context thresholds
         * @param encoder the model's encoder
         * @return the thresholds by column of the context block
         * @throws IllegalArgumentException when the feature is not a categorical context feature of the encoder
         */
        public static ThresholdsBy of(final Manifest.Calibration c, final FeatureEncoder encoder) {
            final int f = encoder.categoricalContext(c.thresholdsBy().feature(), "calibration.thresholds_by");
            final ColumnBlock b = encoder.layout().get(f);
            final double[] byColumn = new double[b.width()];
            for (int k = 0; k < byColumn.length; k++) {
                final Manifest.ContextThreshold t = c.thresholdsBy().values().get(encoder.category(f, k));
                byColumn[k] = t == null ? c.threshold() : t.threshold();
            }
            return new ThresholdsBy(b, byColumn);
        }

        /**
         * @param x   encoded rows
         * @param row offset of the record's row in {@code x}
         * @return the record's threshold
         */
        public double threshold(final float[] x, final int row) {
            return byColumn[block.hottest(x, row)];
        }
    }

    /**
     * Graph input and output names.
     *
     * @param encoderInput  encoder input ({@code [batch, D]})
     * @param encoderMu     encoder mean output ({@code [batch, K]})
     * @param encoderLogvar encoder log-variance output ({@code [batch, K]} or {@code [K]})
     * @param decoderInput  decoder input ({@code [batch, K]})
     * @param decoderMean   decoder mean/logit output ({@code [batch, D]})
     * @param decoderLogvar decoder log-variance output ({@code [batch, D]} or {@code [D]})
     */
    public record GraphNames(String encoderInput, String encoderMu, String encoderLogvar, String decoderInput,
                             String decoderMean, String decoderLogvar) {

        /** The names of the ONNX graph contract: x -> mu, logvar; z -> mean, logvar. */
        public static final GraphNames DEFAULT = new GraphNames(BundleWriter.ENCODER_INPUT, BundleWriter.MU,
                BundleWriter.LOGVAR, BundleWriter.DECODER_INPUT, BundleWriter.MEAN, BundleWriter.LOGVAR);

        /**
         * @throws NullPointerException for a missing name
         */
        public GraphNames {
            Objects.requireNonNull(encoderInput, "encoderInput");
            Objects.requireNonNull(encoderMu, "encoderMu");
            Objects.requireNonNull(encoderLogvar, "encoderLogvar");
            Objects.requireNonNull(decoderInput, "decoderInput");
            Objects.requireNonNull(decoderMean, "decoderMean");
            Objects.requireNonNull(decoderLogvar, "decoderLogvar");
        }
    }

    /**
     * @throws IllegalArgumentException for inconsistent widths or a calibration without threshold
     */
    public ScoringModel {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(noiseKey, "noiseKey");
        Objects.requireNonNull(encoderFile, "encoderFile");
        Objects.requireNonNull(decoderFile, "decoderFile");
        Objects.requireNonNull(names, "names");
        Objects.requireNonNull(encoderLogvar, "encoderLogvar");
        Objects.requireNonNull(decoderLogvar, "decoderLogvar");
        layout = List.copyOf(layout);
        if (inputWidth < 1 || latentWidth < 1) {
            throw new IllegalArgumentException("input and latent widths must be positive, got " + inputWidth + ", " + latentWidth);
        }
        if ((calibration == null) != Double.isNaN(threshold)) {
            throw new IllegalArgumentException("a model has both a threshold and a calibration, or neither");
        }
        if (typical != null && typical.length != ColumnBlock.reconstructed(layout).size()) {
            throw new IllegalArgumentException("typical contributions: " + typical.length + " values for "
                    + ColumnBlock.reconstructed(layout).size() + " reconstructed features");
        }
        typical = typical == null ? null : typical.clone();
        if (thresholdsBy != null && calibration == null) {
            throw new IllegalArgumentException("per-context thresholds need a calibration");
        }
        if (flow != null && flow.u().get(0).size() != latentWidth) {
            throw new IllegalArgumentException("the flow's vectors have " + flow.u().get(0).size() + " values, the latent width is "
                    + latentWidth);
        }
    }

    /**
     * @param posteriorFlow a planar flow on the posterior, or null
     * @return this model with it
     */
    public ScoringModel withFlow(final Manifest.PlanarFlow posteriorFlow) {
        return new ScoringModel(version, encoderFile, decoderFile, names, inputWidth, latentWidth, layout, encoderLogvar,
                decoderLogvar, threshold, calibration, typical, thresholdsBy, posteriorFlow, noiseKey);
    }

    /**
     * @param key what seeds the sampling noise
     * @return this model with it
     */
    public ScoringModel withNoiseKey(final String key) {
        return new ScoringModel(version, encoderFile, decoderFile, names, inputWidth, latentWidth, layout, encoderLogvar,
                decoderLogvar, threshold, calibration, typical, thresholdsBy, flow, key);
    }

    /**
     * A model whose alerts rank features by their raw contributions.
     *
     * @param version       model version
     * @param encoderFile   encoder ONNX file
     * @param decoderFile   decoder ONNX file
     * @param names         graph input/output names
     * @param inputWidth    encoded width D
     * @param latentWidth   latent width K
     * @param layout        column blocks
     * @param encoderLogvar clamp for the encoder's log-variance
     * @param decoderLogvar clamp for the decoder's log-variance
     * @param threshold     alert threshold, or NaN
     * @param calibration   tail probability, or null
     */
    public ScoringModel(final String version, final Path encoderFile, final Path decoderFile, final GraphNames names,
                        final int inputWidth, final int latentWidth, final List<ColumnBlock> layout,
                        final LogvarRange encoderLogvar, final LogvarRange decoderLogvar, final double threshold,
                        final TailProbability calibration) {
        this(version, encoderFile, decoderFile, names, inputWidth, latentWidth, layout, encoderLogvar, decoderLogvar,
                threshold, calibration, null, null, null, version);
    }

    /** @return the blocks the decoder reconstructs (every block but the context ones, which come last) */
    public List<ColumnBlock> reconstructedLayout() {
        return ColumnBlock.reconstructed(layout);
    }

    /** @return the width of the reconstructed columns {@code [0, Dx)}; the context columns follow, up to D */
    public int reconstructedWidth() {
        return ColumnBlock.reconstructedWidth(layout, inputWidth);
    }

    /**
     * Describes a verified bundle: graph files and names, widths and layout from the architecture,
     * the manifest's log-variance clamp for both graphs, and threshold and tail probability from the
     * calibration (uncalibrated when the manifest has none).
     *
     * @param bundle a bundle from {@link ModelBundle#load}
     * @return the model description
     * @throws IllegalArgumentException when the manifest's graph I/O lists or calibration are unusable
     */
    public static ScoringModel of(final ModelBundle bundle) {
        final Manifest m = bundle.manifest();
        final Manifest.Architecture a = m.architecture();
        final Manifest.GraphIo enc = m.graphs().encoder();
        final Manifest.GraphIo dec = m.graphs().decoder();
        if (enc.inputs().size() != 1 || enc.outputs().size() != 2 || dec.inputs().size() != 1 || dec.outputs().size() != 2) {
            throw new IllegalArgumentException("manifest graphs must list one input and two outputs (mean, log-variance) each; got encoder "
                    + enc.inputs() + " -> " + enc.outputs() + ", decoder " + dec.inputs() + " -> " + dec.outputs());
        }
        final GraphNames names = new GraphNames(enc.inputs().get(0), enc.outputs().get(0), enc.outputs().get(1),
                dec.inputs().get(0), dec.outputs().get(0), dec.outputs().get(1));
        final LogvarRange range = new LogvarRange(a.logvarMin(), a.logvarMax());
        final Manifest.Calibration c = m.calibration();
        double[] typical = null;
        if (c != null && c.typicalContributions() != null) {
            final List<ColumnBlock> reconstructed = ColumnBlock.reconstructed(a.layout());
            typical = new double[reconstructed.size()];
            for (int f = 0; f < typical.length; f++) {
                typical[f] = c.typicalContributions().getOrDefault(reconstructed.get(f).feature(), 0.0);
            }
        }
        return new ScoringModel(m.modelVersion(), bundle.encoderPath(), bundle.decoderPath(), names, a.inputDim(),
                a.latentDim(), a.layout(), range, range, c == null ? Double.NaN : c.threshold(),
                c == null ? null : tailProbability(c), typical,
                c == null || c.thresholdsBy() == null ? null : ThresholdsBy.of(c, bundle.encoder()), a.flow(), noiseKey(m));
    }

    /** How far the threshold's tail probability may be from the target false-positive rate, as a factor. */
    static final double THRESHOLD_TOLERANCE = 3;

    /**
     * Why a bundle must not serve alerts, checked before a scorer loads it: it has no calibration, its threshold
     * is not finite, or its threshold is not where its own calibration puts the target false-positive rate (a
     * threshold of 1e308 that never alerts, or of 0 that always does, is refused; signing is what keeps the
     * calibration itself honest).
     *
     * @param manifest a bundle's manifest
     * @return problems, empty when the bundle can serve
     */
    public static List<String> servingProblems(final Manifest manifest) {
        final Manifest.Calibration c = manifest.calibration();
        if (c == null) {
            return List.of("the bundle has no calibration (threshold); calibrate it before serving");
        }
        if (!Double.isFinite(c.threshold())) {
            return List.of("the threshold " + c.threshold() + " is not a finite number");
        }
        final double p;
        try {
            p = tailProbability(c).of(c.threshold());
        } catch (final IllegalArgumentException e) {
            return List.of("the calibration is inconsistent: " + e.getMessage());
        }
        final double target = c.targetFpr();
        if (!(p >= target / THRESHOLD_TOLERANCE && p <= target * THRESHOLD_TOLERANCE)) {
            return List.of(String.format(java.util.Locale.ROOT, "the threshold %.6g has a tail probability of %.3g under"
                    + " the bundle's own calibration, not near its target false-positive rate %s", c.threshold(), p, target));
        }
        return c.thresholdsBy() == null ? List.of() : contextThresholdProblems(c);
    }

    /** How far beyond the global threshold a context's may lie, in multiples of the global threshold's distance from the median. */
    static final double CONTEXT_THRESHOLD_SPREAD = 10;

    /**
     * A context's threshold must be finite and between the median score and the global threshold plus
     * {@value #CONTEXT_THRESHOLD_SPREAD} times its distance from the median: a context never (or always) alerted is
     * refused as a global threshold of 1e308 is.
     */
    private static List<String> contextThresholdProblems(final Manifest.Calibration c) {
        final double median = c.quantiles().stream().filter(q -> q.q() == 0.5).mapToDouble(Manifest.Quantile::value)
                .findFirst().orElse(Double.NaN);
        final double hi = c.threshold() + CONTEXT_THRESHOLD_SPREAD * (c.threshold() - median);
        final List<String> problems = new ArrayList<>();
        c.thresholdsBy().values().forEach((value, t) -> {
            if (!(t.threshold() >= median && t.threshold() <= hi)) {
                problems.add(String.format(java.util.Locale.ROOT, "the threshold %.6g of %s=%s is outside [%.6g, %.6g]"
                                + " (the median score to %s times the global threshold's distance from it)", t.threshold(),
                        c.thresholdsBy().feature(), value, median, hi, (int) CONTEXT_THRESHOLD_SPREAD));
            }
        });
        return problems;
    }

    /**
     * @param c a manifest calibration
     * @return its tail probability (quantiles at levels 0 and 1, the sample extremes, are not used)
     */
    public static TailProbability tailProbability(final Manifest.Calibration c) {
        final List<Manifest.Quantile> inner = c.quantiles().stream().filter(q -> q.q() > 0 && q.q() < 1).toList();
        final double[] levels = inner.stream().mapToDouble(Manifest.Quantile::q).toArray();
        final double[] values = inner.stream().mapToDouble(Manifest.Quantile::value).toArray();
        final Manifest.Tail t = c.tail();
        return t == null ? TailProbability.empirical(levels, values)
                : new TailProbability(levels, values, t.u(), t.xi(), t.beta(), t.exceedFraction());
    }

    /** @return whether the model has a threshold and calibration */
    public boolean calibrated() {
        return calibration != null;
    }
}
