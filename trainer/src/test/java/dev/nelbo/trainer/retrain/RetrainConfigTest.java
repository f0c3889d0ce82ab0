package dev.nelbo.trainer.retrain;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetrainConfigTest {

    @TempDir
    Path dir;

    private static IllegalArgumentException refused(final Map<String, String> settings) {
        return assertThrows(IllegalArgumentException.class, () -> RetrainConfig.of(settings));
    }

    @Test
    void should_apply_defaults_and_resolve_the_window_to_now() {
        final RetrainConfig c = RetrainConfig.of(Map.of("bootstrap.servers", "k:9092"));
        assertEquals(Duration.ofDays(7), c.window());
        assertEquals("events", c.require(RetrainKey.TOPIC_EVENTS));
        assertTrue(c.excludeAlerted());
        assertFalse(c.publishAsShadow());
        assertEquals(new Gates(0.25, 0.01, 0.15, 200, 0.5, 0), c.gates(), "the documented defaults");
        assertTrue(c.useFeedback());
        assertEquals(10, c.falsePositiveCopies());
        final RetrainWindow w = c.resolveWindow(Instant.parse("2026-11-21T12:00:00.750Z"));
        assertEquals(Instant.parse("2026-11-21T12:00:00Z"), w.end(), "whole seconds, so a rerun can name the end");
        assertEquals(Instant.parse("2026-11-14T12:00:00Z"), w.start());
        assertEquals(Instant.parse("2026-11-20T19:12:00Z"), w.holdoutStart(), "last 10% of the window");
        assertEquals(Map.of("bootstrap.servers", "k:9092"), c.clientProperties());
    }

    @Test
    void should_let_flags_win_over_the_environment_and_the_environment_over_the_file() throws Exception {
        final Path file = dir.resolve("retrain.properties");
        Files.writeString(file, "bootstrap.servers=file:9092\nnelbo.retrain.window=3d\nnelbo.retrain.max.rows=10\n"
                + "security.protocol=SSL\n");
        final RetrainConfig c = RetrainConfig.load(file,
                Map.of("NELBO_RETRAIN_WINDOW", "2d", "NELBO_KAFKA_BOOTSTRAP_SERVERS", "env:9092", "NELBO_METRICS_PORT", "1", "PATH", "/bin"),
                Map.of("nelbo.retrain.window", "12h", "nelbo.retrain.window.end", "2026-11-21T00:00:00Z"));
        assertEquals(Duration.ofHours(12), c.window());
        assertEquals("env:9092", c.clientProperties().get("bootstrap.servers"));
        assertEquals("SSL", c.clientProperties().get("security.protocol"), "Kafka client keys pass through");
        assertEquals(new BottomKSample.Bounds(10, 256L << 20, 1), c.trainBounds(), "a tenth of 10 rows per key");
        assertEquals(Instant.parse("2026-11-21T00:00:00Z"), c.resolveWindow(Instant.now()).end());
    }

    @Test
    void should_name_the_key_of_an_unknown_or_bad_setting() {
        assertTrue(refused(Map.of("bootstrap.servers", "k", "nelbo.retrain.windw", "7d")).getMessage()
                .contains("'nelbo.retrain.windw'"));
        assertTrue(refused(Map.of("bootstrap.servers", "k", "linger.mss", "5")).getMessage().contains("'linger.mss'"));
        assertTrue(refused(Map.of()).getMessage().contains("bootstrap.servers"));
        assertTrue(refused(Map.of("bootstrap.servers", "k", "nelbo.retrain.gate.max.false.positive.reflag", "1.5"))
                .getMessage().contains("must be in [0, 1]"));
        assertTrue(refused(Map.of("bootstrap.servers", "k", "nelbo.retrain.feedback.false.positive.copies", "-1"))
                .getMessage().contains("nelbo.retrain.feedback.false.positive.copies"));
        assertTrue(refused(Map.of("bootstrap.servers", "k", "nelbo.retrain.window", "7 days")).getMessage()
                .contains("nelbo.retrain.window"));
        assertTrue(refused(Map.of("bootstrap.servers", "k", "nelbo.retrain.window.end", "yesterday")).getMessage()
                .contains("nelbo.retrain.window.end"));
        assertTrue(refused(Map.of("bootstrap.servers", "k", "nelbo.retrain.holdout.fraction", "1.5")).getMessage()
                .contains("nelbo.retrain.holdout.fraction"));
        assertTrue(refused(Map.of("bootstrap.servers", "k", "nelbo.retrain.max.key.share", "0")).getMessage()
                .contains("nelbo.retrain.max.key.share"));
        assertTrue(refused(Map.of("bootstrap.servers", "k", "nelbo.retrain.max.bytes", "0")).getMessage()
                .contains("nelbo.retrain.max.bytes"));
        assertTrue(refused(Map.of("bootstrap.servers", "k", "nelbo.retrain.publish.as", "live")).getMessage()
                .contains("nelbo.retrain.publish.as"));
        assertTrue(refused(Map.of("bootstrap.servers", "k", "nelbo.retrain.exclude.alerted", "yes")).getMessage()
                .contains("nelbo.retrain.exclude.alerted"));
        assertTrue(refused(Map.of("bootstrap.servers", "k", "nelbo.retrain.max.rows", "0")).getMessage()
                .contains("nelbo.retrain.max.rows"));
        assertTrue(refused(Map.of("bootstrap.servers", "k", "nelbo.retrain.gate.max.alert.rate", "0")).getMessage()
                .contains("gate"));
        assertThrows(IllegalArgumentException.class, () -> RetrainConfig.load(dir.resolve("missing.properties"), Map.of(), Map.of()));
        assertThrows(IllegalArgumentException.class,
                () -> RetrainConfig.load(null, Map.of("NELBO_KAFKA_NOT_A_KEY", "x"), Map.of("bootstrap.servers", "k")));
    }

    @Test
    void the_kubernetes_cronjob_config_holds_only_known_valid_keys() throws Exception {
        final Path configMap = Path.of("..", "deploy", "k8s", "base", "retrain-configmap.yaml");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(configMap), "no deploy/k8s in this checkout");
        // the properties block of the ConfigMap: the indented lines after "retrain.properties: |"
        final StringBuilder props = new StringBuilder();
        boolean inBlock = false;
        for (final String line : Files.readAllLines(configMap)) {
            if (line.trim().startsWith("retrain.properties: |")) {
                inBlock = true;
            } else if (inBlock && (line.startsWith("    ") || line.isBlank())) {
                props.append(line.strip()).append('\n');
            } else if (inBlock) {
                break;
            }
        }
        final Path file = dir.resolve("cronjob.properties");
        Files.writeString(file, props);
        final RetrainConfig c = RetrainConfig.load(file, Map.of(), Map.of());
        assertEquals(Duration.ofDays(7), c.window());
        assertTrue(c.workDir().isPresent());
    }
}
