package dev.nelbo.schemas.testing;

import dev.nelbo.schemas.bundle.Activation;
import dev.nelbo.schemas.bundle.BundleWriter;
import dev.nelbo.schemas.bundle.DenseLayer;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.MlpHead;
import dev.nelbo.schemas.bundle.MlpWeights;
import dev.nelbo.schemas.encoding.FeatureEncoder;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Test fixture shared by every module's tests (published in the schemas test-jar): builds manifests
 * and bundles with given or random weights through the production {@link BundleWriter}.
 */
public final class TestBundles {

    private TestBundles() {
    }

    /** @return a dense layer with N(0, scale^2) weights and zero bias */
    public static DenseLayer randomLayer(final Random rnd, final int in, final int out, final double scale) {
        final float[] w = new float[in * out];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (rnd.nextGaussian() * scale);
        }
        final float[] b = new float[out];
        for (int i = 0; i < out; i++) {
            b[i] = (float) (rnd.nextGaussian() * 0.1);
        }
        return new DenseLayer(in, out, w, b);
    }

    /**
     * A random VAE in nelbo's graph contract: encoder x -> (mu, logvar), decoder z -> (mean, logvar)
     * with a constant per-feature decoder log-variance.
     *
     * @param seed   random seed
     * @param d      encoded width
     * @param hidden hidden width (one layer each side)
     * @param k      latent size
     * @return encoder and decoder weights
     */
    public static MlpWeights[] randomVae(final long seed, final int d, final int hidden, final int k) {
        return randomVae(seed, d, 0, hidden, k);
    }

    /**
     * A random conditional VAE: the decoder reads z followed by the last {@code context} columns of x and
     * reconstructs the others.
     *
     * @param seed    random seed
     * @param d       encoded width
     * @param context width of the context columns (0: a plain VAE)
     * @param hidden  hidden width (one layer each side)
     * @param k       latent size
     * @return encoder and decoder weights
     */
    public static MlpWeights[] randomVae(final long seed, final int d, final int context, final int hidden, final int k) {
        final Random rnd = new Random(seed);
        final double s1 = 1.0 / Math.sqrt(d);
        final double s2 = 1.0 / Math.sqrt(hidden);
        final int out = d - context;
        final MlpWeights enc = new MlpWeights("x", d, List.of(randomLayer(rnd, d, hidden, s1)), Activation.TANH,
                List.of(MlpHead.dense("mu", randomLayer(rnd, hidden, k, s2)),
                        MlpHead.dense("logvar", randomLayer(rnd, hidden, k, s2 * 0.3))));
        final float[] logvar = new float[out];
        for (int i = 0; i < out; i++) {
            logvar[i] = (float) (rnd.nextGaussian() * 0.2 - 0.5);
        }
        final MlpWeights dec = new MlpWeights("z", k + context, List.of(randomLayer(rnd, k + context, hidden,
                1.0 / Math.sqrt(k + context))), Activation.TANH, List.of(MlpHead.dense("mean", randomLayer(rnd, hidden, out, s2)),
                MlpHead.constant("logvar", logvar)));
        return new MlpWeights[] {enc, dec};
    }

    /**
     * A manifest draft for an encoder and weights (version/hash/files filled by the writer).
     *
     * @param encoder   fitted feature encoder
     * @param latent    latent size
     * @param hidden    hidden widths (same both sides)
     * @param threshold alert threshold
     * @return the draft
     */
    public static Manifest draft(final FeatureEncoder encoder, final int latent, final List<Integer> hidden,
                                 final double threshold) {
        return draft(encoder, latent, hidden, threshold, Activation.TANH);
    }

    /**
     * A manifest draft for weights of the given activation (a bundle's graphs must be of its manifest's).
     *
     * @param encoder    fitted feature encoder
     * @param latent     latent size
     * @param hidden     hidden widths (same both sides)
     * @param threshold  alert threshold
     * @param activation the weights' hidden activation
     * @return the draft
     */
    public static Manifest draft(final FeatureEncoder encoder, final int latent, final List<Integer> hidden,
                                 final double threshold, final Activation activation) {
        final List<Manifest.Quantile> qs = new ArrayList<>();
        qs.add(new Manifest.Quantile(0.5, threshold / 4));
        qs.add(new Manifest.Quantile(0.9, threshold / 2));
        qs.add(new Manifest.Quantile(0.99, threshold * 0.8));
        qs.add(new Manifest.Quantile(0.999, threshold));
        return new Manifest(Manifest.SCHEMA_VERSION, "", "2026-01-01T00:00:00Z", null, encoder.spec(), encoder.stats(),
                new Manifest.Architecture(encoder.width(), latent, hidden, hidden, activation, "per_feature",
                        -12.0, 8.0, encoder.layout()),
                new Manifest.Graphs(BundleWriter.ENCODER_IO, BundleWriter.DECODER_IO), Map.of(),
                new Manifest.Calibration("nelbo", threshold, 0.001, "empirical", 1000, qs, null),
                new Manifest.Provenance("test fixture", 1000, Map.of("hidden", hidden), 7L,
                        Map.of("java", System.getProperty("java.version"))));
    }

    /**
     * Writes a random bundle for an encoder.
     *
     * @param dir     target directory
     * @param encoder fitted feature encoder
     * @param seed    weight seed
     * @return the manifest written
     */
    public static Manifest writeRandom(final Path dir, final FeatureEncoder encoder, final long seed) {
        final MlpWeights[] vae = randomVae(seed, encoder.width(), 16, 4);
        return BundleWriter.write(dir, draft(encoder, 4, List.of(16), 50.0), vae[0], vae[1], Map.of());
    }
}
