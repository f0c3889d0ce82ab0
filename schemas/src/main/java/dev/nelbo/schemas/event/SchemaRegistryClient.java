package dev.nelbo.schemas.event;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.json.Json;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * Reads schemas from a schema registry's Confluent-compatible REST API ({@code GET /schemas/ids/{id}},
 * {@code GET /subjects/{subject}/versions/latest}), as Confluent Schema Registry, Apicurio Registry
 * ({@code /apis/ccompat/v7}) and Hortonworks Schema Registry ({@code /api/v1/confluent}) serve it. Each call tries the
 * URLs in turn; it caches nothing (that is {@link ConfluentAvroFormat}'s work). Responses are read up to 1 MiB: a
 * schema is text a person wrote, and a registry that answers more is not one to trust with memory.
 */
public final class SchemaRegistryClient {

    /** The most a response may hold. */
    static final int MAX_RESPONSE_BYTES = 1 << 20;

    /** The registry answered that it has no such schema or subject (404). */
    public static final class NotFoundException extends Exception {
        private static final long serialVersionUID = 1L;

        NotFoundException(final String message) {
            super(message);
        }
    }

    /** No registry URL answered usefully (unreachable, timed out, 5xx, 401, 403, a body that is not a schema). */
    public static final class UnavailableException extends Exception {
        private static final long serialVersionUID = 1L;

        UnavailableException(final String message) {
            super(message);
        }
    }

    /**
     * One registered schema.
     *
     * @param id     its id (what the Confluent wire format carries)
     * @param type   its type as the registry names it ({@code AVRO} when the registry names none)
     * @param schema its text
     */
    public record RegisteredSchema(int id, String type, String schema) {
    }

    /** Requests by outcome, for {@code nelbo_schema_registry_requests_total{outcome}}. */
    public static final class Stats {
        private final LongAdder found = new LongAdder();
        private final LongAdder notFound = new LongAdder();
        private final LongAdder failed = new LongAdder();

        /** @return requests the registry answered with a schema */
        public long found() {
            return found.sum();
        }

        /** @return requests answered 404 */
        public long notFound() {
            return notFound.sum();
        }

        /** @return requests that failed (unreachable, timeout, any other status, a body that is not a schema) */
        public long failed() {
            return failed.sum();
        }
    }

    private final HttpClient http;
    private final List<URI> urls;
    private final Duration timeout;
    private final Optional<String> authorization;
    private final Stats stats = new Stats();

    /**
     * @param urls          base URLs of the registry's Confluent-compatible API (e.g. {@code http://registry:8081},
     *                      {@code http://apicurio:8080/apis/ccompat/v7})
     * @param timeout       longest wait for one response
     * @param authorization the {@code Authorization} header's value, if any
     */
    public SchemaRegistryClient(final List<URI> urls, final Duration timeout, final Optional<String> authorization) {
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("no schema registry URL");
        }
        this.urls = List.copyOf(urls);
        this.timeout = timeout;
        this.authorization = authorization;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    /** @return the outcome counts of this client's requests */
    public Stats stats() {
        return stats;
    }

    /**
     * @param id a schema id
     * @return the schema
     * @throws NotFoundException    when the registry has no schema of that id
     * @throws UnavailableException when no URL answered usefully
     * @throws InterruptedException when interrupted while waiting
     */
    public RegisteredSchema byId(final int id) throws NotFoundException, UnavailableException, InterruptedException {
        return get("/schemas/ids/" + Integer.toUnsignedString(id), id, "schema id " + Integer.toUnsignedString(id));
    }

    /**
     * @param subject a subject (e.g. {@code events-value})
     * @return the subject's latest version
     * @throws NotFoundException    when the registry has no such subject
     * @throws UnavailableException when no URL answered usefully
     * @throws InterruptedException when interrupted while waiting
     */
    public RegisteredSchema latest(final String subject) throws NotFoundException, UnavailableException, InterruptedException {
        return get("/subjects/" + URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20") + "/versions/latest",
                -1, "subject '" + subject + "'");
    }

    private RegisteredSchema get(final String path, final int id, final String what)
            throws NotFoundException, UnavailableException, InterruptedException {
        final StringBuilder failures = new StringBuilder();
        for (final URI base : urls) {
            final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(strip(base) + path)).timeout(timeout)
                    .header("Accept", "application/vnd.schemaregistry.v1+json, application/json");
            authorization.ifPresent(a -> request.header("Authorization", a));
            try {
                final HttpResponse<InputStream> response = http.send(request.GET().build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                final byte[] body;
                try (InputStream in = response.body()) {
                    body = in.readNBytes(MAX_RESPONSE_BYTES + 1);
                }
                final int status = response.statusCode();
                if (status == 404) {
                    stats.notFound.increment();
                    throw new NotFoundException(what + " is not in the schema registry at " + name(base));
                }
                if (status / 100 == 2 && body.length <= MAX_RESPONSE_BYTES) {
                    final Optional<RegisteredSchema> schema = parse(body, id);
                    if (schema.isPresent()) {
                        stats.found.increment();
                        return schema.get();
                    }
                }
                stats.failed.increment();
                failures.append(failures.isEmpty() ? "" : "; ").append(name(base)).append(": HTTP ").append(status)
                        .append(body.length > MAX_RESPONSE_BYTES ? " with a response over 1 MiB"
                                : status / 100 == 2 ? " without a schema in the response" : "");
            } catch (final IOException e) {
                stats.failed.increment();
                failures.append(failures.isEmpty() ? "" : "; ").append(name(base)).append(": ")
                        .append(e.getClass().getSimpleName()).append(e.getMessage() == null ? "" : ": " + e.getMessage());
            }
        }
        throw new UnavailableException("cannot read " + what + " from the schema registry (" + failures + ")");
    }

    private static Optional<RegisteredSchema> parse(final byte[] body, final int requestedId) {
        try {
            final JsonNode node = Json.DOCUMENTS.readTree(body);
            final JsonNode schema = node == null ? null : node.get("schema");
            if (schema == null || !schema.isTextual()) {
                return Optional.empty();
            }
            final int id = node.path("id").canConvertToInt() ? node.get("id").intValue() : requestedId;
            return Optional.of(new RegisteredSchema(id, node.path("schemaType").asText("AVRO"), schema.textValue()));
        } catch (final IOException e) {
            return Optional.empty();
        }
    }

    private static String strip(final URI base) {
        final String s = base.toString();
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /** @return the URL for logs and errors: scheme, host, port and path, never credentials */
    private static String name(final URI base) {
        return base.getScheme() + "://" + base.getHost() + (base.getPort() < 0 ? "" : ":" + base.getPort())
                + (base.getPath() == null ? "" : base.getPath());
    }
}
