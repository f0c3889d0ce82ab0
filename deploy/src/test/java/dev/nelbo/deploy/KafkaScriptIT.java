package dev.nelbo.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/kafka.sh for real: start (topics, leaders), status, refusal to start twice or on a taken port,
 * and stop leaving no process behind. Integration-test phase: the script uses the packaged tools jar.
 */
class KafkaScriptIT {

    @TempDir
    Path dir;

    private record Result(int exitCode, String output) {
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private Result kafka(final Map<String, String> env, final String... args) throws Exception {
        final Path log = Files.createTempFile(dir, "kafka-sh-", ".log");
        final ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(List.of("bash",
                DeployFiles.resolve("kafka.sh").toString())));
        builder.command().addAll(List.of(args));
        builder.environment().putAll(env);
        final Process process = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "kafka.sh " + String.join(" ", args) + " hung");
        return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    @Test
    void starts_refuses_duplicates_and_taken_ports_and_stops_without_leftovers() throws Exception {
        assumeTrue(Files.isRegularFile(DeployFiles.resolve("target/nelbo-tools.jar")),
                "deploy/target/nelbo-tools.jar not built: kafka.sh NOT tested (runs in mvn verify)");
        final int port = freePort();
        final Map<String, String> env = Map.of("LOCAL_KAFKA_PORT", Integer.toString(port),
                "LOCAL_KAFKA_CONTROLLER_PORT", Integer.toString(freePort()),
                "LOCAL_KAFKA_DATA_DIR", dir.resolve("kafka").toString(), "LOCAL_KAFKA_PARTITIONS", "2");
        try {
            final Result start = kafka(env, "start");
            assertEquals(0, start.exitCode(), start.output());
            assertTrue(start.output().contains("broker running"), start.output());
            assertTrue(start.output().contains("created nelbo-models (1 partitions"), start.output());
            assertTrue(start.output().contains("every partition has a leader"), start.output());
            final long pid = Long.parseLong(Files.readString(dir.resolve("kafka/broker.pid")).strip());
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));

            assertEquals(0, kafka(env, "status").exitCode());
            final Result again = kafka(env, "start");
            assertEquals(3, again.exitCode(), again.output());
            assertTrue(again.output().contains("a broker is already running (pid " + pid + ")"), again.output());

            try (ServerSocket squatter = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                final Result taken = kafka(Map.of("LOCAL_KAFKA_PORT", Integer.toString(squatter.getLocalPort()),
                        "LOCAL_KAFKA_CONTROLLER_PORT", Integer.toString(freePort()),
                        "LOCAL_KAFKA_DATA_DIR", dir.resolve("other").toString()), "start");
                assertEquals(1, taken.exitCode(), taken.output());
                assertTrue(taken.output().contains("port " + squatter.getLocalPort() + " on 127.0.0.1 is already taken"), taken.output());
            }

            final Result stop = kafka(env, "stop");
            assertEquals(0, stop.exitCode(), stop.output());
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "broker still alive after stop");
            assertFalse(Files.exists(dir.resolve("kafka/broker.pid")));
            assertEquals(1, kafka(env, "status").exitCode());
        } finally {
            kafka(env, "stop");
        }
    }
}
