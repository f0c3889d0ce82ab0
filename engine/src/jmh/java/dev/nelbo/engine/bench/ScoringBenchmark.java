package dev.nelbo.engine.bench;

import dev.nelbo.engine.EngineOptions;
import dev.nelbo.engine.ScoringBatch;
import dev.nelbo.engine.ScoringEngine;
import dev.nelbo.engine.ScoringModel;
import dev.nelbo.engine.ScoringResults;
import dev.nelbo.engine.elbo.ElboEstimator;
import dev.nelbo.engine.elbo.FeatureLayout;
import dev.nelbo.engine.elbo.PlanarFlow;
import dev.nelbo.engine.random.CounterNormals;
import dev.nelbo.engine.testing.EngineFixtures;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.ModelBundle;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Scoring throughput of the reference model (32 continuous features, hidden 64, latent 8, constant
 * per-feature decoder log-variance) on one thread. Scores are records per second: the batched
 * benchmarks count every record of a batch as one operation. {@code elboMathOnly} isolates the Java
 * side (sampling, likelihoods, IW estimate) from ONNX Runtime, to show where the time goes.
 *
 * <p>Run: see docs/performance.md (engine section).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ScoringBenchmark {

    private static final int BATCH = 256;

    @Param({"8"})
    public int samples;

    /** Planar flow steps on the posterior (0: none): what a flow costs per record. */
    @Param({"0", "8"})
    public int flowLength;

    private Path dir;
    private ScoringEngine engine;
    private ScoringBatch batch;
    private ScoringBatch single;
    private ScoringResults results;
    private int next;

    private ElboEstimator estimator;
    private long[] idHashes;
    private float[] mu;
    private float[] logvar;
    private float[] z;
    private double[] kl;
    private FloatBuffer decoderMean;
    private double[] recon;
    private double[] iw;
    private double[] contributions;
    private double[] expected;

    /** Writes the reference bundle, opens the engine and fills one batch of random records. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("nelbo-bench");
        final ModelBundle bundle = EngineFixtures.referenceBundle(dir.resolve("reference"), 42);
        final Manifest.PlanarFlow flow = flowLength == 0 ? null : randomFlow(flowLength, EngineFixtures.REFERENCE_K);
        engine = ScoringEngine.open(ScoringModel.of(bundle).withFlow(flow),
                EngineOptions.defaults().withSamples(samples).withMaxBatch(BATCH));
        batch = engine.newBatch();
        single = new ScoringBatch(1, EngineFixtures.REFERENCE_D);
        results = engine.newResults();
        final Random rnd = new Random(1);
        final float[] x = new float[EngineFixtures.REFERENCE_D];
        final float[] mask = new float[EngineFixtures.REFERENCE_D];
        java.util.Arrays.fill(mask, 1f);
        for (int i = 0; i < BATCH; i++) {
            for (int d = 0; d < x.length; d++) {
                x[d] = (float) rnd.nextGaussian();
            }
            batch.add("record-" + i, x, mask);
        }
        single.add("record-0", x, mask);

        final int d = EngineFixtures.REFERENCE_D;
        final int k = EngineFixtures.REFERENCE_K;
        final ScoringModel model = engine.model();
        final float[] decLogvar = new float[d];
        estimator = new ElboEstimator(new FeatureLayout(model.layout(), d), d, k, samples, BATCH,
                CounterNormals.hash(model.noiseKey()), model.encoderLogvar(), model.decoderLogvar(), null, decLogvar,
                flow == null ? null : new PlanarFlow(flow));
        idHashes = new long[BATCH];
        mu = new float[BATCH * k];
        logvar = new float[BATCH * k];
        for (int i = 0; i < BATCH; i++) {
            idHashes[i] = CounterNormals.hash("record-" + i);
        }
        for (int i = 0; i < mu.length; i++) {
            mu[i] = (float) rnd.nextGaussian();
            logvar[i] = (float) (rnd.nextGaussian() - 2);
        }
        z = new float[BATCH * samples * k];
        kl = new double[BATCH];
        decoderMean = ByteBuffer.allocateDirect(BATCH * samples * d * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < decoderMean.capacity(); i++) {
            decoderMean.put(i, (float) rnd.nextGaussian());
        }
        recon = new double[BATCH];
        iw = new double[BATCH];
        contributions = new double[BATCH * d];
        expected = new double[BATCH * d];
    }

    /** Small random steps (w . u stays far above -1). */
    private static Manifest.PlanarFlow randomFlow(final int steps, final int k) {
        final Random rnd = new Random(3);
        final List<List<Double>> u = new ArrayList<>();
        final List<List<Double>> w = new ArrayList<>();
        final List<Double> b = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            u.add(rnd.doubles(k).map(v -> 0.1 * (v - 0.5)).boxed().toList());
            w.add(rnd.doubles(k).map(v -> v - 0.5).boxed().toList());
            b.add(0.0);
        }
        return new Manifest.PlanarFlow(u, w, b);
    }

    /** Closes the engine and deletes the bundle. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        engine.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** The streaming path: one engine call per batch of 256 records. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void batched(final Blackhole bh) {
        engine.score(batch, results);
        bh.consume(results.nelbo(BATCH - 1));
    }

    /** Record-at-a-time: one engine call (two graph runs) per record. */
    @Benchmark
    public void recordAtATime(final Blackhole bh) {
        engine.score(single, results);
        bh.consume(results.nelbo(0));
    }

    /** Only the Java-side ELBO math of a batch of 256 (no ONNX Runtime). */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void elboMathOnly(final Blackhole bh) {
        estimator.sample(BATCH, idHashes, mu, logvar, z, kl);
        estimator.reconstruct(BATCH, batch.x(), batch.mask(), decoderMean, null, recon, iw, contributions, expected);
        bh.consume(iw[next++ & (BATCH - 1)]);
    }
}
