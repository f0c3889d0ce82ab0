package dev.nelbo.engine.testing;

import dev.nelbo.schemas.bundle.BundleWriter;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.MlpWeights;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.encoding.EncoderStats;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.encoding.FeatureStats;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;
import dev.nelbo.schemas.spec.MissingPolicy;
import dev.nelbo.schemas.spec.Transform;
import dev.nelbo.schemas.testing.TestBundles;
import dev.nelbo.schemas.testing.TestData;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Model bundles for engine, scorer and trainer tests (published in the engine test-jar). Every
 * bundle goes through the production {@link BundleWriter} and {@link ModelBundle#load}, so tests
 * score real, verified ONNX files.
 */
public final class EngineFixtures {

    /** Dimensions of the benchmark's reference model: 32 continuous features, hidden 64, latent 8. */
    public static final int REFERENCE_D = 32;
    /** Hidden width of the reference model. */
    public static final int REFERENCE_HIDDEN = 64;
    /** Latent width of the reference model. */
    public static final int REFERENCE_K = 8;

    private EngineFixtures() {
    }

    /**
     * An encoder for {@code d} continuous features {@code f00, f01, ...} with identity standardisation
     * (centre 0, scale 1), so encoded values equal raw values.
     *
     * @param d number of features
     * @return the encoder
     */
    public static FeatureEncoder continuousEncoder(final int d) {
        final List<FeatureDef> defs = new ArrayList<>();
        final List<FeatureStats> stats = new ArrayList<>();
        for (int i = 0; i < d; i++) {
            final String name = String.format("f%02d", i);
            defs.add(new FeatureDef(name, name, FeatureType.CONTINUOUS, Transform.NONE, MissingPolicy.IMPUTE));
            stats.add(new FeatureStats(name, 0, 1, false, null, null, 1000));
        }
        return new FeatureEncoder(new FeatureSpec("id", null, null, 8, defs), new EncoderStats(stats));
    }

    /**
     * Writes a bundle with given weights and loads it back (verified).
     *
     * @param dir       bundle directory
     * @param encoder   feature encoder (its layout is the model's)
     * @param latent    latent width K
     * @param weights   encoder and decoder weights, in the graph contract's names
     * @param threshold alert threshold (calibration quantiles are placed relative to it)
     * @return the loaded bundle
     */
    public static ModelBundle writeBundle(final Path dir, final FeatureEncoder encoder, final int latent,
                                          final MlpWeights[] weights, final double threshold) {
        final List<Integer> hidden = weights[0].hiddenWidths();
        BundleWriter.write(dir, TestBundles.draft(encoder, latent, hidden, threshold), weights[0], weights[1], Map.of());
        return ModelBundle.load(dir);
    }

    /**
     * A random model over {@code d} continuous features (constant per-feature decoder log-variance).
     *
     * @param dir    bundle directory
     * @param seed   weight seed
     * @param d      features
     * @param hidden hidden width
     * @param k      latent width
     * @return the loaded bundle
     */
    public static ModelBundle randomContinuousBundle(final Path dir, final long seed, final int d, final int hidden,
                                                     final int k) {
        return writeBundle(dir, continuousEncoder(d), k, TestBundles.randomVae(seed, d, hidden, k), 50.0);
    }

    /**
     * A random model over {@link TestData}'s mixed domain (continuous, binary, categorical features).
     *
     * @param dir  bundle directory
     * @param seed weight seed
     * @return the loaded bundle
     */
    public static ModelBundle randomMixedBundle(final Path dir, final long seed) {
        final FeatureEncoder encoder = TestData.fittedEncoder(seed, 500);
        return writeBundle(dir, encoder, 4, TestBundles.randomVae(seed, encoder.width(), 16, 4), 20.0);
    }

    /**
     * The benchmark's reference model: 32 continuous features, hidden 64, latent 8, constant
     * per-feature decoder log-variance.
     *
     * @param dir  bundle directory
     * @param seed weight seed
     * @return the loaded bundle
     */
    public static ModelBundle referenceBundle(final Path dir, final long seed) {
        return randomContinuousBundle(dir, seed, REFERENCE_D, REFERENCE_HIDDEN, REFERENCE_K);
    }
}
