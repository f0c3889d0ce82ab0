package dev.nelbo.deploy.generator;

import dev.nelbo.deploy.generator.ServiceProfile.Weighted;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Generates service request telemetry with correlated fields, a daily traffic cycle and labelled planted
 * anomalies. The same seed and the same timestamps give the same events, ids and labels.
 *
 * <p>Correlations in normal traffic: latency grows with load (the daily cycle), with the method, the
 * region and the response size; cache hits are an order of magnitude faster; server errors rise steeply
 * at peak load, come with small responses and often with a retry; client errors are fast and small;
 * request bodies are large only for writes.
 */
public final class TelemetryGenerator {

    private static final String GET = "GET";
    /** Instances per service; each has its own latency level (see {@link #HOST_LEVELS}). */
    static final int HOSTS_PER_SERVICE = 6;
    /** Latency factor of each instance of a service: the levels hosts run at, 0.6x to 1.6x the service's. */
    private static final double[] HOST_LEVELS = {0.62, 0.79, 0.92, 1.08, 1.27, 1.62};
    /** Events of the shifted host that carry a level shift. */
    static final int SHIFT_EVENTS = 12;
    /** Events of the silenced host that go to another instance instead. */
    static final int SILENCE_EVENTS = 40;

    private final SplittableRandom random;
    private final double anomalyRate;
    private final List<AnomalyKind> kinds;
    private final String idPrefix;
    private long sequence;
    /** The host whose level is shifted, or null; its remaining shifted events and the factor. */
    private String shiftedHost;
    private int shiftLeft;
    private double shiftFactor;
    /** The shift under way: its host and first event. */
    private String shiftEpisode;
    /** The host that is silent, or null, and how many of its events are still sent elsewhere. */
    private String silencedHost;
    private int silentLeft;

    /**
     * @param seed random seed; equal seeds give equal streams
     * @param anomalyRate probability that an event carries a planted anomaly, in [0, 1]
     * @param kinds the anomaly kinds to plant, chosen uniformly; must not be empty when anomalyRate &gt; 0
     * @throws IllegalArgumentException for a rate outside [0, 1] or no kinds with a positive rate
     */
    public TelemetryGenerator(final long seed, final double anomalyRate, final Set<AnomalyKind> kinds) {
        if (!(anomalyRate >= 0 && anomalyRate <= 1)) {
            throw new IllegalArgumentException("anomaly rate must be between 0 and 1, got " + anomalyRate);
        }
        if (anomalyRate > 0 && kinds.isEmpty()) {
            throw new IllegalArgumentException("anomaly rate is " + anomalyRate + " but no anomaly kinds are enabled");
        }
        this.random = new SplittableRandom(seed);
        this.anomalyRate = anomalyRate;
        this.kinds = List.copyOf(kinds.isEmpty() ? EnumSet.noneOf(AnomalyKind.class) : EnumSet.copyOf(kinds));
        this.idPrefix = String.format("%08x", (int) (seed ^ (seed >>> 32)));
    }

    /**
     * @param timestamp when the request finished; drives the daily cycle
     * @return the next event and its label
     */
    public LabelledEvent next(final Instant timestamp) {
        final String eventId = idPrefix + "-" + String.format("%010d", sequence++);
        final TelemetryEvent normal = normalEvent(eventId, timestamp);
        if (normal.host().equals(shiftedHost)) {
            return levelShift(normal);
        }
        if (anomalyRate > 0 && random.nextDouble() < anomalyRate) {
            final AnomalyKind kind = kinds.get(random.nextInt(kinds.size()));
            if (kind == AnomalyKind.SILENCE) {
                if (silencedHost == null && !normal.host().equals(shiftedHost)) {
                    // this event is the host's last until SILENCE_EVENTS of its events have gone elsewhere
                    silencedHost = normal.host();
                    silentLeft = SILENCE_EVENTS;
                    return new LabelledEvent(normal, new Label(eventId, Optional.empty(), "", null,
                            new Label.Silence(normal.host(), timestamp)));
                }
                return new LabelledEvent(normal, new Label(eventId, Optional.empty(), ""));
            }
            if (kind != AnomalyKind.LEVEL_SHIFT) {
                return plant(kind, normal);
            }
            if (shiftedHost == null) {
                // one shift at a time: it starts at this event's host and lasts its next SHIFT_EVENTS events
                shiftedHost = normal.host();
                shiftLeft = SHIFT_EVENTS;
                shiftFactor = 4 + 2 * random.nextDouble();
                shiftEpisode = normal.host() + "@" + eventId;
                return levelShift(normal);
            }
        }
        return new LabelledEvent(normal, new Label(eventId, Optional.empty(), ""));
    }

    private TelemetryEvent normalEvent(final String eventId, final Instant timestamp) {
        final ServiceProfile service = pickService();
        int host = random.nextInt(HOSTS_PER_SERVICE);
        if (silencedHost != null && silencedHost.equals(service.name() + "-" + host)) {
            // the silent host's share goes to the next instance, as a load balancer would send it
            host = (host + 1) % HOSTS_PER_SERVICE;
            if (--silentLeft == 0) {
                silencedHost = null;
            }
        }
        final String region = pick(ServiceCatalog.REGIONS);
        final String method = pick(service.methods());
        final double hour = hourOfDay(timestamp);
        final double load = DailyCycle.load(hour);
        final double rps = service.peakRps() * load * logNormal(1, 0.07);
        final boolean cacheHit = GET.equals(method) && random.nextDouble() < service.cacheHitRate();
        final long requestBytes = requestBytes(service, method);
        final String status = statusClass(service, method, load, cacheHit);
        final long responseBytes = responseBytes(service, method, status);
        final double baseLatency = baseLatency(service, method, region, load) * HOST_LEVELS[host];
        final double latency = latency(baseLatency, status, cacheHit, responseBytes);
        final boolean retried = retried(status, latency, baseLatency);
        return new TelemetryEvent(eventId, timestamp, service.name(), service.name() + "-" + host, method, region, status,
                round(latency, 100), requestBytes, responseBytes, retried, cacheHit, round(rps, 10), round(hour, 1000));
    }

    private String statusClass(final ServiceProfile service, final String method, final double load, final boolean cacheHit) {
        final double serverError = cacheHit ? 0 : 0.002 + 0.03 * Math.pow(load, 4);
        final double redirect = GET.equals(method) ? 0.02 : 0;
        final double u = random.nextDouble();
        if (u < serverError) {
            return "5xx";
        }
        if (u < serverError + service.clientErrorRate()) {
            return "4xx";
        }
        if (u < serverError + service.clientErrorRate() + redirect) {
            return "3xx";
        }
        return "2xx";
    }

    private long requestBytes(final ServiceProfile service, final String method) {
        final boolean write = "POST".equals(method) || "PUT".equals(method);
        return Math.round(write ? logNormal(service.medianWriteBytes(), 0.5) : logNormal(300, 0.25));
    }

    private long responseBytes(final ServiceProfile service, final String method, final String status) {
        final double bytes = switch (status) {
            case "5xx" -> logNormal(220, 0.3);
            case "4xx" -> logNormal(180, 0.3);
            case "3xx" -> logNormal(250, 0.2);
            default -> switch (method) {
                case GET -> logNormal(service.medianResponseBytes(), 0.6);
                case "DELETE" -> logNormal(120, 0.2);
                default -> logNormal(600, 0.4);
            };
        };
        return Math.round(bytes);
    }

    private double baseLatency(final ServiceProfile service, final String method, final String region, final double load) {
        return service.medianLatencyMs() * ServiceCatalog.methodLatencyFactor(method)
                * ServiceCatalog.regionLatencyFactor(region) * (1 + 1.5 * load * load);
    }

    private double latency(final double base, final String status, final boolean cacheHit, final long responseBytes) {
        if (cacheHit) {
            return 0.5 + base * 0.12 * logNormal(1, 0.3);
        }
        final double transfer = responseBytes / 20_000.0;
        final double normal = base * logNormal(1, 0.3) + transfer;
        return switch (status) {
            // Timeouts dominate server errors: the upstream gave up after a long wait.
            case "5xx" -> random.nextDouble() < 0.6 ? normal * 6 : normal * 0.8;
            case "4xx" -> normal * 0.35;
            case "3xx" -> normal * 0.3;
            default -> normal;
        };
    }

    private boolean retried(final String status, final double latency, final double base) {
        final double p = "5xx".equals(status) ? 0.55 : latency > 4 * base ? 0.15 : 0.01;
        return random.nextDouble() < p;
    }

    private LabelledEvent plant(final AnomalyKind kind, final TelemetryEvent e) {
        final Planted planted = switch (kind) {
            case EXTREME_VALUE -> extremeValue(e);
            case BROKEN_CORRELATION -> brokenCorrelation(e);
            case RARE_CATEGORY -> rareCategory(e);
            case CONTEXTUAL -> contextual(e);
            case LEVEL_SHIFT, SILENCE -> throw new IllegalStateException(kind.label() + " spans events: see next()");
        };
        return new LabelledEvent(planted.event(), new Label(e.eventId(), Optional.of(kind), planted.detail()));
    }

    private Planted extremeValue(final TelemetryEvent e) {
        // Scaled from the service's typical (not this event's) value, so a cache hit or a 4xx also ends up extreme.
        final ServiceProfile service = profile(e.service());
        final double factor = 40 + random.nextDouble() * 160;
        return switch (random.nextInt(3)) {
            case 0 -> new Planted(copy(e, e.method(), e.region(), e.statusClass(),
                    round(Math.max(e.latencyMs(), service.medianLatencyMs()) * factor, 100), e.requestBytes(),
                    e.responseBytes(), e.retried(), false, e.serviceRps()),
                    "latency_ms x" + Math.round(factor));
            case 1 -> new Planted(copy(e, e.method(), e.region(), e.statusClass(), e.latencyMs(), e.requestBytes(),
                    Math.round(Math.max(e.responseBytes(), service.medianResponseBytes()) * factor), e.retried(),
                    e.cacheHit(), e.serviceRps()),
                    "response_bytes x" + Math.round(factor));
            default -> new Planted(copy(e, e.method(), e.region(), e.statusClass(), e.latencyMs(),
                    Math.round(Math.max(e.requestBytes(), service.medianWriteBytes()) * factor), e.responseBytes(),
                    e.retried(), e.cacheHit(), e.serviceRps()),
                    "request_bytes x" + Math.round(factor));
        };
    }

    private Planted brokenCorrelation(final TelemetryEvent e) {
        final ServiceProfile service = profile(e.service());
        final double base = baseLatency(service, GET, e.region(), DailyCycle.load(e.hourOfDay()));
        return switch (random.nextInt(3)) {
            // A cache hit as slow as a slow miss: each value is common, together they are not.
            case 0 -> new Planted(copy(e, GET, e.region(), "2xx", round(base * logNormal(2.5, 0.2), 100),
                    Math.round(logNormal(300, 0.25)), e.responseBytes(), false, true, e.serviceRps()),
                    "cache hit with uncached latency");
            // A GET carrying a write-sized body.
            case 1 -> new Planted(copy(e, GET, e.region(), "2xx", e.latencyMs(),
                    Math.round(logNormal(Math.max(service.medianWriteBytes(), 3_000), 0.3)), e.responseBytes(),
                    e.retried(), false, e.serviceRps()),
                    "GET with a write-sized request body");
            // A server error answered instantly with a full-size successful body and no retry.
            default -> new Planted(copy(e, GET, e.region(), "5xx", round(0.5 + base * 0.12, 100),
                    e.requestBytes(), Math.round(logNormal(service.medianResponseBytes(), 0.3)), false, false,
                    e.serviceRps()),
                    "fast 5xx with a full response body");
        };
    }

    private Planted rareCategory(final TelemetryEvent e) {
        return switch (random.nextInt(3)) {
            case 0 -> {
                final String method = ServiceCatalog.RARE_METHODS.get(random.nextInt(ServiceCatalog.RARE_METHODS.size()));
                yield new Planted(copy(e, method, e.region(), e.statusClass(), e.latencyMs(), e.requestBytes(),
                        e.responseBytes(), e.retried(), false, e.serviceRps()), "method " + method);
            }
            case 1 -> {
                final String region = ServiceCatalog.RARE_REGIONS.get(random.nextInt(ServiceCatalog.RARE_REGIONS.size()));
                yield new Planted(copy(e, e.method(), region, e.statusClass(), e.latencyMs(), e.requestBytes(),
                        e.responseBytes(), e.retried(), e.cacheHit(), e.serviceRps()), "region " + region);
            }
            default -> new Planted(copy(e, e.method(), e.region(), ServiceCatalog.RARE_STATUS_CLASSES.get(0),
                    e.latencyMs(), e.requestBytes(), e.responseBytes(), e.retried(), e.cacheHit(), e.serviceRps()),
                    "status_class 1xx");
        };
    }

    private Planted contextual(final TelemetryEvent e) {
        final double contrast = DailyCycle.contrastingHour(e.hourOfDay());
        final double rps = profile(e.service()).peakRps() * DailyCycle.load(contrast) * logNormal(1, 0.07);
        return new Planted(copy(e, e.method(), e.region(), e.statusClass(), e.latencyMs(), e.requestBytes(),
                e.responseBytes(), e.retried(), e.cacheHit(), round(rps, 10)),
                String.format("service_rps at the %02d:00 level at %02d:%02d", (int) contrast,
                        (int) e.hourOfDay(), (int) ((e.hourOfDay() % 1) * 60)));
    }

    private LabelledEvent levelShift(final TelemetryEvent e) {
        final int index = SHIFT_EVENTS - shiftLeft + 1;
        if (--shiftLeft == 0) {
            shiftedHost = null;
        }
        final TelemetryEvent shifted = copy(e, e.method(), e.region(), e.statusClass(), round(e.latencyMs() * shiftFactor, 100),
                e.requestBytes(), e.responseBytes(), e.retried(), e.cacheHit(), e.serviceRps());
        return new LabelledEvent(shifted, new Label(e.eventId(), Optional.of(AnomalyKind.LEVEL_SHIFT),
                String.format(Locale.ROOT, "%s latency x%.2f (event %d of %d)", e.host(), shiftFactor, index, SHIFT_EVENTS),
                shiftEpisode));
    }

    private static TelemetryEvent copy(final TelemetryEvent e, final String method, final String region,
                                       final String status, final double latency, final long requestBytes,
                                       final long responseBytes, final boolean retried, final boolean cacheHit,
                                       final double rps) {
        return new TelemetryEvent(e.eventId(), e.timestamp(), e.service(), e.host(), method, region, status, latency,
                requestBytes, responseBytes, retried, cacheHit, rps, e.hourOfDay());
    }

    private ServiceProfile pickService() {
        double u = random.nextDouble();
        for (final ServiceProfile service : ServiceCatalog.SERVICES) {
            u -= service.trafficShare();
            if (u < 0) {
                return service;
            }
        }
        return ServiceCatalog.SERVICES.get(ServiceCatalog.SERVICES.size() - 1);
    }

    private <T> T pick(final List<Weighted<T>> options) {
        double total = 0;
        for (final Weighted<T> option : options) {
            total += option.weight();
        }
        double u = random.nextDouble() * total;
        for (final Weighted<T> option : options) {
            u -= option.weight();
            if (u < 0) {
                return option.value();
            }
        }
        return options.get(options.size() - 1).value();
    }

    private static ServiceProfile profile(final String name) {
        for (final ServiceProfile service : ServiceCatalog.SERVICES) {
            if (service.name().equals(name)) {
                return service;
            }
        }
        throw new IllegalStateException("event of unknown service " + name);
    }

    private double logNormal(final double median, final double sigma) {
        return median * Math.exp(sigma * gaussian());
    }

    private double gaussian() {
        // Box-Muller on the seeded stream keeps the output a pure function of the seed.
        final double u1 = 1.0 - random.nextDouble();
        final double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    static double hourOfDay(final Instant timestamp) {
        final ZonedDateTime utc = timestamp.atZone(ZoneOffset.UTC);
        return utc.getHour() + utc.getMinute() / 60.0 + utc.getSecond() / 3600.0;
    }

    private static double round(final double value, final double scale) {
        return Math.round(value * scale) / scale;
    }

    private record Planted(TelemetryEvent event, String detail) {
    }
}
