package dev.nelbo.deploy;

import dev.nelbo.testkit.ExternalTool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The demo end to end, with the live dashboard check: a real broker, the trainer, the scorer fed by the
 * generator, and a real Prometheus scraping it, asserting that every Grafana panel query returns data.
 * Runs in the integration-test phase (it needs the packaged jars) and skips with a message when the
 * trainer or scorer jar, the prometheus binary or curl is missing.
 */
class DemoIT {

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void demo_scores_live_events_reports_precision_recall_and_every_panel_query_has_data() throws Exception {
        assumeTrue(ExternalTool.find("prometheus").isPresent(), "prometheus binary not on PATH (Debian package 'prometheus'): "
                + "demo and live dashboard check NOT run");
        // with Alertmanager installed (CI installs it), the demo also delivers its alerts through the shipped bridge
        final boolean alertmanager = ExternalTool.find("prometheus-alertmanager").isPresent();
        final List<String> args = new java.util.ArrayList<>(List.of("--duration", "30", "--rate", "200", "--train-events",
                "10000", "--check-dashboard"));
        if (alertmanager) {
            args.add("--alertmanager");
        }
        final String output = demo(args, 170);
        assertTrue(output.contains("precision "), output);
        assertTrue(output.matches("(?s).*\\b(\\d+) of \\1 panel queries returned data.*"), output);
        if (alertmanager) {
            assertTrue(output.matches("(?s).*Alertmanager holds ([1-9]\\d*) alerts of the \\1 the scorer wrote.*"), output);
        }
    }

    @Test
    void the_demo_in_avro_through_a_real_schema_registry_scores_the_live_events_and_dead_letters_unframed_ones()
            throws Exception {
        // a short run: what differs from the JSON demo is the wire format, not the model
        final String output = demo(List.of("--duration", "10", "--rate", "200", "--train-events", "3000", "--epochs", "15",
                "--avro-registry"), 150);
        assertTrue(output.contains("live events go as Avro records of deploy/demo/events.avsc"), output);
        // the generator's one schema, fetched once by the scorer; the three JSON records are not framed
        assertTrue(output.contains("nelbo_schema_registry_requests_total{outcome=\"found\"} 1.0"), output);
        assertTrue(output.contains("nelbo_records_dead_lettered_total{reason=\"malformed\"} 3.0"), output);
        assertTrue(output.matches("(?s).*nelbo_records_scored_total \\d{4}.*"), output);
        assertTrue(output.contains("precision "), output);
    }

    /** Runs deploy/demo.sh with free ports and returns its output, asserting it finished, succeeded and cleaned up. */
    private static String demo(final List<String> args, final int timeoutSeconds) throws Exception {
        final Path deploy = DeployFiles.root();
        final Path repo = deploy.getParent();
        for (final String jar : List.of("trainer/target/nelbo-trainer.jar", "scorer/target/nelbo-scorer.jar", "deploy/target/nelbo-tools.jar")) {
            assumeTrue(Files.isRegularFile(repo.resolve(jar)), jar + " not built (run mvn verify/package first): demo NOT run");
        }
        assumeTrue(ExternalTool.find("curl").isPresent(), "curl not on PATH: demo NOT run");
        final List<String> command = new java.util.ArrayList<>(List.of("bash", deploy.resolve("demo.sh").toString()));
        command.addAll(args);
        final Path log = Files.createTempFile("demo-", ".log");
        final ProcessBuilder builder = new ProcessBuilder(command)
                .directory(repo.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        final Map<String, String> env = builder.environment();
        for (final String port : List.of("DEMO_KAFKA_PORT", "DEMO_KAFKA_CONTROLLER_PORT", "DEMO_METRICS_PORT",
                "DEMO_PROMETHEUS_PORT", "DEMO_ALERTMANAGER_PORT", "DEMO_BRIDGE_METRICS_PORT", "DEMO_SCHEMA_REGISTRY_PORT")) {
            env.put(port, Integer.toString(freePort()));
        }
        final Process demo = builder.start();
        final boolean finished = demo.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!finished) {
            // SIGTERM lets the demo's trap stop the broker, scorer and Prometheus.
            demo.destroy();
            demo.waitFor(60, TimeUnit.SECONDS);
        }
        final String output = Files.readString(log);
        Files.deleteIfExists(log);
        assertTrue(finished, "demo did not finish within " + timeoutSeconds + " s:\n" + output);
        assertEquals(0, demo.exitValue(), output);
        assertFalse(Files.exists(deploy.resolve(".run/demo")), "demo left its run folder behind");
        return output;
    }
}
