package dev.nelbo.scorer.app;

import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.testkit.TestScorers;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The start-up steps wait for the cluster (each up to a minute); meanwhile {@code /healthz} answers, so a pod's startup
 * probe does not kill a scorer that is only waiting, and {@code /readyz} says it is starting. A start that fails
 * closes the endpoint again.
 */
class StartupIntegrationTest {

    @Test
    void the_health_endpoint_answers_while_start_up_waits_for_an_unreachable_cluster() throws Exception {
        final int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        final Map<String, String> settings = TestScorers.settings("startup-app", Topics.defaults(), null, Map.of(
                "bootstrap.servers", "127.0.0.1:1", "nelbo.metrics.port", Integer.toString(port),
                "nelbo.metrics.bind.address", "127.0.0.1"));
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread starting = new Thread(() -> {
            try (ScorerService ignored = ScorerService.start(TestScorers.config(settings), new PrometheusRegistry(), false)) {
                failure.set(new AssertionError("started without a cluster"));
            } catch (final Throwable e) {
                failure.set(e);
            }
        }, "scorer-start");
        starting.start();
        final HttpClient http = HttpClient.newHttpClient();
        final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        HttpResponse<String> health = null;
        while (health == null && System.nanoTime() < deadline) {
            try {
                health = get(http, port, "/healthz");
            } catch (final ConnectException e) {
                Thread.sleep(50);
            }
        }
        assertTrue(health != null, "/healthz never answered during start-up");
        assertEquals(200, health.statusCode());
        final HttpResponse<String> ready = get(http, port, "/readyz");
        assertEquals(503, ready.statusCode());
        assertTrue(ready.body().contains("starting"), ready.body());
        assertTrue(starting.isAlive(), "still waiting for the cluster");
        starting.interrupt();
        starting.join(30_000);
        assertFalse(starting.isAlive());
        assertInstanceOf(IllegalStateException.class, failure.get(), String.valueOf(failure.get()));
        assertThrows(ConnectException.class, () -> get(http, port, "/healthz"), "the failed start closed the endpoint");
    }

    private static HttpResponse<String> get(final HttpClient http, final int port, final String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5))
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
