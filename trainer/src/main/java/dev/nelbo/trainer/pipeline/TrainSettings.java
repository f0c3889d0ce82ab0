package dev.nelbo.trainer.pipeline;

import dev.nelbo.engine.EngineOptions;
import dev.nelbo.schemas.bundle.Activation;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.trainer.vae.VaeConfig;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
 * @param thresholdBy    categorical context feature whose values get thresholds of their own, or null
 * @param entityFalseAlarmRate alarms per event of one normal entity the entity-level test is calibrated for; 0: the
 *                       bundle has no entity test
 * @param silenceFalseAlarmRate false silences per interval of one regular key the silence test is calibrated for; 0:
 *                       the bundle has no silence test
 */
public record TrainSettings(Path data, Path out, Path specFile, String labelColumn, long maxRows,
                            double maxBadFraction, VaeConfig vae, double targetFpr, int samples, String thresholdBy,
                            double entityFalseAlarmRate, double silenceFalseAlarmRate) {

    /** Checks the entity rate. */
    public TrainSettings {
        if (!(entityFalseAlarmRate >= 0 && entityFalseAlarmRate <= 0.1)) {
            throw new IllegalArgumentException("--entity-false-alarm-rate must be in [0, 0.1] (0: no entity test), got "
                    + entityFalseAlarmRate);
        }
        if (!(silenceFalseAlarmRate >= 0 && silenceFalseAlarmRate <= 0.1)) {
            throw new IllegalArgumentException("--silence-false-alarm-rate must be in [0, 0.1] (0: no silence test), got "
                    + silenceFalseAlarmRate);
        }
    }

    /**
     * Settings with one threshold for every context.
     *
     * @param data           training data
     * @param out            bundle directory to write
     * @param specFile       feature spec file, or null
     * @param labelColumn    column excluded from the features, or null
     * @param maxRows        most rows used
     * @param maxBadFraction largest tolerated share of unusable lines
     * @param vae            model and optimisation settings
     * @param targetFpr      target false-positive rate
     * @param samples        Monte Carlo samples per calibration score
     */
    public TrainSettings(final Path data, final Path out, final Path specFile, final String labelColumn, final long maxRows,
                         final double maxBadFraction, final VaeConfig vae, final double targetFpr, final int samples) {
        this(data, out, specFile, labelColumn, maxRows, maxBadFraction, vae, targetFpr, samples, null,
                Double.parseDouble(DEFAULT_ENTITY_FALSE_ALARM_RATE), Double.parseDouble(DEFAULT_SILENCE_FALSE_ALARM_RATE));
    }

    /** Fewest usable training rows: validation (which also calibrates) needs some of them. */
    public static final int MIN_ROWS = 200;
    /** Default false-positive rate the threshold is calibrated for (text, for command-line defaults). */
    public static final String DEFAULT_TARGET_FPR = "0.001";
    /**
     * Default rate of the entity-level test: one false entity alarm per 10,000 events of a normal entity (text, for
     * command-line defaults).
     */
    public static final String DEFAULT_ENTITY_FALSE_ALARM_RATE = "0.0001";
    /**
     * Default rate of the silence test: one false silence per 100,000 intervals of a regular key (a host sending every
     * second: about one a day across ten hosts), text for command-line defaults.
     */
    public static final String DEFAULT_SILENCE_FALSE_ALARM_RATE = "0.00001";
    /** Default largest tolerated share of unusable lines. */
    public static final String DEFAULT_MAX_BAD_FRACTION = "0.01";

    /**
     * The defaults of {@code train}, for a first model (retraining with no champion to take settings from).
     *
     * @param data    training data
     * @param out     bundle directory to write
     * @param maxRows most rows used
     * @return the settings (feature spec inferred from the data)
     */
    public static TrainSettings defaults(final Path data, final Path out, final long maxRows) {
        return new TrainSettings(data, out, null, null, maxRows, Double.parseDouble(DEFAULT_MAX_BAD_FRACTION),
                VaeConfig.defaults(), Double.parseDouble(DEFAULT_TARGET_FPR), EngineOptions.DEFAULT_SAMPLES);
    }

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
        if (vae.flowLength() > 0) {
            m.put("flow", "planar");
            m.put("flow_length", vae.flowLength());
        }
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
        if (thresholdBy != null) {
            m.put("threshold_by", thresholdBy);
        }
        m.put("entity_false_alarm_rate", entityFalseAlarmRate);
        m.put("silence_false_alarm_rate", silenceFalseAlarmRate);
        return m;
    }

    /**
     * The settings a model was trained with, read back from its manifest (the inverse of
     * {@link #asProvenance()}), pointed at new data: retraining uses the champion's settings, seed and
     * log-variance clamp, so only the data differs.
     *
     * @param champion the model whose settings to reuse
     * @param data     new training data
     * @param out      bundle directory to write
     * @param specFile the champion's feature spec, written to a file
     * @param maxRows  most rows used
     * @return the settings
     * @throws IllegalArgumentException naming the setting when the manifest lacks one or holds a bad value
     */
    public static TrainSettings fromProvenance(final Manifest champion, final Path data, final Path out,
                                               final Path specFile, final long maxRows) {
        final Manifest.Provenance p = champion.provenance();
        if (p == null) {
            throw new IllegalArgumentException("model " + champion.modelVersion() + " records no training settings (provenance)");
        }
        final Map<String, Object> m = p.settings();
        final Manifest.Architecture a = champion.architecture();
        final VaeConfig vae = new VaeConfig(intList(m, "hidden"), integer(m, "latent"),
                Activation.valueOf(string(m, "activation").toUpperCase(Locale.ROOT)), Boolean.parseBoolean(string(m, "per_row_variance")),
                integer(m, "epochs"), integer(m, "batch_size"), (float) number(m, "learning_rate"), (float) number(m, "beta"),
                integer(m, "beta_warmup_epochs"), (float) number(m, "denoise"), (float) number(m, "validation_fraction"),
                integer(m, "patience"), (float) number(m, "grad_clip"), (float) a.logvarMin(), (float) a.logvarMax(), p.seed(),
                m.containsKey("flow_length") ? integer(m, "flow_length") : 0);
        final Object label = m.get("label_column");
        final Object by = m.get("threshold_by");
        // a champion trained before the entity test gets it at the default rate
        final double entityRate = m.containsKey("entity_false_alarm_rate") ? number(m, "entity_false_alarm_rate")
                : Double.parseDouble(DEFAULT_ENTITY_FALSE_ALARM_RATE);
        final double silenceRate = m.containsKey("silence_false_alarm_rate") ? number(m, "silence_false_alarm_rate")
                : Double.parseDouble(DEFAULT_SILENCE_FALSE_ALARM_RATE);
        return new TrainSettings(data, out, specFile, label == null ? null : label.toString(), maxRows,
                number(m, "max_bad_fraction"), vae, number(m, "target_fpr"), integer(m, "calibration_samples"),
                by == null ? null : by.toString(), entityRate, silenceRate);
    }

    private static Object required(final Map<String, Object> m, final String key) {
        final Object v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("the model's provenance lacks training setting '" + key
                    + "'; retrain it once with the current trainer");
        }
        return v;
    }

    private static String string(final Map<String, Object> m, final String key) {
        return required(m, key).toString();
    }

    private static double number(final Map<String, Object> m, final String key) {
        final Object v = required(m, key);
        try {
            return v instanceof Number n ? n.doubleValue() : Double.parseDouble(v.toString());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("training setting '" + key + "' is not a number: " + v, e);
        }
    }

    private static int integer(final Map<String, Object> m, final String key) {
        return (int) Math.round(number(m, key));
    }

    private static List<Integer> intList(final Map<String, Object> m, final String key) {
        final Object v = required(m, key);
        if (!(v instanceof List<?> list)) {
            throw new IllegalArgumentException("training setting '" + key + "' is not a list: " + v);
        }
        return list.stream().map(o -> o instanceof Number n ? n.intValue() : Integer.parseInt(o.toString())).toList();
    }
}
