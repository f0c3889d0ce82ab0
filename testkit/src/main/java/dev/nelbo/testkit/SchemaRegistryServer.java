package dev.nelbo.testkit;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real schema registry for integration tests: Hortonworks Schema Registry (in-memory storage), whose
 * Confluent-compatible API lives under {@code /api/v1/confluent}, run in its own JVM from the classpath the
 * {@code schema-registry-server} module resolves from Maven Central (system property
 * {@code nelbo.schema.registry.classpath}, set by the root pom). Its own JVM keeps its libraries off the tests'
 * classpath. {@link #shared()} starts one per test JVM, as {@link SharedBroker} does the broker; a test that stops the
 * registry starts its own with {@link #start(int)}.
 */
public final class SchemaRegistryServer implements AutoCloseable {

    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*(\\d+)");
    private static volatile SchemaRegistryServer shared;

    private final Process process;
    private final int port;
    private final Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private SchemaRegistryServer(final Process process, final int port, final Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    /** @return the registry shared by this JVM's tests, started on first use */
    public static SchemaRegistryServer shared() {
        SchemaRegistryServer s = shared;
        if (s == null) {
            synchronized (SchemaRegistryServer.class) {
                s = shared;
                if (s == null) {
                    s = start(0);
                    shared = s;
                    final SchemaRegistryServer toClose = s;
                    Runtime.getRuntime().addShutdownHook(new Thread(toClose::close, "schema-registry-close"));
                }
            }
        }
        return s;
    }

    /**
     * Starts a registry of its own (empty: its storage is in memory).
     *
     * @param port the port to listen on, or 0 for a free one
     * @return the running registry, answering requests
     */
    public static SchemaRegistryServer start(final int port) {
        final String classpathFile = System.getProperty("nelbo.schema.registry.classpath");
        try {
            if (classpathFile == null || !Files.isRegularFile(Path.of(classpathFile))) {
                throw new IllegalStateException("no schema registry classpath at " + classpathFile + ": build the"
                        + " schema-registry-server module first (mvn -pl schema-registry-server install)");
            }
            final int appPort = port == 0 ? freePort() : port;
            final Path dir = Files.createTempDirectory("schema-registry");
            final Path config = dir.resolve("registry.yaml");
            Files.writeString(config, config(Path.of(classpathFile), appPort, dir.resolve("jars")), StandardCharsets.UTF_8);
            final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            final Process process = new ProcessBuilder(List.of(java.toString(), "-Xmx256m", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1", "-cp", Files.readString(Path.of(classpathFile)).strip(),
                    "com.hortonworks.registries.webservice.RegistryApplication", "server", config.toString()))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
            final SchemaRegistryServer server = new SchemaRegistryServer(process, appPort, dir);
            server.awaitReady(Duration.ofSeconds(90));
            return server;
        } catch (final IOException e) {
            throw new IllegalStateException("cannot start the schema registry: " + e.getMessage(), e);
        }
    }

    /** The registry's configuration: the module's template ({@code schema-registry-server/registry.yaml}) filled in. */
    private static String config(final Path classpathFile, final int port, final Path jars) throws IOException {
        final Path template = classpathFile.toAbsolutePath().getParent().getParent().resolve("registry.yaml");
        return Files.readString(template, StandardCharsets.UTF_8).replace("@PORT@", Integer.toString(port))
                .replace("@JARS@", jars.toString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private void awaitReady(final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the schema registry exited with " + process.exitValue() + ": " + logTail());
            }
            try {
                if (send(HttpRequest.newBuilder(URI.create(url() + "/subjects")).GET()).statusCode() == 200) {
                    return;
                }
            } catch (final IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                close();
                throw new IllegalStateException("the schema registry did not answer within " + timeout + ": " + logTail());
            }
            try {
                Thread.sleep(200);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private String logTail() {
        try {
            final String log = Files.readString(dir.resolve("registry.log"), StandardCharsets.UTF_8);
            return log.substring(Math.max(0, log.length() - 2000));
        } catch (final IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** @return the base URL of the Confluent-compatible API */
    public String url() {
        return "http://127.0.0.1:" + port + "/api/v1/confluent";
    }

    /** @return the port it listens on */
    public int port() {
        return port;
    }

    /**
     * Registers an Avro schema under a subject, as a producer's serializer does.
     *
     * @param subject    e.g. {@code events-value}
     * @param schemaJson the schema's text
     * @return the id records written with it carry
     */
    public int register(final String subject, final String schemaJson) {
        final String body = "{\"schema\":" + quote(schemaJson) + "}";
        try {
            final HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(url() + "/subjects/" + subject + "/versions"))
                    .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)));
            final Matcher m = ID.matcher(r.body());
            if (r.statusCode() != 200 || !m.find()) {
                throw new IllegalStateException("the schema registry refused the schema: HTTP " + r.statusCode() + " " + r.body());
            }
            return Integer.parseInt(m.group(1));
        } catch (final IOException e) {
            throw new IllegalStateException("cannot register a schema: " + e.getMessage(), e);
        }
    }

    private HttpResponse<String> send(final HttpRequest.Builder request) throws IOException {
        try {
            return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static String quote(final String s) {
        final StringBuilder b = new StringBuilder("\"");
        for (final char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> b.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return b.append('"').toString();
    }

    /** Stops the registry (its schemas are gone with it). */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(Duration.ofSeconds(10).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
