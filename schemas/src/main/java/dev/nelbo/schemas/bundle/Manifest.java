package dev.nelbo.schemas.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.nelbo.schemas.encoding.ColumnBlock;
import dev.nelbo.schemas.encoding.EncoderStats;
import dev.nelbo.schemas.spec.FeatureSpec;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * {@code manifest.json} of a model bundle: everything needed to encode, score and explain a record
 * with this model, and to know how it was made. Its JSON Schema is {@code manifest.schema.json}.
 *
 * @param schemaVersion  manifest format version ({@link #SCHEMA_VERSION})
 * @param modelVersion   version id, unique per trained model
 * @param createdAt      ISO-8601 creation time (UTC)
 * @param contentHash    SHA-256 over both graphs and the encoder statistics: equal for identical models
 * @param featureSpec    the feature spec
 * @param encoderStats   fitted encoder statistics
 * @param architecture   network dimensions and per-feature likelihoods
 * @param graphs         ONNX file names and I/O names
 * @param files          SHA-256 (hex) of every file in the bundle except the manifest, by file name
 * @param calibration    alert threshold and score distribution on held-back normal rows
 * @param provenance     data, settings, seed and library versions
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(int schemaVersion, String modelVersion, String createdAt, String contentHash,
                       FeatureSpec featureSpec, EncoderStats encoderStats, Architecture architecture, Graphs graphs,
                       Map<String, String> files, Calibration calibration, Provenance provenance) {

    /** The manifest format this code reads and writes. */
    public static final int SCHEMA_VERSION = 1;
    /** File name of the manifest inside a bundle. */
    public static final String FILE_NAME = "manifest.json";

    /** Copies the file map (sorted, so manifests are byte-stable). */
    public Manifest {
        Objects.requireNonNull(modelVersion, "modelVersion");
        files = files == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(files));
    }

    /** @return a copy with another file map */
    public Manifest withFiles(final Map<String, String> newFiles) {
        return new Manifest(schemaVersion, modelVersion, createdAt, contentHash, featureSpec, encoderStats, architecture,
                graphs, newFiles, calibration, provenance);
    }

    /** @return a copy with another calibration */
    public Manifest withCalibration(final Calibration newCalibration) {
        return new Manifest(schemaVersion, modelVersion, createdAt, contentHash, featureSpec, encoderStats, architecture,
                graphs, files, newCalibration, provenance);
    }

    /** @return a copy with another version id and content hash */
    public Manifest withVersion(final String newVersion, final String newContentHash) {
        return new Manifest(schemaVersion, newVersion, createdAt, newContentHash, featureSpec, encoderStats, architecture,
                graphs, files, calibration, provenance);
    }

    /**
     * Network shape.
     *
     * @param inputDim        width D of the encoded vector
     * @param latentDim       latent size K
     * @param encoderHidden   encoder hidden widths
     * @param decoderHidden   decoder hidden widths
     * @param activation      hidden activation
     * @param decoderVariance {@code per_feature} (constant logvar head) or {@code per_row}
     * @param logvarMin       lower clamp of every log-variance
     * @param logvarMax       upper clamp of every log-variance
     * @param layout          column block and likelihood of every feature
     * @param flow            planar flow on the posterior's samples, or null (a diagonal Gaussian posterior)
     * @param noiseSeed       what seeds the engine's sampling noise with each record id: {@value #SEED_CONTENT_HASH}
     *                        (the same weights score the same, however often they are trained) or, when null as in
     *                        bundles written before it existed, the model version (which carries the training time)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Architecture(int inputDim, int latentDim, List<Integer> encoderHidden, List<Integer> decoderHidden,
                               Activation activation, String decoderVariance, double logvarMin, double logvarMax,
                               List<ColumnBlock> layout, PlanarFlow flow, String noiseSeed) {

        /** {@link #noiseSeed()} of bundles whose noise follows their content hash. */
        public static final String SEED_CONTENT_HASH = "content_hash";

        /**
         * An architecture without a flow.
         *
         * @param inputDim        width D
         * @param latentDim       latent size K
         * @param encoderHidden   encoder hidden widths
         * @param decoderHidden   decoder hidden widths
         * @param activation      hidden activation
         * @param decoderVariance {@code per_feature} or {@code per_row}
         * @param logvarMin       lower log-variance clamp
         * @param logvarMax       upper log-variance clamp
         * @param layout          column blocks
         */
        public Architecture(final int inputDim, final int latentDim, final List<Integer> encoderHidden,
                            final List<Integer> decoderHidden, final Activation activation, final String decoderVariance,
                            final double logvarMin, final double logvarMax, final List<ColumnBlock> layout) {
            this(inputDim, latentDim, encoderHidden, decoderHidden, activation, decoderVariance, logvarMin, logvarMax,
                    layout, null, null);
        }

        /** Copies lists and checks the layout tiles [0, inputDim), the flow's widths and the noise seed. */
        public Architecture {
            if (noiseSeed != null && !SEED_CONTENT_HASH.equals(noiseSeed)) {
                throw new IllegalArgumentException("noise_seed must be " + SEED_CONTENT_HASH + " (or absent), got " + noiseSeed);
            }
            if (flow != null && flow.u().stream().anyMatch(v -> v.size() != latentDim)) {
                throw new IllegalArgumentException("flow vectors must have latent_dim " + latentDim + " values");
            }
            encoderHidden = List.copyOf(encoderHidden);
            decoderHidden = List.copyOf(decoderHidden);
            layout = List.copyOf(layout);
            int next = 0;
            for (ColumnBlock b : layout) {
                if (b.offset() != next) {
                    throw new IllegalArgumentException("layout block '" + b.feature() + "' starts at column " + b.offset()
                            + ", expected " + next);
                }
                next = b.end();
            }
            if (next != inputDim) {
                throw new IllegalArgumentException("layout covers " + next + " columns but input_dim is " + inputDim);
            }
            if (!(logvarMin < logvarMax)) {
                throw new IllegalArgumentException("logvar_min must be below logvar_max");
            }
        }
    }

    /**
     * A chain of planar flows applied to every posterior sample (Rezende and Mohamed, 2015), parameters shared by all
     * records: {@code z_k = z_{k-1} + u_k tanh(w_k . z_{k-1} + b_k)}. The {@code u} stored are the constrained
     * vectors (the paper's u-hat, with {@code w_k . u_k >= -1}), so each step is invertible.
     *
     * @param u one constrained vector per step, each of latent_dim values
     * @param w one vector per step
     * @param b one bias per step
     */
    public record PlanarFlow(List<List<Double>> u, List<List<Double>> w, List<Double> b) {
        /** Copies the lists and checks the shapes and the invertibility constraint. */
        public PlanarFlow {
            u = u.stream().map(List::copyOf).toList();
            w = w.stream().map(List::copyOf).toList();
            b = List.copyOf(b);
            if (u.size() != w.size() || u.size() != b.size() || u.isEmpty()) {
                throw new IllegalArgumentException("a planar flow needs as many u, w and b as steps (at least one), got "
                        + u.size() + ", " + w.size() + ", " + b.size());
            }
            for (int k = 0; k < u.size(); k++) {
                if (u.get(k).size() != w.get(k).size()) {
                    throw new IllegalArgumentException("flow step " + k + ": u and w differ in length");
                }
                if (!Double.isFinite(b.get(k)) || java.util.stream.Stream.concat(u.get(k).stream(), w.get(k).stream())
                        .anyMatch(v -> v == null || !Double.isFinite(v))) {
                    throw new IllegalArgumentException("flow step " + k + " holds a value that is not a finite number");
                }
                final double wu = wu(u, w, k);
                if (!(wu >= -1 - 1e-6)) {
                    throw new IllegalArgumentException("flow step " + k + " is not invertible: w . u = " + wu + " < -1");
                }
            }
        }

        /** @return number of steps */
        public int length() {
            return u.size();
        }

        /**
         * @param k a step
         * @return w_k . u_k, which the invertibility constraint bounds and every step's determinant uses
         */
        public double wu(final int k) {
            return wu(u, w, k);
        }

        private static double wu(final List<List<Double>> u, final List<List<Double>> w, final int k) {
            double wu = 0;
            for (int j = 0; j < u.get(k).size(); j++) {
                wu += w.get(k).get(j) * u.get(k).get(j);
            }
            return wu;
        }
    }

    /**
     * Input and output names of one ONNX graph.
     *
     * @param file    file name in the bundle
     * @param inputs  input names
     * @param outputs output names
     */
    public record GraphIo(String file, List<String> inputs, List<String> outputs) {
        /** Copies lists. */
        public GraphIo {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
        }
    }

    /**
     * @param encoder encoder graph: x -> mu, logvar
     * @param decoder decoder graph: z -> mean, logvar
     */
    public record Graphs(GraphIo encoder, GraphIo decoder) {
    }

    /**
     * Score calibration on held-back normal rows.
     *
     * @param score      which score the threshold applies to ({@code nelbo})
     * @param threshold  alert threshold: a record is anomalous when its score exceeds it
     * @param targetFpr  false-positive rate the threshold was chosen for
     * @param method     {@code empirical} (quantile of the held-back scores) or {@code gpd} (generalised
     *                   Pareto tail fitted to the top scores)
     * @param rows       held-back rows scored
     * @param quantiles  score quantiles, ascending in q
     * @param tail       fitted tail, or null when none was fitted
     * @param typicalContributions each reconstructed feature's median contribution to the score over the calibration
     *                   rows, or null: alerts rank their features by how far each is above its typical value, not by
     *                   the raw contribution (which always favours the noisiest feature)
     * @param thresholdsBy per-value thresholds of one categorical context feature, or null: a value listed there is
     *                   alerted at its own threshold, every other value at {@code threshold}
     * @param entity       the entity-level test (CUSUM over each event's surprise) and its calibration, or null: bundles
     *                   written before it have none, and their scorer runs no entity test
     * @param silence      the silence test (how many reference intervals a key may stay quiet) and its calibration, or
     *                   null: the scorer raises no silence alerts
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Calibration(String score, double threshold, double targetFpr, String method, long rows,
                              List<Quantile> quantiles, Tail tail, Map<String, Double> typicalContributions,
                              ContextThresholds thresholdsBy, EntityCalibration entity,
                              SilenceCalibration silence) {
        /** Copies the quantiles and the typical contributions. */
        public Calibration {
            quantiles = List.copyOf(quantiles);
            typicalContributions = typicalContributions == null ? null
                    : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(typicalContributions));
        }

        /**
         * A calibration without typical contributions or per-context thresholds.
         *
         * @param score     which score the threshold applies to
         * @param threshold alert threshold
         * @param targetFpr target false-positive rate
         * @param method    calibration method
         * @param rows      rows scored
         * @param quantiles score quantiles
         * @param tail      fitted tail, or null
         */
        public Calibration(final String score, final double threshold, final double targetFpr, final String method,
                           final long rows, final List<Quantile> quantiles, final Tail tail) {
            this(score, threshold, targetFpr, method, rows, quantiles, tail, null, null, null, null);
        }

        /**
         * @param typical per-feature typical contributions
         * @return this calibration with them
         */
        public Calibration withTypicalContributions(final Map<String, Double> typical) {
            return new Calibration(score, threshold, targetFpr, method, rows, quantiles, tail, typical, thresholdsBy, entity,
                    silence);
        }

        /**
         * @param by per-value thresholds of a context feature
         * @return this calibration with them
         */
        public Calibration withThresholdsBy(final ContextThresholds by) {
            return new Calibration(score, threshold, targetFpr, method, rows, quantiles, tail, typicalContributions, by,
                    entity, silence);
        }

        /**
         * @param evidence the entity-level test's calibration
         * @return this calibration with it
         */
        public Calibration withEntity(final EntityCalibration evidence) {
            return new Calibration(score, threshold, targetFpr, method, rows, quantiles, tail, typicalContributions,
                    thresholdsBy, evidence, silence);
        }

        /**
         * @param test the silence test's calibration
         * @return this calibration with it
         */
        public Calibration withSilence(final SilenceCalibration test) {
            return new Calibration(score, threshold, targetFpr, method, rows, quantiles, tail, typicalContributions,
                    thresholdsBy, entity, test);
        }
    }

    /**
     * The entity-level test: Page's CUSUM over the surprise ({@code -ln} tail probability) of each entity's events
     * ({@code EntityEvidence} in the engine), with the threshold that gives the target false-alarm rate on normal data.
     *
     * @param method         {@code cusum}
     * @param drift          the drift allowance subtracted from each event's surprise
     * @param threshold      the statistic at which an entity is anomalous
     * @param falseAlarmRate the target: alarms per event of one normal entity
     * @param realisedRows   the training rows the realised rate was measured on, each key's in their order
     * @param realisedAlarms the alarms the test raised on them
     */
    public record EntityCalibration(String method, double drift, double threshold, double falseAlarmRate, long realisedRows,
                                    long realisedAlarms) {
        /** The one method. */
        public static final String CUSUM = "cusum";
    }

    /**
     * The silence test ({@code Cadence} in the engine): a key that has shown its cadence is overdue once
     * {@code factor} of its reference intervals pass without an event.
     *
     * @param method            {@code cadence}
     * @param factor            reference intervals a key may stay quiet
     * @param fitMethod         how the factor was found from the training intervals: {@code empirical}, {@code gpd}, or
     *                          {@code max} (twice the longest, for keys that send like clockwork)
     * @param falseAlarmRate    the target: false silences per interval of one regular key
     * @param realisedIntervals the training intervals of regular keys, each key's in file order
     * @param realisedAlarms    those longer than the factor allows
     */
    public record SilenceCalibration(String method, double factor, String fitMethod, double falseAlarmRate,
                                     long realisedIntervals, long realisedAlarms) {
        /** The one method. */
        public static final String CADENCE = "cadence";
    }

    /**
     * Thresholds calibrated separately on the rows of each value of one categorical context feature (one service's
     * normal scores can sit well above another's, so one threshold alerts on one of them far more often).
     *
     * @param feature the context feature
     * @param values  value -> its threshold; values not listed (too few rows) use the global threshold
     */
    public record ContextThresholds(String feature, Map<String, ContextThreshold> values) {
        /** Copies the values, sorted. */
        public ContextThresholds {
            values = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(values));
        }
    }

    /**
     * @param threshold the value's threshold
     * @param rows      calibration rows with that value
     * @param method    {@code empirical} or {@code gpd}, as for the global threshold
     */
    public record ContextThreshold(double threshold, long rows, String method) {
    }

    /**
     * @param q     probability
     * @param value score at that quantile
     */
    public record Quantile(double q, double value) {
    }

    /**
     * Peaks-over-threshold fit: for a score s &gt; u, P(S &gt; s) = exceedFraction * (1 + xi (s-u)/beta)^(-1/xi)
     * (exponential when xi = 0).
     *
     * @param u              tail threshold (a high empirical quantile)
     * @param xi             GPD shape
     * @param beta           GPD scale
     * @param exceedFraction fraction of held-back scores above u
     * @param exceedances    number of held-back scores above u
     */
    public record Tail(double u, double xi, double beta, double exceedFraction, long exceedances) {
    }

    /**
     * How the model was made.
     *
     * @param dataSource      where the training data came from (file, topic and window)
     * @param rows            training rows used
     * @param settings        training settings by name
     * @param seed            random seed
     * @param libraryVersions library versions (DJL, PyTorch, ONNX Runtime, Java, nelbo)
     */
    public record Provenance(String dataSource, long rows, Map<String, Object> settings, long seed,
                             Map<String, String> libraryVersions) {
        /** Copies maps (sorted). */
        public Provenance {
            settings = settings == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(settings));
            libraryVersions = libraryVersions == null ? Map.of()
                    : java.util.Collections.unmodifiableMap(new TreeMap<>(libraryVersions));
        }
    }
}
