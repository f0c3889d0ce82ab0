package dev.nelbo.schemas.event;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.testing.GeneratedInputs;
import dev.nelbo.schemas.testing.TestAvro;
import dev.nelbo.schemas.testing.TestData;
import dev.nelbo.testkit.SchemaRegistryServer;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Avro in the Confluent wire format against a real schema registry (Hortonworks Schema Registry in its own JVM, see
 * {@link SchemaRegistryServer}): records written by Apache Avro's own writer with the schema registered there decode
 * as their JSON twins, through schema evolution; every other outcome is typed.
 */
class ConfluentAvroFormatIntegrationTest {

    private static final FeatureEncoder ENCODER = TestData.fittedEncoder(11, 2000);
    private static final int W = ENCODER.width();

    private static ConfluentAvroFormat format(final String url, final Duration retry) {
        return new ConfluentAvroFormat(TestAvro.SCHEMA, new SchemaRegistryClient(List.of(URI.create(url)),
                Duration.ofSeconds(2), Optional.empty()), retry, 100);
    }

    /** Asserts a framed record gives the model input, id, key and time its JSON twin gives. */
    private static void assertSameInput(final EventDecoder framed, final byte[] record, final JsonNode twin) {
        final EventDecoder json = new EventDecoder(ENCODER, DecodeLimits.defaults());
        final DecodedEvent a = framed.newEvent();
        final DecodedEvent j = json.newEvent();
        final float[] xa = new float[W];
        final float[] ma = new float[W];
        final float[] xj = new float[W];
        final float[] mj = new float[W];
        framed.decode(record, xa, ma, 0, a);
        json.decode(TestData.bytes(twin), xj, mj, 0, j);
        assertTrue(a.ok() && j.ok(), String.valueOf(a.failure()));
        assertArrayEquals(xj, xa, twin.toString());
        assertArrayEquals(mj, ma);
        assertEquals(j.fields().id(), a.fields().id());
        assertEquals(j.fields().key(), a.fields().key());
        assertEquals(j.fields().timeMillis(), a.fields().timeMillis());
    }

    @Test
    void records_of_every_compatible_schema_version_read_as_their_json_twins() {
        final SchemaRegistryServer registry = SchemaRegistryServer.shared();
        final String subject = "evolution-" + System.nanoTime() + "-value";
        final int v1 = registry.register(subject, TestAvro.SCHEMA_JSON);
        final Schema added = AvroEventReader.parseSchema(TestAvro.evolved("added"));
        final int v2 = registry.register(subject, TestAvro.evolved("added"));
        final Schema removed = AvroEventReader.parseSchema(TestAvro.evolved("removed"));
        final int v3 = registry.register(subject, TestAvro.evolved("removed"));
        assertEquals(3, Set.of(v1, v2, v3).size(), "three versions, three ids");

        final ConfluentAvroFormat format = format(registry.url(), Duration.ofSeconds(5));
        final EventDecoder framed = new EventDecoder(ENCODER, DecodeLimits.defaults(), Long.MAX_VALUE, format);
        for (final JsonNode e : TestData.events(5, 100)) {
            assertSameInput(framed, TestAvro.framed(v1, TestAvro.bytes(e)), e);
            // a field added (optional): the reader schema skips it
            final var withOs = TestAvro.record(e, added);
            withOs.put("host_os", "linux");
            assertSameInput(framed, TestAvro.framed(v2, TestAvro.bytes(withOs)), e);
            // a field removed that the reader schema has with a default: it reads as that default (null), imputed as
            // the JSON event without it is
            final var noBytes = e.deepCopy();
            ((com.fasterxml.jackson.databind.node.ObjectNode) noBytes).putNull("bytes");
            assertSameInput(framed, TestAvro.framed(v3, TestAvro.bytes(TestAvro.record(e, removed))), noBytes);
        }
        // each writer schema was fetched once, however many records carried its id
        assertEquals(3, format.registry().stats().found());
    }

    @Test
    void unknown_ids_incompatible_schemas_and_bad_framing_are_typed_and_cost_the_registry_one_request() {
        final SchemaRegistryServer registry = SchemaRegistryServer.shared();
        final int good = registry.register("typed-" + System.nanoTime() + "-value", TestAvro.SCHEMA_JSON);
        // the registry refuses an incompatible change under the same subject, so a producer that gets one through
        // has it under another subject: its records still reach the topic
        final int bad = registry.register("other-" + System.nanoTime() + "-value", TestAvro.evolved("incompatible"));
        final ConfluentAvroFormat format = format(registry.url(), Duration.ofSeconds(5));
        final EventParser p = format.parser(TestData.spec(), DecodeLimits.defaults());
        final EventFields f = p.newFields();
        final JsonNode e = TestData.event(new Random(7), 7);
        final byte[] record = TestAvro.bytes(e);

        final EncodingException unknown = failure(p, f, TestAvro.framed(999_999, record));
        assertEquals(FailureReason.UNKNOWN_SCHEMA, unknown.reason());
        assertTrue(unknown.getMessage().contains("999999"), unknown.getMessage());
        assertEquals(FailureReason.UNKNOWN_SCHEMA, failure(p, f, TestAvro.framed(999_999, record)).reason());
        assertEquals(1, format.registry().stats().notFound(), "an unknown id is remembered");

        final var incompatible = TestAvro.record(e, AvroEventReader.parseSchema(TestAvro.evolved("incompatible")));
        incompatible.put("retried", "yes");
        final EncodingException types = failure(p, f, TestAvro.framed(bad, TestAvro.bytes(incompatible)));
        assertEquals(FailureReason.INCOMPATIBLE_SCHEMA, types.reason());
        assertTrue(types.getMessage().contains("retried"), types.getMessage());
        assertEquals(FailureReason.INCOMPATIBLE_SCHEMA, failure(p, f, TestAvro.framed(bad, TestAvro.bytes(incompatible))).reason());
        assertEquals(1, format.registry().stats().found());

        final byte[] framed = TestAvro.framed(good, record);
        p.read(framed, f);
        final byte[] magic = framed.clone();
        magic[0] = 1;
        assertTrue(failure(p, f, magic).getMessage().contains("magic byte 0x01"));
        assertEquals(FailureReason.MALFORMED, failure(p, f, Arrays.copyOf(framed, 4)).reason(), "shorter than the header");
        assertEquals(FailureReason.MALFORMED, failure(p, f, Arrays.copyOf(framed, framed.length - 2)).reason(), "truncated");
        assertEquals(FailureReason.MALFORMED, failure(p, f, TestData.bytes(e)).reason(), "JSON is not framed");
        // bytes that do not match their schema: another schema's record under this id
        assertEquals(FailureReason.MALFORMED, failure(p, f, TestAvro.framed(good, new byte[] {2, 'x', 0x7f})).reason());

        final int ok = GeneratedInputs.readOrTypedFailure(p, framed, 23, 5_000, Set.of(FailureReason.MALFORMED,
                FailureReason.TOO_LARGE, FailureReason.UNKNOWN_SCHEMA));
        assertTrue(ok > 0 && ok < 5_000, "some mutated records still read: " + ok);
        // forged ids each cost one request a minute at most, and never more than the cache holds
        assertTrue(format.registry().stats().notFound() <= 5_000, String.valueOf(format.registry().stats().notFound()));
    }

    @Test
    void an_unavailable_registry_is_retried_within_the_bound_then_typed_and_known_ids_keep_reading() throws Exception {
        final JsonNode e = TestData.event(new Random(9), 9);
        final int port;
        final int id;
        final ConfluentAvroFormat format;
        final EventParser p;
        final EventFields f;
        try (SchemaRegistryServer own = SchemaRegistryServer.start(0)) {
            port = own.port();
            id = own.register("outage-value", TestAvro.SCHEMA_JSON);
            format = format(own.url(), Duration.ofMillis(800));
            p = format.parser(TestData.spec(), DecodeLimits.defaults());
            f = p.newFields();
            p.read(TestAvro.framed(id, TestAvro.bytes(e)), f);
        }
        // the registry is down: the id already read keeps reading
        p.read(TestAvro.framed(id, TestAvro.bytes(e)), f);
        final long before = format.registry().stats().failed();
        final long start = System.nanoTime();
        final EncodingException down = failure(p, f, TestAvro.framed(id + 1, TestAvro.bytes(e)));
        final long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(FailureReason.SCHEMA_REGISTRY_UNAVAILABLE, down.reason());
        assertTrue(format.registry().stats().failed() - before >= 3, "retried: " + (format.registry().stats().failed() - before));
        assertTrue(tookMs >= 300 && tookMs < 5_000, "bounded by the retry setting (800 ms): " + tookMs + " ms");
        // right after, another new id fails at once, without stalling the caller on the registry again
        final long failedBefore = format.registry().stats().failed();
        assertEquals(FailureReason.SCHEMA_REGISTRY_UNAVAILABLE, failure(p, f, TestAvro.framed(id + 2, TestAvro.bytes(e))).reason());
        assertEquals(failedBefore, format.registry().stats().failed());

        // back on the same port, with the same schema registered: after the fail-fast window the id reads
        try (SchemaRegistryServer back = SchemaRegistryServer.start(port)) {
            final int again = back.register("outage-value", TestAvro.SCHEMA_JSON);
            final int added = back.register("outage-value", TestAvro.evolved("added"));
            assertEquals(id, again, "the same schemas in the same order get the same ids");
            Thread.sleep(900);
            final byte[] rec = TestAvro.framed(added, TestAvro.bytes(TestAvro.record(e,
                    AvroEventReader.parseSchema(TestAvro.evolved("added")))));
            p.read(rec, f);
        }
    }

    private static EncodingException failure(final EventParser p, final EventFields f, final byte[] b) {
        return assertThrows(EncodingException.class, () -> p.read(b, f));
    }
}
