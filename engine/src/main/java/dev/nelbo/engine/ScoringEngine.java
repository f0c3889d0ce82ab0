package dev.nelbo.engine;

import dev.nelbo.engine.elbo.ElboEstimator;
import dev.nelbo.engine.elbo.FeatureLayout;
import dev.nelbo.engine.elbo.PlanarFlow;
import dev.nelbo.engine.onnx.Device;
import dev.nelbo.engine.onnx.PinnedGraph;
import dev.nelbo.engine.onnx.SessionFactory;
import dev.nelbo.engine.random.CounterNormals;
import dev.nelbo.schemas.bundle.ModelBundle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one implementation of scoring: per-record negative ELBO of a model bundle with ONNX Runtime.
 *
 * <p>Per batch of n records: the encoder gives {@code mu, log sigma^2} (clamped); KL to N(0, I) in
 * closed form; L samples {@code z = mu + sigma * eps} per record with {@code eps} from
 * {@link CounterNormals} seeded by (record id, model version); all {@code n * L} samples decoded in
 * ONE decoder call; reconstruction NLL per observed feature averaged over the samples; then per
 * record {@code nelbo = reconNll + kl}, the importance-weighted {@code -log p(x)}, per-feature
 * contributions, expected values, tail probability and the anomaly flag (see {@link ScoringResults}).
 * The same record gives the same numbers whatever its batch, position, thread or replay.
 *
 * <p>Usage: {@code open} once per model (it checks the graphs against the manifest and warms them
 * up), {@link #newBatch()} and {@link #newResults()} once, then per batch fill, {@link #score},
 * read, clear. A record-at-a-time caller uses batches of one.
 *
 * <p>Thread safety: an engine is NOT thread-safe (its buffers are reused across calls, which is what
 * keeps scoring allocation-free). Use one engine per thread, e.g. one per Kafka Streams stream
 * thread; each holds its own ONNX Runtime sessions (a few hundred KB for nelbo-sized models).
 */
public final class ScoringEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ScoringEngine.class);

    private final ScoringModel model;
    private final EngineOptions options;
    private final FeatureLayout layout;
    private final SessionFactory sessions;
    private final PinnedGraph encoder;
    private final PinnedGraph decoder;
    private final ElboEstimator estimator;
    private final int d;
    /** Reconstructed width Dx (d for a model without context). */
    private final int dx;
    /** Context width C: the decoder's input is a latent sample followed by the record's context columns. */
    private final int c;
    private final int k;
    private final int samples;
    private final float[] mu;
    private final float[] encoderLogvar;
    private final float[] z;
    private final boolean decoderLogvarRows;
    private final long loadNanos;

    private ScoringEngine(final ScoringModel model, final EngineOptions options) {
        final long start = System.nanoTime();
        this.model = model;
        this.options = options;
        this.d = model.inputWidth();
        this.dx = model.reconstructedWidth();
        this.c = d - dx;
        this.k = model.latentWidth();
        this.samples = options.samples();
        this.layout = new FeatureLayout(model.reconstructedLayout(), dx);
        if ((long) options.maxBatch() * samples * Math.max(d, k + c) > Integer.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException("max batch x samples x width is too large for one decoder call: "
                    + options.maxBatch() + " x " + samples + " x " + Math.max(d, k + c) + "; lower the batch size or samples");
        }
        final ScoringModel.GraphNames names = model.names();
        this.sessions = SessionFactory.create(Device.parse(options.device()), options.deviceStrict(), options.intraOpThreads());
        PinnedGraph enc = null;
        PinnedGraph dec = null;
        try {
            enc = new PinnedGraph(sessions, model.encoderFile(), "encoder", names.encoderInput(), d,
                    outputs(names.encoderMu(), k, names.encoderLogvar(), k), options.maxBatch());
            dec = new PinnedGraph(sessions, model.decoderFile(), "decoder", names.decoderInput(), k + c,
                    decoderOutputs(names), options.maxBatch() * samples);
            if (!enc.perRow(names.encoderMu())) {
                throw new IllegalStateException("encoder output '" + names.encoderMu() + "' must be per-row [batch, " + k + "]");
            }
            if (!dec.perRow(names.decoderMean())) {
                throw new IllegalStateException("decoder output '" + names.decoderMean() + "' must be per-row [batch, " + dx + "]");
            }
        } catch (RuntimeException e) {
            if (enc != null) {
                enc.close();
            }
            if (dec != null) {
                dec.close();
            }
            sessions.close();
            throw e;
        }
        this.encoder = enc;
        this.decoder = dec;
        this.decoderLogvarRows = layout.hasGaussian() && dec.perRow(names.decoderLogvar());
        this.mu = new float[options.maxBatch() * k];
        this.encoderLogvar = new float[options.maxBatch() * k];
        this.z = new float[options.maxBatch() * samples * k];
        try {
            this.estimator = new ElboEstimator(layout, d, k, samples, options.maxBatch(), CounterNormals.hash(model.noiseKey()),
                    model.encoderLogvar(), model.decoderLogvar(),
                    enc.perRow(names.encoderLogvar()) ? null : enc.constant(names.encoderLogvar()),
                    !layout.hasGaussian() ? new float[dx] : decoderLogvarRows ? null : dec.constant(names.decoderLogvar()),
                    model.flow() == null ? null : new PlanarFlow(model.flow()));
            warmUp();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.loadNanos = System.nanoTime() - start;
        LOG.info("Loaded model {} on {} (D={}{}, K={}, L={}, max batch {}) in {} ms", model.version(), sessions.device(),
                d, c == 0 ? "" : " of which " + c + " context", k, samples, options.maxBatch(), loadNanos / 1_000_000);
    }

    /**
     * Opens a model for scoring: creates the ONNX Runtime sessions on the requested device, checks the
     * graphs' inputs and outputs against the model description, and warms them up.
     *
     * @param model   the model
     * @param options engine options
     * @return a ready engine
     * @throws IllegalStateException when a graph does not load or does not match, or CUDA is
     *                               required ({@code deviceStrict}) but unavailable
     */
    public static ScoringEngine open(final ScoringModel model, final EngineOptions options) {
        return new ScoringEngine(model, options);
    }

    /**
     * Opens a verified bundle for scoring (see {@link #open(ScoringModel, EngineOptions)}).
     *
     * @param bundle  a bundle from {@link ModelBundle#load}
     * @param options engine options
     * @return a ready engine
     * @throws IllegalArgumentException when the manifest's graph names or calibration are unusable
     * @throws IllegalStateException    when a graph does not load or does not match the manifest, or
     *                                  CUDA is required but unavailable
     */
    public static ScoringEngine open(final ModelBundle bundle, final EngineOptions options) {
        return open(ScoringModel.of(bundle), options);
    }

    /** @return a batch sized for this engine (capacity maxBatch, width D) */
    public ScoringBatch newBatch() {
        return new ScoringBatch(options.maxBatch(), d);
    }

    /** @return results sized for this engine */
    public ScoringResults newResults() {
        return new ScoringResults(options.maxBatch(), layout.featureCount(), model.typical());
    }

    /**
     * Scores every record of the batch into {@code results} (rows match the batch's rows). Allocates
     * nothing per record; the batch is left unchanged.
     *
     * @param batch   encoded records
     * @param results receives the scores
     * @throws IllegalArgumentException when the batch or results do not fit this engine
     * @throws IllegalStateException    when ONNX Runtime fails
     */
    public void score(final ScoringBatch batch, final ScoringResults results) {
        if (batch.width() != d || batch.capacity() > options.maxBatch()) {
            throw new IllegalArgumentException("batch of width " + batch.width() + " and capacity " + batch.capacity()
                    + " does not fit this engine (width " + d + ", max batch " + options.maxBatch() + ")");
        }
        if (results.featureCount() != layout.featureCount() || results.capacity() < batch.size()) {
            throw new IllegalArgumentException("results sized for " + results.featureCount() + " features and "
                    + results.capacity() + " records do not fit " + layout.featureCount() + " features and "
                    + batch.size() + " records");
        }
        final int n = batch.size();
        results.size = n;
        if (n == 0) {
            return;
        }
        final ScoringModel.GraphNames names = model.names();
        encoder.input().put(0, batch.x(), 0, n * d);
        encoder.run(n);
        encoder.output(names.encoderMu()).get(0, mu, 0, n * k);
        if (encoder.perRow(names.encoderLogvar())) {
            encoder.output(names.encoderLogvar()).get(0, encoderLogvar, 0, n * k);
        }
        estimator.sample(n, batch.idHashes(), mu, encoderLogvar, z, results.kl);
        if (c == 0) {
            decoder.input().put(0, z, 0, n * samples * k);
        } else {
            // each sample's row: its latent code, then the record's context columns (the decoder models x given c)
            final FloatBuffer in = decoder.input();
            final float[] x = batch.x();
            for (int i = 0; i < n; i++) {
                for (int l = 0; l < samples; l++) {
                    final int row = (i * samples + l) * (k + c);
                    in.put(row, z, (i * samples + l) * k, k);
                    in.put(row + k, x, i * d + dx, c);
                }
            }
        }
        decoder.run(n * samples);
        estimator.reconstruct(n, batch.x(), batch.mask(), decoder.output(names.decoderMean()),
                decoderLogvarRows ? decoder.output(names.decoderLogvar()) : null, results.reconNll, results.iwNll,
                results.contributions, results.expected);
        final ScoringModel.ThresholdsBy by = model.thresholdsBy();
        final boolean calibrated = model.calibrated();
        for (int i = 0; i < n; i++) {
            final double score = results.reconNll[i] + results.kl[i];
            final double threshold = by == null ? model.threshold() : by.threshold(batch.x(), i * d);
            results.nelbo[i] = score;
            results.threshold[i] = threshold;
            results.tailProbability[i] = calibrated ? model.calibration().of(score) : Double.NaN;
            // written so that a NaN score (a broken or hostile graph) raises an alert instead of muting it
            results.anomaly[i] = calibrated && !(score <= threshold);
        }
    }

    /** @return the model version */
    public String modelVersion() {
        return model.version();
    }

    /** @return the model description */
    public ScoringModel model() {
        return model;
    }

    /** @return the feature layout (feature index {@code f} of the results is {@code layout().block(f)}) */
    public FeatureLayout layout() {
        return layout;
    }

    /** @return the options this engine was opened with */
    public EngineOptions options() {
        return options;
    }

    /** @return the device the graphs run on (CPU after a CUDA fallback) */
    public Device device() {
        return sessions.device();
    }

    /** @return seconds spent loading, checking and warming up the model */
    public double loadSeconds() {
        return loadNanos / 1e9;
    }

    @Override
    public void close() {
        encoder.close();
        decoder.close();
        sessions.close();
    }

    /** The first runs of a session are slow (allocation, kernel selection): pay for them before traffic. */
    private void warmUp() {
        final ScoringBatch batch = newBatch();
        final ScoringResults results = newResults();
        for (int size : new int[] {1, options.maxBatch()}) {
            batch.clear();
            for (int i = 0; i < size; i++) {
                batch.addRow("warm-up");
            }
            score(batch, results);
        }
    }

    private Map<String, Integer> decoderOutputs(final ScoringModel.GraphNames names) {
        // A decoder without Gaussian features need not have a log-variance output.
        return layout.hasGaussian()
                ? outputs(names.decoderMean(), dx, names.decoderLogvar(), dx)
                : Map.of(names.decoderMean(), dx);
    }

    private static Map<String, Integer> outputs(final String a, final int aWidth, final String b, final int bWidth) {
        final Map<String, Integer> m = new LinkedHashMap<>();
        m.put(a, aWidth);
        m.put(b, bWidth);
        return m;
    }
}
