package dev.nelbo.engine.bench;

import dev.nelbo.engine.EngineOptions;
import dev.nelbo.engine.ScoringBatch;
import dev.nelbo.engine.ScoringEngine;
import dev.nelbo.engine.ScoringResults;
import dev.nelbo.engine.testing.EngineFixtures;
import dev.nelbo.schemas.bundle.ModelBundle;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * Records per second of the reference model on one thread, measured in the scoring thread's CPU time
 * as well as wall time. On a shared machine (these build hosts run several builds on 2 cores) wall
 * time mostly measures the neighbours; CPU time is what one dedicated core would deliver (an upper
 * bound: hyper-threading neighbours still slow it down). Complements {@link ScoringBenchmark}.
 *
 * <p>Run: {@code java -cp ... dev.nelbo.engine.bench.CpuTimeHarness [seconds-per-round]}.
 */
public final class CpuTimeHarness {

    private CpuTimeHarness() {
    }

    /**
     * @param args optional seconds per measured round (default 3)
     * @throws IOException when the temporary bundle cannot be written
     */
    public static void main(final String[] args) throws IOException {
        final double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        final Path dir = Files.createTempDirectory("nelbo-harness");
        final ModelBundle bundle = EngineFixtures.referenceBundle(dir.resolve("reference"), 42);
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (int batchSize : new int[] {256, 1}) {
            try (ScoringEngine engine = ScoringEngine.open(bundle, EngineOptions.defaults().withMaxBatch(batchSize))) {
                final ScoringBatch batch = engine.newBatch();
                final ScoringResults results = engine.newResults();
                final Random rnd = new Random(1);
                final float[] x = new float[EngineFixtures.REFERENCE_D];
                final float[] mask = new float[EngineFixtures.REFERENCE_D];
                Arrays.fill(mask, 1f);
                for (int i = 0; i < batchSize; i++) {
                    for (int d = 0; d < x.length; d++) {
                        x[d] = (float) rnd.nextGaussian();
                    }
                    batch.add("record-" + i, x, mask);
                }
                for (int round = 0; round < 5; round++) {
                    final long cpu0 = threads.getCurrentThreadCpuTime();
                    final long wall0 = System.nanoTime();
                    long records = 0;
                    while (System.nanoTime() - wall0 < seconds * 1e9) {
                        engine.score(batch, results);
                        records += batchSize;
                    }
                    final double cpu = (threads.getCurrentThreadCpuTime() - cpu0) / 1e9;
                    final double wall = (System.nanoTime() - wall0) / 1e9;
                    System.out.printf("batch %3d round %d: %,10.0f records/s per CPU-second, %,10.0f records/s wall (%.2f us CPU/record)%n",
                            batchSize, round, records / cpu, records / wall, cpu * 1e6 / records);
                }
            }
        }
    }
}
