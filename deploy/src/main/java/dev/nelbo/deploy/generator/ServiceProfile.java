package dev.nelbo.deploy.generator;

import java.util.List;

/**
 * How one service behaves under normal conditions.
 *
 * @param name service name
 * @param trafficShare fraction of all requests this service receives
 * @param peakRps request rate at the daily peak
 * @param medianLatencyMs median latency of an uncached GET at low load
 * @param methods HTTP methods with their relative weights
 * @param cacheHitRate probability a GET is served from cache
 * @param medianWriteBytes median request body of POST/PUT
 * @param medianResponseBytes median response body of a successful GET
 * @param clientErrorRate probability of a 4xx
 */
public record ServiceProfile(
        String name,
        double trafficShare,
        double peakRps,
        double medianLatencyMs,
        List<Weighted<String>> methods,
        double cacheHitRate,
        double medianWriteBytes,
        double medianResponseBytes,
        double clientErrorRate) {

    /**
     * A value with a relative weight.
     *
     * @param value the value
     * @param weight its relative weight, positive
     * @param <T> value type
     */
    public record Weighted<T>(T value, double weight) {
    }
}
