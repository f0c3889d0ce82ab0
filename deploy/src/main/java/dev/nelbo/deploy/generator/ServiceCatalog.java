package dev.nelbo.deploy.generator;

import dev.nelbo.deploy.generator.ServiceProfile.Weighted;
import java.util.List;

/**
 * The services, regions and methods of the simulated platform, and the values normal traffic never uses.
 */
public final class ServiceCatalog {

    /** Services of a small online shop, with distinct latency, payload and method profiles. */
    public static final List<ServiceProfile> SERVICES = List.of(
            new ServiceProfile("search", 0.24, 900, 45, List.of(w("GET", 0.97), w("POST", 0.03)), 0.35, 2_500, 18_000, 0.02),
            new ServiceProfile("catalog", 0.20, 750, 30, List.of(w("GET", 0.90), w("PUT", 0.06), w("POST", 0.04)), 0.60, 6_000, 9_000, 0.015),
            new ServiceProfile("auth", 0.15, 560, 25, List.of(w("POST", 0.80), w("GET", 0.20)), 0.10, 700, 1_200, 0.07),
            new ServiceProfile("cart", 0.12, 450, 20, List.of(w("GET", 0.50), w("POST", 0.30), w("DELETE", 0.20)), 0.20, 1_200, 2_500, 0.02),
            new ServiceProfile("recommendations", 0.10, 380, 80, List.of(w("GET", 1.0)), 0.45, 1_000, 6_000, 0.01),
            new ServiceProfile("checkout", 0.08, 300, 120, List.of(w("POST", 0.70), w("GET", 0.30)), 0.05, 3_500, 1_800, 0.03),
            new ServiceProfile("media", 0.06, 220, 60, List.of(w("GET", 0.95), w("PUT", 0.05)), 0.75, 400_000, 250_000, 0.01),
            new ServiceProfile("payments", 0.05, 180, 250, List.of(w("POST", 0.90), w("GET", 0.10)), 0.0, 1_500, 900, 0.025));

    /** Regions with their share of traffic; latency differs a little by region (hardware generation). */
    public static final List<Weighted<String>> REGIONS = List.of(
            w("us-east-1", 0.45), w("eu-west-1", 0.35), w("ap-southeast-1", 0.20));

    /** Methods, status classes and regions normal traffic never produces; rare-category anomalies use them. */
    public static final List<String> RARE_METHODS = List.of("TRACE", "PATCH");
    /** @see #RARE_METHODS */
    public static final List<String> RARE_REGIONS = List.of("af-south-1", "me-central-1");
    /** @see #RARE_METHODS */
    public static final List<String> RARE_STATUS_CLASSES = List.of("1xx");

    private ServiceCatalog() {
    }

    static double regionLatencyFactor(final String region) {
        return switch (region) {
            case "eu-west-1" -> 1.1;
            case "ap-southeast-1" -> 1.3;
            default -> 1.0;
        };
    }

    static double methodLatencyFactor(final String method) {
        return switch (method) {
            case "POST" -> 1.6;
            case "PUT" -> 1.8;
            case "DELETE" -> 1.2;
            default -> 1.0;
        };
    }

    private static Weighted<String> w(final String value, final double weight) {
        return new Weighted<>(value, weight);
    }
}
