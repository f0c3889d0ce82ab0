package dev.nelbo.trainer.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.nelbo.schemas.bundle.MlpWeights;
import dev.nelbo.schemas.bundle.OnnxMlpWriter;
import dev.nelbo.trainer.vae.TrainedVae;

import java.nio.FloatBuffer;
import java.util.Map;

/**
 * Checks, before a bundle is written, that the exported ONNX graphs compute what the trained DJL
 * model computes: encoder outputs on real rows and decoder outputs at their posterior means must
 * agree within {@link #TOLERANCE}. A mismatch means the export is wrong, and scoring would silently
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
            final float[][] ortEncoded = run(env, options, encoder, x, rows, TrainedVae.ENCODER_INPUT,
                    TrainedVae.MU, TrainedVae.LOGVAR);
            final float[][] ortDecoded = run(env, options, decoder, decoderInput, rows, TrainedVae.DECODER_INPUT,
                    TrainedVae.MEAN, TrainedVae.LOGVAR);
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
