package dev.nelbo.trainer.export;

import dev.nelbo.schemas.bundle.BundleWriter;
import dev.nelbo.schemas.bundle.Activation;
import dev.nelbo.schemas.bundle.DenseLayer;
import dev.nelbo.schemas.bundle.MlpHead;
import dev.nelbo.schemas.bundle.MlpWeights;
import dev.nelbo.schemas.encoding.ColumnBlock;
import dev.nelbo.schemas.encoding.Likelihood;
import dev.nelbo.trainer.vae.TrainedVae;
import dev.nelbo.trainer.vae.TrainingData;
import dev.nelbo.trainer.vae.VaeConfig;
import dev.nelbo.trainer.vae.VaeTrainer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxParityTest {

    private static TrainingData data() {
        final Random random = new Random(4);
        final int rows = 400;
        final int width = 6;
        final float[] x = new float[rows * width];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        final float[] mask = new float[rows * width];
        Arrays.fill(mask, 1f);
        final List<ColumnBlock> blocks = new ArrayList<>();
        for (int j = 0; j < width; j++) {
            blocks.add(new ColumnBlock("f" + j, Likelihood.GAUSSIAN, j, 1));
        }
        return new TrainingData(x, mask, rows, width, blocks);
    }

    @ParameterizedTest(name = "per-row variance {0}")
    @ValueSource(booleans = {false, true})
    void exported_graphs_match_djl_and_a_tampered_export_fails(final boolean perRowVariance) {
        final TrainingData data = data();
        final VaeConfig config = new VaeConfig(List.of(16, 16), 3, Activation.ELU, perRowVariance, 3, 64, 1e-3f, 1f, 1, 0f, 0.2f, 5,
                5f, -12f, 8f, 3L);
        try (TrainedVae vae = VaeTrainer.fit(data, config, s -> { })) {
            final MlpWeights encoder = vae.encoderWeights();
            final MlpWeights decoder = vae.decoderWeights();
            final OnnxParity.Difference ok = OnnxParity.check(vae, encoder, decoder, data.x(), data.rows());
            assertTrue(ok.maxAbs() <= OnnxParity.TOLERANCE, ok.toString());

            // Shift one bias of the exported mean head by 1e-3: the check must notice.
            final DenseLayer head = decoder.head(BundleWriter.MEAN).layer();
            final float[] bias = head.bias();
            bias[0] += 1e-3f;
            final MlpWeights tampered = new MlpWeights(decoder.inputName(), decoder.inputWidth(), decoder.hidden(),
                    decoder.activation(), List.of(MlpHead.dense(BundleWriter.MEAN,
                            new DenseLayer(head.inputs(), head.outputs(), head.weight(), bias)),
                            decoder.head(BundleWriter.LOGVAR)));
            final IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> OnnxParity.check(vae, encoder, tampered, data.x(), data.rows()));
            assertTrue(e.getMessage().contains("decoder mean"), e.getMessage());
        }
    }
}
