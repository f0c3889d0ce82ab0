package dev.nelbo.engine;

import dev.nelbo.engine.calibration.TailProbability;
import dev.nelbo.engine.elbo.LogvarRange;
import dev.nelbo.schemas.encoding.ColumnBlock;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Everything the engine needs to know about a model. {@link ScoringEngine#open(dev.nelbo.schemas.bundle.ModelBundle, EngineOptions)}
 * derives it from a verified bundle; the trainer builds one directly to score its own freshly
 * exported graphs before a calibration exists.
 *
 * @param version         model version (seeds the sampling noise together with each record id)
 * @param encoderFile     encoder ONNX file
 * @param decoderFile     decoder ONNX file
 * @param names           graph input/output names
 * @param inputWidth      encoded width D
 * @param latentWidth     latent width K
 * @param layout          column blocks, one per feature, tiling {@code [0, D)}
 * @param encoderLogvar   clamp for the encoder's log-variance
 * @param decoderLogvar   clamp for the decoder's log-variance
 * @param threshold       alert threshold on the negative ELBO, or NaN when uncalibrated
 * @param calibration     tail probability under the calibration, or null when uncalibrated
 */
public record ScoringModel(String version, Path encoderFile, Path decoderFile, GraphNames names, int inputWidth,
                           int latentWidth, List<ColumnBlock> layout, LogvarRange encoderLogvar,
                           LogvarRange decoderLogvar, double threshold, TailProbability calibration) {

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
        public static final GraphNames DEFAULT = new GraphNames("x", "mu", "logvar", "z", "mean", "logvar");

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
    }

    /** @return whether the model has a threshold and calibration */
    public boolean calibrated() {
        return calibration != null;
    }
}
