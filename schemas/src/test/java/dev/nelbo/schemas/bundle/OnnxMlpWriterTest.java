package dev.nelbo.schemas.bundle;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.nelbo.schemas.testing.TestBundles;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The written graph computes exactly the MLP its weights describe, for any batch size. */
class OnnxMlpWriterTest {

    private static float act(final Activation a, final double v) {
        return (float) switch (a) {
            case TANH -> Math.tanh(v);
            case RELU -> Math.max(0, v);
            case ELU -> v > 0 ? v : Math.expm1(v);
            case SOFTPLUS -> Math.log1p(Math.exp(v));
        };
    }

    private static float[] dense(final DenseLayer l, final float[] in) {
        final float[] out = new float[l.outputs()];
        for (int o = 0; o < l.outputs(); o++) {
            double s = l.bias()[o];
            for (int i = 0; i < l.inputs(); i++) {
                s += l.weightAt(o, i) * in[i];
            }
            out[o] = (float) s;
        }
        return out;
    }

    @Test
    void onnx_runtime_reproduces_the_weights_for_every_activation_and_batch_size() throws Exception {
        final Random rnd = new Random(9);
        final OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (Activation a : Activation.values()) {
            final DenseLayer h1 = TestBundles.randomLayer(rnd, 5, 7, 0.5);
            final DenseLayer h2 = TestBundles.randomLayer(rnd, 7, 6, 0.5);
            final DenseLayer head = TestBundles.randomLayer(rnd, 6, 3, 0.5);
            final float[] constant = {0.5f, -1f, 2f, 0f, 1f};
            final MlpWeights mlp = new MlpWeights("x", 5, List.of(h1, h2), a,
                    List.of(MlpHead.dense("out", head), MlpHead.constant("c", constant)));
            try (OrtSession s = env.createSession(OnnxMlpWriter.toBytes(mlp, "t", Map.of("k", "v")), new OrtSession.SessionOptions())) {
                assertEquals("v", s.getMetadata().getCustomMetadata().get("k"));
                for (int batch : new int[] {1, 4}) {
                    final float[] x = new float[batch * 5];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) rnd.nextGaussian();
                    }
                    try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {batch, 5});
                         OrtSession.Result r = s.run(Map.of("x", t))) {
                        final float[][] out = (float[][]) r.get("out").get().getValue();
                        for (int b = 0; b < batch; b++) {
                            float[] h = java.util.Arrays.copyOfRange(x, b * 5, b * 5 + 5);
                            for (DenseLayer l : List.of(h1, h2)) {
                                final float[] pre = dense(l, h);
                                h = new float[pre.length];
                                for (int i = 0; i < pre.length; i++) {
                                    h[i] = act(a, pre[i]);
                                }
                            }
                            assertArrayEquals(dense(head, h), out[b], 1e-5f, a + " batch " + batch);
                        }
                        assertArrayEquals(constant, (float[]) r.get("c").get().getValue());
                    }
                }
            }
        }
    }
}
