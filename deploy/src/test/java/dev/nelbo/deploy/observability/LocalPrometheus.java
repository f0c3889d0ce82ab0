package dev.nelbo.deploy.observability;

import dev.nelbo.testkit.ExternalTool;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** A real Prometheus server (Debian's prometheus binary) on a free port, stopped on close. */
final class LocalPrometheus implements AutoCloseable {

    private final Process process;
    private final String url;
    private final Path log;

    private LocalPrometheus(final Process process, final String url, final Path log) {
        this.process = process;
        this.url = url;
        this.log = log;
    }

    /** @return the prometheus binary, if installed */
    static Optional<Path> binary() {
        return ExternalTool.find("prometheus");
    }

    /**
     * Starts Prometheus scraping the given targets every second and waits until it is ready.
     *
     * @param binary the prometheus executable
     * @param dir working folder for config, TSDB and log
     * @param scrapeConfigs YAML list items under scrape_configs (already indented by 2)
     * @return the running server
     * @throws IOException when it cannot be started or does not become ready within 30 s
     */
    static LocalPrometheus start(final Path binary, final Path dir, final String scrapeConfigs) throws IOException {
        final int port = freePort();
        final Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n" + scrapeConfigs
                .replace("${PORT}", Integer.toString(port)), StandardCharsets.UTF_8);
        final Path log = dir.resolve("prometheus.log");
        final Process process = new ProcessBuilder(List.of(binary.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port))
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        final LocalPrometheus prometheus = new LocalPrometheus(process, "http://127.0.0.1:" + port, log);
        final PrometheusClient client = new PrometheusClient(prometheus.url());
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!client.ready()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                final String output = Files.readString(log, StandardCharsets.UTF_8);
                prometheus.close();
                throw new IOException("prometheus did not become ready:\n" + output);
            }
            sleep(200);
        }
        return prometheus;
    }

    /** @return base URL of the HTTP API */
    String url() {
        return url;
    }

    /** @return port Prometheus listens on */
    int port() {
        return Integer.parseInt(url.substring(url.lastIndexOf(':') + 1));
    }

    /** @return the server's log so far */
    String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void sleep(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (final InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
