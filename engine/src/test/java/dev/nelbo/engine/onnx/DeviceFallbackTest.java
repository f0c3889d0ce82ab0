package dev.nelbo.engine.onnx;

import dev.nelbo.engine.EngineOptions;
import dev.nelbo.engine.ScoringBatch;
import dev.nelbo.engine.ScoringEngine;
import dev.nelbo.engine.ScoringResults;
import dev.nelbo.engine.testing.EngineFixtures;
import dev.nelbo.schemas.bundle.ModelBundle;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Device selection on a machine without a usable CUDA (these build machines: CPU-only ONNX Runtime
 * artifact by default; with -Pgpu the CUDA provider is compiled in but its libraries/GPU are missing).
 */
class DeviceFallbackTest {

    @TempDir
    static Path dir;
    private static ModelBundle bundle;
    private final Capture capture = new Capture();

    @BeforeAll
    static void writeBundle() {
        bundle = EngineFixtures.randomContinuousBundle(dir.resolve("m"), 3, 4, 8, 2);
    }

    @BeforeEach
    void attach() {
        capture.start();
        logger().addAppender(capture);
    }

    @AfterEach
    void detach() {
        logger().removeAppender(capture);
        capture.stop();
    }

    @Test
    void cuda_requested_but_unavailable_warns_once_per_process_and_scores_on_cpu() {
        // cuda:7 is used by no other test, so this test sees the process's first fallback to it.
        final EngineOptions options = EngineOptions.defaults().withDevice("cuda:7", false).withMaxBatch(2);
        for (int engineNo = 0; engineNo < 2; engineNo++) {
            try (ScoringEngine engine = ScoringEngine.open(bundle, options)) {
                assertEquals(Device.CPU, engine.device());
                final ScoringBatch batch = engine.newBatch();
                batch.add("r", new float[] {0.1f, -0.2f, 0.3f, 1f}, new float[] {1f, 1f, 1f, 1f});
                final ScoringResults results = engine.newResults();
                engine.score(batch, results);
                assertTrue(Double.isFinite(results.nelbo(0)));
            }
        }
        assertEquals(1, capture.warnings.size(), "exactly one warning for two engines: " + capture.warnings);
        final String warning = capture.warnings.get(0);
        assertTrue(warning.contains("cuda:7") && warning.contains("CPU") && warning.contains("device.strict"), warning);
    }

    @Test
    void strict_cuda_fails_fast_saying_why() {
        final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ScoringEngine.open(bundle, EngineOptions.defaults().withDevice("cuda", true)));
        assertTrue(e.getMessage().contains("device.strict=true") && e.getMessage().contains("cuda:0"), e.getMessage());
        assertTrue(capture.warnings.isEmpty(), "strict mode fails instead of warning: " + capture.warnings);
    }

    @Test
    void cpu_needs_no_warning_and_bad_device_names_are_refused() {
        final ScoringEngine engine = ScoringEngine.open(bundle, EngineOptions.defaults().withMaxBatch(1));
        assertEquals(Device.CPU, engine.device());
        engine.close();
        engine.close(); // closing twice is harmless
        assertTrue(capture.warnings.isEmpty(), capture.warnings.toString());
        assertEquals(new Device(true, 3), Device.parse(" CUDA:3 "));
        for (String bad : new String[] {"gpu", "cuda:", "cuda:-1", "cuda:x", ""}) {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> EngineOptions.defaults().withDevice(bad, false), bad);
            assertTrue(e.getMessage().contains("cpu, cuda or cuda:N"), e.getMessage());
        }
    }

    private static org.apache.logging.log4j.core.Logger logger() {
        return ((LoggerContext) LogManager.getContext(false)).getLogger(SessionFactory.class.getName());
    }

    /** Collects WARN-and-above messages of one logger. */
    private static final class Capture extends AbstractAppender {
        private final List<String> warnings = new CopyOnWriteArrayList<>();

        Capture() {
            super("capture", null, null, true, Property.EMPTY_ARRAY);
        }

        @Override
        public void append(final LogEvent event) {
            if (event.getLevel().isMoreSpecificThan(Level.WARN)) {
                warnings.add(event.getMessage().getFormattedMessage());
            }
        }
    }
}
