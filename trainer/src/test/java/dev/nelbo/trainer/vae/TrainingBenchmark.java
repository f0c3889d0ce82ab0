package dev.nelbo.trainer.vae;

import dev.nelbo.schemas.bundle.Activation;
import dev.nelbo.schemas.encoding.ColumnBlock;
import dev.nelbo.schemas.encoding.Likelihood;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Benchmark harness (not a test): seconds per training epoch on a 100,000 x 32 matrix with hidden
 * 64,64, latent 8, batch 256 — the shape of the plain PyTorch reference loop, which
 * {@code scripts/pytorch_reference.py} reproduces with the same data recipe. The intra-op thread count is
 * fixed at engine start, so compare thread settings in separate JVMs: {@code scripts/bench-trainer.sh}
 * runs this class with 1 and 2 threads and the PyTorch reference in between, and prints the ratio.
 *
 * <p>Arguments: {@code [epochs]} (default 6; the first epoch is reported separately as warm-up).
 */
public final class TrainingBenchmark {

    private TrainingBenchmark() {
    }

    /**
     * @param args optional number of epochs
     */
    public static void main(final String[] args) {
        final int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        final int rows = 100_000;
        final int width = 32;
        final TrainingData data = lowRankData(rows, width, 4, new Random(1));
        // patience > epochs: every configured epoch runs, so the figure is per full epoch.
        final VaeConfig config = new VaeConfig(List.of(64, 64), 8, Activation.ELU, false, epochs, 256, 1e-3f, 1f, 2, 0f,
                0.1f, epochs + 1, 5f, -12f, 8f, 1L);
        final List<Double> seconds = new ArrayList<>();
        // CPU time of this thread as well as wall time: with one intra-op thread PyTorch runs every op on
        // the calling thread, so CPU time stays meaningful when other processes share the cores.
        final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        final List<Double> cpu = new ArrayList<>();
        final long[] lastCpu = {threads.getCurrentThreadCpuTime()};
        try (TrainedVae vae = VaeTrainer.fit(data, config, stats -> {
            seconds.add(stats.seconds());
            final long now = threads.getCurrentThreadCpuTime();
            cpu.add((now - lastCpu[0]) / 1e9);
            lastCpu[0] = now;
            System.out.println(stats.progressLine());
        })) {
            final int steps = (vae.history().isEmpty() ? 0 : (int) Math.ceil((rows - vae.validation().rows()) / 256.0));
            final double warm = seconds.subList(1, seconds.size()).stream().mapToDouble(Double::doubleValue).average()
                    .orElse(Double.NaN);
            final double warmCpu = cpu.subList(1, cpu.size()).stream().mapToDouble(Double::doubleValue).average()
                    .orElse(Double.NaN);
            System.out.printf(Locale.ROOT, "threads=%s rows=%d width=%d steps/epoch=%d first epoch %.3f s, "
                            + "later epochs %.3f s/epoch wall (%.3f ms/step, validation included), "
                            + "%.3f s/epoch CPU of the training thread%n",
                    System.getProperty("ai.djl.pytorch.num_threads", "default"), rows, width, steps, seconds.get(0),
                    warm, warm * 1000 / steps, warmCpu);
        }
    }

    /** Rows from a linear map of a few Gaussian factors plus noise: structured, like real data. */
    static TrainingData lowRankData(final int rows, final int width, final int factors, final Random random) {
        final float[][] loading = new float[factors][width];
        for (float[] row : loading) {
            for (int j = 0; j < width; j++) {
                row[j] = (float) random.nextGaussian();
            }
        }
        final float[] x = new float[rows * width];
        final float[] mask = new float[rows * width];
        final double[] f = new double[factors];
        for (int i = 0; i < rows; i++) {
            for (int k = 0; k < factors; k++) {
                f[k] = random.nextGaussian();
            }
            for (int j = 0; j < width; j++) {
                double v = 0.3 * random.nextGaussian();
                for (int k = 0; k < factors; k++) {
                    v += f[k] * loading[k][j] / Math.sqrt(factors);
                }
                x[i * width + j] = (float) v;
                mask[i * width + j] = 1f;
            }
        }
        final List<ColumnBlock> blocks = new ArrayList<>();
        for (int j = 0; j < width; j++) {
            blocks.add(new ColumnBlock("f" + j, Likelihood.GAUSSIAN, j, 1));
        }
        return new TrainingData(x, mask, rows, width, blocks);
    }
}
