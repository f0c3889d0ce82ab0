package dev.nelbo.schemas.event;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;
import dev.nelbo.schemas.spec.MissingPolicy;
import dev.nelbo.schemas.spec.Transform;
import dev.nelbo.schemas.testing.TestAvro;
import dev.nelbo.schemas.testing.TestData;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Avro events written by Apache Avro's own writer decode to exactly what the same events in JSON decode to, and
 * hostile bytes give a typed failure, never anything else.
 */
class AvroEventReaderTest {

    private static final Schema SCHEMA = TestAvro.SCHEMA;
    private static final FeatureEncoder ENCODER = TestData.fittedEncoder(11, 2000);

    private static GenericRecord record(final JsonNode e) {
        return TestAvro.record(e);
    }

    private static byte[] bytes(final GenericRecord r) {
        return TestAvro.bytes(r);
    }

    @Test
    void avro_events_decode_to_what_the_same_events_in_json_decode_to() {
        final EventDecoder json = new EventDecoder(ENCODER, DecodeLimits.defaults());
        final EventDecoder avro = new EventDecoder(ENCODER, DecodeLimits.defaults(), Long.MAX_VALUE,
                AvroEventReader.format(SCHEMA));
        final int w = ENCODER.width();
        final DecodedEvent a = avro.newEvent();
        final DecodedEvent j = json.newEvent();
        for (final JsonNode e : TestData.events(5, 200)) {
            final float[] xa = new float[w];
            final float[] ma = new float[w];
            final float[] xj = new float[w];
            final float[] mj = new float[w];
            avro.decode(bytes(record(e)), xa, ma, 0, a);
            json.decode(TestData.bytes(e), xj, mj, 0, j);
            assertTrue(a.ok() && j.ok(), String.valueOf(a.failure()));
            assertArrayEquals(xj, xa, e.toString());
            assertArrayEquals(mj, ma);
            assertEquals(j.fields().id(), a.fields().id());
            assertEquals(j.fields().key(), a.fields().key());
            assertEquals(j.fields().timeMillis(), a.fields().timeMillis());
        }
        // a union's null branch is JSON's null: imputed as the spec says
        final var nullBytes = TestData.event(new Random(1), 1).putNull("bytes");
        final float[] xa = new float[w];
        final float[] ma = new float[w];
        final float[] xj = new float[w];
        final float[] mj = new float[w];
        avro.decode(bytes(record(nullBytes)), xa, ma, 0, a);
        json.decode(TestData.bytes(nullBytes), xj, mj, 0, j);
        assertTrue(a.ok(), String.valueOf(a.failure()));
        assertArrayEquals(xj, xa);
        assertArrayEquals(mj, ma);
    }

    @Test
    void paths_reach_map_keys_and_logical_types_become_numbers() {
        final Schema s = AvroEventReader.parseSchema("""
                {"type":"record","name":"E","fields":[
                  {"name":"at","type":{"type":"long","logicalType":"timestamp-micros"}},
                  {"name":"day","type":{"type":"int","logicalType":"date"}},
                  {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
                  {"name":"code","type":["null","int","string"]},
                  {"name":"tags","type":{"type":"map","values":"string"}}]}""");
        final FeatureSpec spec = new FeatureSpec(null, "tags.host", "at", 8, List.of(
                new FeatureDef("price", "price", FeatureType.CONTINUOUS, Transform.NONE, MissingPolicy.REJECT),
                new FeatureDef("day", "day", FeatureType.CONTINUOUS, Transform.NONE, MissingPolicy.REJECT),
                new FeatureDef("code", "code", FeatureType.CATEGORICAL, Transform.NONE, MissingPolicy.IMPUTE),
                new FeatureDef("team", "tags.team", FeatureType.CATEGORICAL, Transform.NONE, MissingPolicy.IMPUTE)));
        final EventParser p = AvroEventReader.format(s).parser(spec, DecodeLimits.defaults());
        final GenericRecord r = new GenericData.Record(s);
        r.put("at", 1_700_000_000_123_456L);
        r.put("day", 19_000);
        r.put("price", java.nio.ByteBuffer.wrap(new java.math.BigDecimal("123.45").unscaledValue().toByteArray()));
        r.put("code", 42);
        r.put("tags", Map.of("host", "h-1"));
        final EventFields f = p.newFields();
        p.read(bytes(r), f);
        assertEquals(1_700_000_000_123L, f.timeMillis(), "timestamp-micros to epoch milliseconds");
        assertEquals("h-1", f.key(), "a map key on the path");
        assertEquals(123.45, f.feature(0).number(), 1e-9, "decimal to its value");
        assertEquals(19_000L * 86_400_000L, f.feature(1).number(), "date to its midnight UTC");
        assertEquals("42", f.feature(2).text(), "an int category reads as JSON's text of it");
        assertEquals(dev.nelbo.schemas.encoding.RawValue.Kind.ABSENT, f.feature(3).kind(), "a key the map lacks");
        r.put("code", "x7");
        p.read(bytes(r), f);
        assertEquals("x7", f.feature(2).text(), "the union's branch the record holds");
        assertNull(f.id());
    }

    @Test
    void a_spec_the_schema_cannot_serve_is_refused_naming_the_feature() {
        final FeatureSpec spec = new FeatureSpec("event_id", "key", "ts", 8, List.of(
                new FeatureDef("latency_ms", "http.latency", FeatureType.CONTINUOUS, Transform.LOG1P, MissingPolicy.REJECT)));
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AvroEventReader.format(SCHEMA).parser(spec, DecodeLimits.defaults()));
        assertTrue(e.getMessage().contains("feature 'latency_ms' reads 'http.latency'"), e.getMessage());
        final Schema recursive = AvroEventReader.parseSchema("""
                {"type":"record","name":"Node","fields":[{"name":"v","type":"int"},
                  {"name":"next","type":["null","Node"]}]}""");
        final FeatureSpec one = new FeatureSpec(null, null, null, 8, List.of(
                new FeatureDef("v", "v", FeatureType.CONTINUOUS, Transform.NONE, MissingPolicy.REJECT)));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AvroEventReader.format(recursive).parser(one,
                DecodeLimits.defaults())).getMessage().contains("recursive"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AvroEventReader.parseSchema("{\"type\":\"recrd\"}"))
                .getMessage().startsWith("not an Avro schema"));
    }

    @Test
    void hostile_bytes_give_a_typed_failure_and_nothing_else() {
        final EventParser p = AvroEventReader.format(SCHEMA).parser(TestData.spec(), DecodeLimits.defaults());
        final EventFields f = p.newFields();
        final byte[] good = bytes(record(TestData.event(new Random(3), 3)));
        p.read(good, f);
        assertEquals(FailureReason.MALFORMED, failure(p, f, Arrays.copyOf(good, good.length - 3)), "truncated");
        assertEquals(FailureReason.MALFORMED, failure(p, f, Arrays.copyOf(good, good.length + 2)), "bytes left over");
        assertEquals(FailureReason.MALFORMED, failure(p, f, new byte[0]), "empty");
        assertEquals(FailureReason.TOO_LARGE, failure(p, f, new byte[DecodeLimits.DEFAULT_MAX_BYTES + 1]));
        // a string length of 2^31-ish: refused by Avro's limit (the record limit, set when the reader loaded), not allocated
        assertEquals(Integer.toString(DecodeLimits.DEFAULT_MAX_BYTES),
                System.getProperty(org.apache.avro.SystemLimitException.MAX_STRING_LENGTH_PROPERTY));
        assertEquals(FailureReason.MALFORMED, failure(p, f, new byte[] {(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f}));
        // JSON is not Avro
        assertEquals(FailureReason.MALFORMED, failure(p, f, TestData.bytes(TestData.event(new Random(3), 3))));
        final int ok = dev.nelbo.schemas.testing.GeneratedInputs.readOrTypedFailure(p, good, 17, 20_000,
                java.util.Set.of(FailureReason.MALFORMED, FailureReason.TOO_LARGE));
        assertTrue(ok > 0 && ok < 20_000, "some mutated records still read: " + ok);
    }

    private static FailureReason failure(final EventParser p, final EventFields f, final byte[] b) {
        return assertThrows(EncodingException.class, () -> p.read(b, f)).reason();
    }
}
