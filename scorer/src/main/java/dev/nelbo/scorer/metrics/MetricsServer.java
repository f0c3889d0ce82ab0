package dev.nelbo.scorer.metrics;

import com.sun.net.httpserver.HttpExchange;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The operations endpoint: {@code /metrics} (Prometheus), {@code /healthz} (alive) and {@code /readyz} (taking
 * traffic; when not, the body says why, e.g. that no model has been published yet).
 */
public final class MetricsServer implements AutoCloseable {

    private final HTTPServer server;

    private MetricsServer(final HTTPServer server) {
        this.server = server;
    }

    /**
     * Starts the endpoint.
     *
     * @param address  address to bind (a host name or IP literal; 0.0.0.0 for every interface)
     * @param port     port, 0 for any free port
     * @param registry metrics to expose
     * @param alive    liveness check for {@code /healthz}
     * @param ready    readiness (and its reason) for {@code /readyz}
     * @return the running server
     * @throws UncheckedIOException when the port cannot be bound
     */
    public static MetricsServer start(final String address, final int port, final PrometheusRegistry registry,
                                      final BooleanSupplier alive, final Supplier<Readiness> ready) {
        try {
            return new MetricsServer(HTTPServer.builder().hostname(address).port(port).registry(registry)
                    .defaultHandler(exchange -> handle(exchange, alive, ready)).buildAndStart());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot open the metrics endpoint on " + address + ":" + port + ": "
                    + e.getMessage(), e);
        }
    }

    /** Every path other than /metrics lands here (the exporter routes "/" to the default handler). */
    private static void handle(final HttpExchange exchange, final BooleanSupplier alive, final Supplier<Readiness> ready)
            throws IOException {
        final String path = exchange.getRequestURI().getPath();
        final int status;
        final String body;
        switch (path) {
            case "/healthz" -> {
                final boolean ok = alive.getAsBoolean();
                status = ok ? 200 : 503;
                body = ok ? "ok\n" : "not alive\n";
            }
            case "/readyz" -> {
                final Readiness r = ready.get();
                status = r.ready() ? 200 : 503;
                body = r.ready() ? "ready\n" : "not ready (" + r.code() + "): " + r.reason() + "\n";
            }
            default -> {
                status = 404;
                body = "not found; try /metrics, /healthz or /readyz\n";
            }
        }
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** @return the bound port */
    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.close();
    }
}
