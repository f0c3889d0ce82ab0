package dev.nelbo.deploy.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A minimal client for Prometheus' HTTP query API ({@code /api/v1/query}). */
public final class PrometheusClient {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final URI base;
    private final HttpClient http;

    /**
     * Result of an instant query.
     *
     * @param ok true when Prometheus answered status "success"
     * @param resultType vector, matrix, scalar or string (empty on error)
     * @param series number of series (vector/matrix) or 1 for a scalar/string
     * @param error Prometheus' error message, or the transport error, empty when ok
     */
    public record Result(boolean ok, String resultType, int series, String error) {

        /** @return true when the query succeeded and returned at least one series */
        public boolean hasData() {
            return ok && series > 0;
        }
    }

    /**
     * @param baseUrl e.g. http://127.0.0.1:9090
     */
    public PrometheusClient(final String baseUrl) {
        this.base = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    /**
     * Runs an instant query at the current time.
     *
     * @param promql the query
     * @return the outcome; transport problems are reported in {@link Result#error()}, not thrown
     */
    public Result query(final String promql) {
        final URI uri = base.resolve("api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        final HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (final IOException e) {
            return new Result(false, "", 0, "cannot reach Prometheus at " + base + ": " + e.getMessage());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(false, "", 0, "interrupted");
        }
        final JsonNode body;
        try {
            body = MAPPER.readTree(response.body());
        } catch (final IOException e) {
            return new Result(false, "", 0, "HTTP " + response.statusCode() + ", not JSON: " + e.getMessage());
        }
        if (!"success".equals(body.path("status").asText())) {
            return new Result(false, "", 0, body.path("errorType").asText("error") + ": " + body.path("error").asText("HTTP " + response.statusCode()));
        }
        final JsonNode data = body.path("data");
        final String type = data.path("resultType").asText();
        final int series = "vector".equals(type) || "matrix".equals(type) ? data.path("result").size() : 1;
        return new Result(true, type, series, "");
    }

    /**
     * @return true when Prometheus reports itself ready ({@code /-/ready} answers 200)
     */
    public boolean ready() {
        try {
            return http.send(HttpRequest.newBuilder(base.resolve("-/ready")).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (final IOException e) {
            return false;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
