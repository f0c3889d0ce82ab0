package dev.nelbo.trainer.vae;

import dev.nelbo.schemas.bundle.Activation;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VaeConfigTest {

    private static VaeConfig withWarmup(final float beta, final int warmup) {
        final VaeConfig d = VaeConfig.defaults();
        return new VaeConfig(d.hidden(), d.latent(), d.activation(), d.perRowVariance(), d.epochs(), d.batchSize(), d.learningRate(), beta,
                warmup, d.denoise(), d.validationFraction(), d.patience(), d.gradClip(), d.logvarMin(), d.logvarMax(),
                d.seed());
    }

    @Test
    void beta_rises_linearly_from_zero_to_its_final_value_over_the_warmup_epochs() {
        final VaeConfig config = withWarmup(0.5f, 4);
        assertEquals(0f, config.betaAt(0, 0), 1e-7);
        assertEquals(0.0625f, config.betaAt(0, 0.5), 1e-6);
        assertEquals(0.125f, config.betaAt(1, 0), 1e-6);
        assertEquals(0.375f, config.betaAt(2, 0.999999), 1e-5);
        assertEquals(0.5f, config.betaAt(4, 0), 1e-7);
        assertEquals(0.5f, config.betaAt(50, 0.3), 1e-7);
        float previous = -1;
        for (int epoch = 0; epoch < 6; epoch++) {
            for (int step = 0; step < 10; step++) {
                final float beta = config.betaAt(epoch, step / 10.0);
                assertTrue(beta >= previous, "beta never decreases");
                previous = beta;
            }
        }
    }

    @Test
    void no_warmup_means_full_beta_from_the_first_step() {
        assertEquals(1f, withWarmup(1f, 0).betaAt(0, 0), 0);
    }

    @Test
    void out_of_range_values_are_rejected_naming_the_field() {
        final IllegalArgumentException latent = assertThrows(IllegalArgumentException.class,
                () -> new VaeConfig(List.of(8), 0, Activation.ELU, false, 1, 1, 1e-3f, 1f, 0, 0f, 0.1f, 1, 1f, -1f, 1f, 1L));
        assertTrue(latent.getMessage().contains("latent"), latent.getMessage());
        final IllegalArgumentException denoise = assertThrows(IllegalArgumentException.class,
                () -> new VaeConfig(List.of(8), 2, Activation.ELU, false, 1, 1, 1e-3f, 1f, 0, 1f, 0.1f, 1, 1f, -1f, 1f, 1L));
        assertTrue(denoise.getMessage().contains("denoise"), denoise.getMessage());
        final IllegalArgumentException clamp = assertThrows(IllegalArgumentException.class,
                () -> new VaeConfig(List.of(8), 2, Activation.ELU, false, 1, 1, 1e-3f, 1f, 0, 0f, 0.1f, 1, 1f, 1f, 1f, 1L));
        assertTrue(clamp.getMessage().contains("clamp"), clamp.getMessage());
    }
}
