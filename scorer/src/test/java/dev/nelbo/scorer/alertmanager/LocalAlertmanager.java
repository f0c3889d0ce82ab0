package dev.nelbo.scorer.alertmanager;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.testkit.ExternalTool;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus Alertmanager (Debian's prometheus-alertmanager) on a port of its own, clustering off, routing every
 * alert to its own group (grouped by the alert's identity labels) and notifying a webhook; restartable on the same port
 * and storage.
 */
final class LocalAlertmanager implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Path binary;
    private final Path dir;
    private final int port;
    private Process process;

    private LocalAlertmanager(final Path binary, final Path dir, final int port) {
        this.binary = binary;
        this.dir = dir;
        this.port = port;
    }

    /** @return the binary: prometheus-alertmanager (Debian's name) or alertmanager, if installed */
    static Optional<Path> binary() {
        return ExternalTool.find("prometheus-alertmanager").or(() -> ExternalTool.find("alertmanager"));
    }

    /**
     * @param binary  the executable
     * @param dir     working folder (config, storage, log)
     * @param webhook where notifications go
     * @return the running Alertmanager
     * @throws IOException when it does not become ready within 30 s
     */
    static LocalAlertmanager start(final Path binary, final Path dir, final String webhook) throws IOException {
        Files.writeString(dir.resolve("alertmanager.yml"), """
                route:
                  receiver: hook
                  group_by: [alertname, kind, key, event_id, last_seen]
                  group_wait: 100ms
                  group_interval: 1s
                  repeat_interval: 24h
                receivers:
                  - name: hook
                    webhook_configs:
                      - url: %s
                        send_resolved: false
                """.formatted(webhook), StandardCharsets.UTF_8);
        final LocalAlertmanager am = new LocalAlertmanager(binary, dir, freePort());
        am.start();
        return am;
    }

    /** Starts (again) on the same port and storage. */
    void start() throws IOException {
        final Path log = dir.resolve("alertmanager.log");
        process = new ProcessBuilder(List.of(binary.toString(), "--config.file=" + dir.resolve("alertmanager.yml"),
                "--storage.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                "--cluster.listen-address=")).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!ready()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                stop();
                throw new IOException("alertmanager did not become ready:\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            sleep(100);
        }
    }

    /** @return its base URL */
    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** @return the alerts it holds, active, silenced and inhibited ({@code GET /api/v2/alerts}) */
    JsonNode alerts() throws IOException, InterruptedException {
        return Json.DOCUMENTS.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/api/v2/alerts")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    /**
     * Silences alerts whose label equals a value for an hour ({@code POST /api/v2/silences}).
     *
     * @return its id
     */
    String silence(final String label, final String value) throws IOException, InterruptedException {
        final long now = System.currentTimeMillis();
        final String body = """
                {"matchers":[{"name":"%s","value":"%s","isRegex":false,"isEqual":true}],"startsAt":"%s","endsAt":"%s",
                 "createdBy":"nelbo test","comment":"maintenance"}""".formatted(label, value,
                java.time.Instant.ofEpochMilli(now - 1000), java.time.Instant.ofEpochMilli(now + 3_600_000));
        final HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/api/v2/silences"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("silence refused: HTTP " + r.statusCode() + " " + r.body());
        }
        return Json.DOCUMENTS.readTree(r.body()).path("silenceID").asText();
    }

    private boolean ready() {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/-/ready")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (final IOException e) {
            return false;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops it (SIGTERM), as an outage. */
    void stop() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        stop();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
