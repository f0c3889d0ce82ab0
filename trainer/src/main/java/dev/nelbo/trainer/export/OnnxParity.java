package dev.nelbo.trainer.export;

import dev.nelbo.schemas.bundle.BundleWriter;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.nelbo.engine.elbo.PlanarFlow;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.MlpWeights;
import dev.nelbo.schemas.bundle.OnnxMlpWriter;
import dev.nelbo.trainer.vae.TrainedVae;

import java.nio.FloatBuffer;
import java.util.Map;

/**
 * Checks, before a bundle is written, that the exported ONNX graphs compute what the trained DJL
 * model computes: encoder outputs on real rows and decoder outputs at their posterior means must
 * agree within {@link #TOLERANCE}, and so must a posterior flow as trained and as the engine applies it. A mismatch means the export is wrong, and scoring would silently
 * differ from training, so it fails the run.
 */
public final class OnnxParity {

    /** Largest tolerated absolute difference between DJL and ONNX Runtime outputs. */
    public static final double TOLERANCE = 1e-4;

    private OnnxParity() {
    }

    /**
     * @param name   output name
     * @param maxAbs largest absolute difference seen
     */
    public record Difference(String name, double maxAbs) {
    }

    /**
     * Runs both graphs with ONNX Runtime and compares them with the DJL model.
     *
     * @param vae     the trained model
     * @param encoder exported encoder weights
     * @param decoder exported decoder weights
     * @param x       row-major encoded rows
     * @param rows    number of rows
     * @return the largest difference over all outputs
     * @throws IllegalStateException when an output differs by more than {@link #TOLERANCE} or ONNX Runtime fails
     */
    public static Difference check(final TrainedVae vae, final MlpWeights encoder, final MlpWeights decoder,
                                   final float[] x, final int rows) {
        final float[][] djlEncoded = vae.encode(x, rows);
        final float[] decoderInput = vae.decoderInput(djlEncoded[0], x, rows);
        final float[][] djlDecoded = vae.decode(decoderInput, rows);
        final float logvarMin = vae.config().logvarMin();
        final float logvarMax = vae.config().logvarMax();
        final OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            final float[][] ortEncoded = run(env, options, encoder, x, rows, BundleWriter.ENCODER_INPUT,
                    BundleWriter.MU, BundleWriter.LOGVAR);
            final float[][] ortDecoded = run(env, options, decoder, decoderInput, rows, BundleWriter.DECODER_INPUT,
                    BundleWriter.MEAN, BundleWriter.LOGVAR);
            // The engine clamps both log-variances exactly as training did.
            clamp(ortEncoded[1], logvarMin, logvarMax);
            clamp(ortDecoded[1], logvarMin, logvarMax);
            Difference worst = new Difference("none", 0);
            worst = worse(worst, "encoder mu", djlEncoded[0], ortEncoded[0]);
            worst = worse(worst, "encoder logvar", djlEncoded[1], ortEncoded[1]);
            worst = worse(worst, "decoder mean", djlDecoded[0], ortDecoded[0]);
            worst = worse(worst, "decoder logvar", djlDecoded[1], ortDecoded[1]);
            if (!(worst.maxAbs() <= TOLERANCE)) {
                throw new IllegalStateException(String.format(java.util.Locale.ROOT,
                        "export parity check failed: %s differs between DJL and ONNX Runtime by %.3g (limit %.0e); "
                                + "the bundle was not written", worst.name(), worst.maxAbs(), TOLERANCE));
            }
            return worst;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed during the export parity check: " + e.getMessage(), e);
        }
    }

    /**
     * Compares the posterior flow as trained (DJL) with the engine's {@link PlanarFlow} on the exported parameters,
     * on posterior samples of real rows: the flowed samples and the log-determinants must agree within
     * {@link #TOLERANCE}.
     *
     * @param vae  the trained model (with a flow)
     * @param flow the exported flow
     * @param x    row-major encoded rows
     * @param rows number of rows
     * @return the larger difference of the two
     * @throws IllegalStateException when they differ by more than {@link #TOLERANCE}
     */
    public static Difference checkFlow(final TrainedVae vae, final Manifest.PlanarFlow flow, final float[] x, final int rows) {
        final float[][] encoded = vae.encode(x, rows);
        final int k = vae.config().latent();
        final java.util.Random random = new java.util.Random(1);
        final float[] z0 = new float[rows * k];
        for (int i = 0; i < z0.length; i++) {
            z0[i] = (float) (encoded[0][i] + Math.exp(0.5 * encoded[1][i]) * random.nextGaussian());
        }
        final float[][] djl = vae.flow(z0, rows);
        final PlanarFlow engine = new PlanarFlow(flow);
        final float[] z = new float[rows * k];
        final float[] logDet = new float[rows];
        final double[] one = new double[k];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j++) {
                one[j] = z0[r * k + j];
            }
            logDet[r] = (float) engine.apply(one);
            for (int j = 0; j < k; j++) {
                z[r * k + j] = (float) one[j];
            }
        }
        final Difference worst = worse(worse(new Difference("none", 0), "flow z_K", djl[0], z), "flow log-det", djl[1], logDet);
        if (!(worst.maxAbs() <= TOLERANCE)) {
            throw new IllegalStateException(String.format(java.util.Locale.ROOT,
                    "export parity check failed: %s differs between DJL and the engine by %.3g (limit %.0e); "
                            + "the bundle was not written", worst.name(), worst.maxAbs(), TOLERANCE));
        }
        return worst;
    }

    private static float[][] run(final OrtEnvironment env, final OrtSession.SessionOptions options,
                                 final MlpWeights weights, final float[] input, final int rows, final String inputName,
                                 final String first, final String second) throws OrtException {
        final byte[] model = OnnxMlpWriter.toBytes(weights, "parity", Map.of());
        try (OrtSession session = env.createSession(model, options);
             OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(input),
                     new long[] {rows, input.length / rows});
             OrtSession.Result result = session.run(Map.of(inputName, tensor))) {
            return new float[][] {flat(result, first), flat(result, second)};
        }
    }

    private static void clamp(final float[] values, final float min, final float max) {
        for (int i = 0; i < values.length; i++) {
            values[i] = Math.max(min, Math.min(max, values[i]));
        }
    }

    private static float[] flat(final OrtSession.Result result, final String name) throws OrtException {
        final OnnxTensor tensor = (OnnxTensor) result.get(name).orElseThrow(
                () -> new IllegalStateException("exported graph has no output '" + name + "'"));
        final FloatBuffer buffer = tensor.getFloatBuffer();
        final float[] out = new float[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    private static Difference worse(final Difference current, final String name, final float[] a, final float[] b) {
        if (a.length != b.length) {
            throw new IllegalStateException("export parity check failed: " + name + " has " + b.length
                    + " values in ONNX Runtime but " + a.length + " in DJL");
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            final double d = Math.abs(a[i] - b[i]);
            if (!(d <= max)) {
                max = d;
            }
        }
        return max > current.maxAbs() || Double.isNaN(max) ? new Difference(name, max) : current;
    }
}
