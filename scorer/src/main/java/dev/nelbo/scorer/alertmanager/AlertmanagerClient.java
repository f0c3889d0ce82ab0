package dev.nelbo.scorer.alertmanager;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.nelbo.schemas.json.Json;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** Posts alerts to one Alertmanager instance's API ({@code POST /api/v2/alerts}). */
final class AlertmanagerClient {

    /** What one request came to. */
    enum Outcome {
        /** 2xx: Alertmanager holds the alerts. */
        ACCEPTED,
        /** 400: Alertmanager refused the content; sending it again cannot help. */
        REFUSED,
        /** Anything else (unreachable, timeout, 5xx, 401, 403, 429): worth retrying. */
        FAILED
    }

    /**
     * @param outcome what came of it
     * @param detail  the status and Alertmanager's message, or the I/O error (for the log)
     */
    record Result(Outcome outcome, String detail) {
    }

    private final HttpClient http;
    private final URI endpoint;
    private final Duration timeout;
    private final Optional<String> authorization;

    /**
     * @param http          shared HTTP client
     * @param base          the instance's base URL
     * @param timeout       longest wait for the response
     * @param authorization the Authorization header's value, if any
     */
    AlertmanagerClient(final HttpClient http, final URI base, final Duration timeout, final Optional<String> authorization) {
        this.http = http;
        this.endpoint = URI.create(base + "/api/v2/alerts");
        this.timeout = timeout;
        this.authorization = authorization;
    }

    /** @return the instance, for logs and metric labels: scheme, host and port, never credentials */
    String name() {
        return endpoint.getScheme() + "://" + endpoint.getHost() + (endpoint.getPort() < 0 ? "" : ":" + endpoint.getPort());
    }

    /**
     * @param alerts Alertmanager alerts
     * @return what came of sending them
     * @throws InterruptedException when interrupted while waiting
     */
    Result post(final ArrayNode alerts) throws InterruptedException {
        final HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).timeout(timeout)
                .header("Content-Type", "application/json");
        authorization.ifPresent(a -> request.header("Authorization", a));
        try {
            final HttpResponse<String> response = http.send(request.POST(HttpRequest.BodyPublishers.ofByteArray(
                    Json.DOCUMENTS.writeValueAsBytes(alerts))).build(), HttpResponse.BodyHandlers.ofString());
            final int status = response.statusCode();
            final String detail = "HTTP " + status + (response.body().isBlank() ? "" : ": "
                    + AlertmanagerAlert.cut(response.body().strip(), 300));
            return new Result(status / 100 == 2 ? Outcome.ACCEPTED : status == 400 ? Outcome.REFUSED : Outcome.FAILED, detail);
        } catch (final IOException e) {
            return new Result(Outcome.FAILED, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
    }
}
