package dev.nelbo.schemas.event;

import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.spec.FeatureSpec;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericDatumReader;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Avro events in the Confluent wire format: a zero magic byte, the writer schema's id in the schema registry (4 bytes,
 * big-endian), then the Avro binary record. Each record is read with its own writer schema, fetched from the registry
 * by id once, and resolved by Avro's schema resolution to the <em>reader schema</em>, the schema the feature spec's
 * paths address. So a record written with a newer compatible schema (a field added, or removed where the reader schema
 * gives it a default) reads as its older form; every outcome is typed:
 *
 * <ul>
 *   <li>not framed (too short, another magic byte), or bytes that are not a record of their writer schema:
 *       {@code malformed};</li>
 *   <li>an id the registry does not have: {@code unknown_schema} (remembered for a minute, so forged ids cost the
 *       registry one request each per minute at most);</li>
 *   <li>a writer schema Avro cannot resolve to the reader schema, a recursive or a non-Avro one:
 *       {@code incompatible_schema} (remembered);</li>
 *   <li>a registry that does not answer: retried with backoff for up to the retry bound, then
 *       {@code schema_registry_unavailable}; for as long again, other ids not yet seen fail at once rather than stall
 *       the stream thread. Ids already seen keep being read: an outage stops only new schemas.</li>
 * </ul>
 */
public final class ConfluentAvroFormat implements EventFormat {

    /** The first byte of every framed record. */
    public static final byte MAGIC_BYTE = 0;
    /** Magic byte and schema id. */
    public static final int HEADER_BYTES = 5;

    /** How long an id the registry did not have is remembered as unknown. */
    static final Duration UNKNOWN_TTL = Duration.ofMinutes(1);
    private static final long FIRST_BACKOFF_NANOS = Duration.ofMillis(100).toNanos();
    private static final long MAX_BACKOFF_NANOS = Duration.ofSeconds(2).toNanos();

    /**
     * A writer schema with Avro's reader of it resolved to the reader schema (for {@link #toJson}), or why records of
     * that id cannot be read.
     */
    private record Writer(Schema schema, GenericDatumReader<Object> resolved, FailureReason failure, String detail,
                          long expiresNanos) {
        boolean live(final long now) {
            return failure != FailureReason.UNKNOWN_SCHEMA || now - expiresNanos < 0;
        }
    }

    private final Schema reader;
    private final SchemaRegistryClient registry;
    private final long retryNanos;
    private final int maxSchemas;
    private final LongSupplier clock;
    private final Map<Integer, Writer> writers = new ConcurrentHashMap<>();
    private volatile long failFastUntil;

    /**
     * @param reader     the schema the feature spec addresses (a record, not recursive)
     * @param registry   where writer schemas come from
     * @param retry      how long one lookup retries an unavailable registry
     * @param maxSchemas the most writer schemas (and unknown ids) remembered
     * @throws IllegalArgumentException when the reader schema is not a record or is recursive
     */
    public ConfluentAvroFormat(final Schema reader, final SchemaRegistryClient registry, final Duration retry,
                               final int maxSchemas) {
        this(reader, registry, retry, maxSchemas, System::nanoTime);
    }

    ConfluentAvroFormat(final Schema reader, final SchemaRegistryClient registry, final Duration retry,
                        final int maxSchemas, final LongSupplier clock) {
        AvroEventReader.checkReadable(reader);
        this.reader = reader;
        this.registry = registry;
        this.retryNanos = retry.toNanos();
        this.maxSchemas = maxSchemas;
        this.clock = clock;
        this.failFastUntil = clock.getAsLong();
    }

    @Override
    public String toString() {
        return "avro (Confluent wire format, read as " + reader.getFullName() + ")";
    }

    /** @return the reader schema */
    public Schema readerSchema() {
        return reader;
    }

    /** @return the registry client (its request counts) */
    public SchemaRegistryClient registry() {
        return registry;
    }

    @Override
    public EventParser parser(final FeatureSpec spec, final DecodeLimits limits) {
        return new Parser(spec, limits);
    }

    @Override
    public byte[] toJson(final byte[] value) {
        final int id = frameId(value);
        return AvroEventReader.toJson(writer(id).resolved(), value, HEADER_BYTES);
    }

    /**
     * @param bytes a record value
     * @return the schema id of its Confluent header
     * @throws EncodingException ({@code malformed}) when it has none
     */
    private static int frameId(final byte[] bytes) {
        if (bytes == null || bytes.length < HEADER_BYTES) {
            throw new EncodingException(FailureReason.MALFORMED, null, "not in the Confluent wire format: "
                    + (bytes == null ? 0 : bytes.length) + " bytes, fewer than the 5-byte header");
        }
        if (bytes[0] != MAGIC_BYTE) {
            throw new EncodingException(FailureReason.MALFORMED, null, String.format(
                    "not in the Confluent wire format: magic byte 0x%02x, expected 0x00", bytes[0] & 0xff));
        }
        return (bytes[1] & 0xff) << 24 | (bytes[2] & 0xff) << 16 | (bytes[3] & 0xff) << 8 | bytes[4] & 0xff;
    }

    /** One model's reader: per writer schema, Avro's reader resolving it to the reader schema for this spec. */
    private final class Parser implements EventParser {
        private final FeatureSpec spec;
        private final DecodeLimits limits;
        private final AvroEventReader plain;
        private final Map<Integer, AvroEventReader> byId = new ConcurrentHashMap<>();

        Parser(final FeatureSpec spec, final DecodeLimits limits) {
            this.spec = spec;
            this.limits = limits;
            // checks the spec's paths against the reader schema now, so a model that cannot be served is refused
            this.plain = new AvroEventReader(reader, reader, spec, limits);
        }

        @Override
        public EventFields newFields() {
            return plain.newFields();
        }

        @Override
        public void read(final byte[] bytes, final EventFields into) {
            into.clear();
            if (bytes != null) {
                SpecPaths.checkSize(bytes, limits);
            }
            final int id = frameId(bytes);
            AvroEventReader r = byId.get(id);
            if (r == null) {
                r = new AvroEventReader(writer(id).schema(), reader, spec, limits);
                if (byId.size() < maxSchemas) {
                    byId.putIfAbsent(id, r);
                }
            }
            r.readFrom(bytes, HEADER_BYTES, into);
        }
    }

    /**
     * @return the writer schema of an id, from the cache or the registry
     * @throws EncodingException with the reason records of that id cannot be read
     */
    private Writer writer(final int id) {
        final long now = clock.getAsLong();
        final Writer known = writers.get(id);
        if (known != null && known.live(now)) {
            return readableOrThrow(known, id);
        }
        if (now - failFastUntil < 0) {
            throw unavailable(id, "the schema registry did not answer a moment ago; ids not seen before are not looked"
                    + " up until it has been retried");
        }
        final Writer fetched = fetch(id);
        if (writers.size() >= maxSchemas) {
            // the unknown ids go first: they are the ones a flood of forged ids fills the cache with
            writers.values().removeIf(w -> w.failure == FailureReason.UNKNOWN_SCHEMA);
        }
        if (writers.size() < maxSchemas) {
            writers.put(id, fetched);
        }
        return readableOrThrow(fetched, id);
    }

    private static Writer readableOrThrow(final Writer w, final int id) {
        if (w.failure != null) {
            throw new EncodingException(w.failure, null, "schema id " + Integer.toUnsignedString(id) + ": " + w.detail);
        }
        return w;
    }

    private Writer fetch(final int id) {
        final long start = clock.getAsLong();
        long backoff = FIRST_BACKOFF_NANOS;
        while (true) {
            try {
                return resolve(registry.byId(id));
            } catch (final SchemaRegistryClient.NotFoundException e) {
                return new Writer(null, null, FailureReason.UNKNOWN_SCHEMA, "not in the schema registry",
                        clock.getAsLong() + UNKNOWN_TTL.toNanos());
            } catch (final SchemaRegistryClient.UnavailableException e) {
                final long waited = clock.getAsLong() - start;
                if (waited + backoff > retryNanos) {
                    failFastUntil = clock.getAsLong() + retryNanos;
                    throw unavailable(id, e.getMessage());
                }
                try {
                    Thread.sleep(backoff / 1_000_000L);
                } catch (final InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw unavailable(id, "interrupted while waiting for the schema registry");
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF_NANOS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw unavailable(id, "interrupted while waiting for the schema registry");
            }
        }
    }

    private static EncodingException unavailable(final int id, final String detail) {
        return new EncodingException(FailureReason.SCHEMA_REGISTRY_UNAVAILABLE, null, "schema id "
                + Integer.toUnsignedString(id) + ": " + detail);
    }

    /** @return the writer schema, or why it cannot be read as the reader schema */
    private Writer resolve(final SchemaRegistryClient.RegisteredSchema registered) {
        if (!"AVRO".equalsIgnoreCase(registered.type())) {
            return incompatible("a " + registered.type() + " schema, not Avro");
        }
        final Schema writer;
        try {
            writer = AvroEventReader.parseSchema(registered.schema());
            AvroEventReader.checkReadable(writer);
        } catch (final IllegalArgumentException e) {
            return incompatible(e.getMessage());
        }
        final SchemaCompatibility.SchemaPairCompatibility c = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        if (c.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            return incompatible("written with " + writer.getFullName() + ", which cannot be read as "
                    + reader.getFullName() + ": " + c.getResult().getIncompatibilities().stream()
                    .map(i -> i.getType() + " at '" + fieldPath(reader, i.getLocation()) + "' (" + i.getMessage() + ")")
                    .limit(3).toList());
        }
        return new Writer(writer, AvroEventReader.datumReader(writer, reader), null, null, 0);
    }

    /** @return Avro's JSON-pointer location of an incompatibility ({@code /fields/5/type}) as field names */
    static String fieldPath(final Schema reader, final String location) {
        final StringBuilder path = new StringBuilder();
        Schema s = reader;
        final String[] parts = location.split("/");
        for (int i = 0; i < parts.length - 1; i++) {
            if (!"fields".equals(parts[i]) || s == null || s.getType() != Schema.Type.RECORD) {
                continue;
            }
            try {
                final Schema.Field f = s.getFields().get(Integer.parseInt(parts[i + 1]));
                path.append(path.isEmpty() ? "" : ".").append(f.name());
                s = f.schema();
            } catch (final RuntimeException e) {
                return location;
            }
        }
        return path.isEmpty() ? location : path.toString();
    }

    private static Writer incompatible(final String detail) {
        return new Writer(null, null, FailureReason.INCOMPATIBLE_SCHEMA, detail, 0);
    }
}
