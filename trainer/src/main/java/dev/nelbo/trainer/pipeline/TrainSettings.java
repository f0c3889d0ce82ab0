package dev.nelbo.trainer.pipeline;

import dev.nelbo.trainer.vae.VaeConfig;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything one {@code train} run needs.
 *
 * @param data           training data (CSV or JSONL)
 * @param out            bundle directory to write
 * @param specFile       feature spec file, or null to infer one
 * @param labelColumn    column excluded from the features, or null
 * @param maxRows        most rows used (uniform sample beyond)
 * @param maxBadFraction largest tolerated share of unusable lines
 * @param vae            model and optimisation settings
 * @param targetFpr      false-positive rate the threshold is calibrated for
 * @param samples        Monte Carlo samples per score used for calibration (the scorer's nelbo.engine.samples)
 */
public record TrainSettings(Path data, Path out, Path specFile, String labelColumn, long maxRows,
                            double maxBadFraction, VaeConfig vae, double targetFpr, int samples) {

    /** Fewest usable training rows: validation (which also calibrates) needs some of them. */
    public static final int MIN_ROWS = 200;

    /** @return the settings as recorded in the manifest's provenance */
    public Map<String, Object> asProvenance() {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("hidden", vae.hidden());
        m.put("latent", vae.latent());
        m.put("activation", vae.activation().name().toLowerCase(java.util.Locale.ROOT));
        m.put("per_row_variance", vae.perRowVariance());
        m.put("epochs", vae.epochs());
        m.put("batch_size", vae.batchSize());
        m.put("learning_rate", vae.learningRate());
        m.put("beta", vae.beta());
        m.put("beta_warmup_epochs", vae.betaWarmupEpochs());
        m.put("denoise", vae.denoise());
        m.put("validation_fraction", vae.validationFraction());
        m.put("patience", vae.patience());
        m.put("grad_clip", vae.gradClip());
        m.put("max_rows", maxRows);
        m.put("max_bad_fraction", maxBadFraction);
        m.put("target_fpr", targetFpr);
        m.put("calibration_samples", samples);
        if (labelColumn != null) {
            m.put("label_column", labelColumn);
        }
        if (specFile != null) {
            m.put("spec_file", specFile.toString());
        }
        return m;
    }
}
