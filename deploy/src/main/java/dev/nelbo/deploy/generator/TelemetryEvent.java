package dev.nelbo.deploy.generator;

import java.time.Instant;

/**
 * One service request as a telemetry pipeline would report it.
 *
 * @param eventId unique id, stable for a given seed
 * @param timestamp when the request finished
 * @param service the service that handled it
 * @param host the service instance that handled it (the entity of history features)
 * @param method HTTP method
 * @param region serving region
 * @param statusClass "2xx", "3xx", "4xx" or "5xx" (anomalies may use others)
 * @param latencyMs server-side latency in milliseconds
 * @param requestBytes request payload size
 * @param responseBytes response payload size
 * @param retried whether the client had to retry
 * @param cacheHit whether the response came from cache
 * @param serviceRps the service's request rate at that moment (follows the daily cycle)
 * @param hourOfDay UTC hour of the timestamp with fraction, 0 (incl.) to 24 (excl.)
 */
public record TelemetryEvent(
        String eventId,
        Instant timestamp,
        String service,
        String host,
        String method,
        String region,
        String statusClass,
        double latencyMs,
        long requestBytes,
        long responseBytes,
        boolean retried,
        boolean cacheHit,
        double serviceRps,
        double hourOfDay) {
}
