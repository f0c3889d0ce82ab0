package dev.nelbo.schemas.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.encoding.RawValue;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;
import dev.nelbo.schemas.spec.MissingPolicy;
import dev.nelbo.schemas.spec.Transform;
import dev.nelbo.schemas.testing.TestData;
import dev.nelbo.schemas.testing.TestProto;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Protobuf events serialized by the Protobuf library decode to exactly what the same events in JSON decode to, read
 * through the descriptor set a user gives; hostile bytes give a typed failure, never anything else.
 */
class ProtobufEventReaderTest {

    private static final Descriptors.Descriptor TYPE = ProtobufEventReader.messageType(TestProto.DESCRIPTOR_SET,
            "dev.nelbo.test.Event");
    private static final FeatureEncoder ENCODER = TestData.fittedEncoder(11, 2000);

    @Test
    void protobuf_events_decode_to_what_the_same_events_in_json_decode_to() {
        final EventDecoder json = new EventDecoder(ENCODER, DecodeLimits.defaults());
        final EventDecoder proto = new EventDecoder(ENCODER, DecodeLimits.defaults(), Long.MAX_VALUE,
                ProtobufEventReader.format(TYPE));
        final int w = ENCODER.width();
        final DecodedEvent p = proto.newEvent();
        final DecodedEvent j = json.newEvent();
        final List<JsonNode> events = new java.util.ArrayList<>(TestData.events(5, 200));
        events.add(TestData.event(new Random(1), 1).putNull("bytes"));
        for (final JsonNode e : events) {
            final float[] xp = new float[w];
            final float[] mp = new float[w];
            final float[] xj = new float[w];
            final float[] mj = new float[w];
            proto.decode(TestProto.bytes(e), xp, mp, 0, p);
            json.decode(TestData.bytes(e), xj, mj, 0, j);
            assertTrue(p.ok() && j.ok(), String.valueOf(p.failure()));
            assertArrayEquals(xj, xp, e.toString());
            assertArrayEquals(mj, mp, "an unset wrapper is JSON's null: " + e);
            assertEquals(j.fields().id(), p.fields().id());
            assertEquals(j.fields().key(), p.fields().key());
            assertEquals(j.fields().timeMillis(), p.fields().timeMillis());
        }
    }

    @Test
    void map_keys_enums_and_absent_messages_read_as_documented() {
        final FeatureSpec spec = new FeatureSpec("event_id", "tags.team", "ts", 8, List.of(
                new FeatureDef("region", "region", FeatureType.CATEGORICAL, Transform.NONE, MissingPolicy.REJECT),
                new FeatureDef("ts_text", "ts", FeatureType.CATEGORICAL, Transform.NONE, MissingPolicy.REJECT),
                new FeatureDef("missing", "tags.owner", FeatureType.CATEGORICAL, Transform.NONE, MissingPolicy.IMPUTE),
                new FeatureDef("http", "http", FeatureType.CONTINUOUS, Transform.NONE, MissingPolicy.IMPUTE)));
        final EventParser parser = ProtobufEventReader.format(TYPE).parser(spec, DecodeLimits.defaults());
        final EventFields f = parser.newFields();
        parser.read(TestProto.bytes(TestData.event(new Random(2), 2)), f);
        assertEquals("payments", f.key(), "a map's value by its key");
        assertTrue(List.of("eu", "us", "ap").contains(f.feature(0).text()), "an enum by its name");
        assertEquals(Long.toString(f.timeMillis()), f.feature(1).text(), "an int64 category as JSON's text of it");
        assertEquals(RawValue.Kind.ABSENT, f.feature(2).kind(), "a key the map lacks");
        assertEquals(RawValue.Kind.STRUCTURE, f.feature(3).kind(), "a message is a structure");
        // an empty value is a message with nothing set: no id, no http
        parser.read(new byte[0], f);
        assertEquals(null, f.id() == null || f.id().isEmpty() ? null : f.id());
        assertEquals(RawValue.Kind.ABSENT, f.feature(3).kind());
    }

    @Test
    void unsigned_integers_read_as_their_unsigned_values() {
        final var proto = com.google.protobuf.DescriptorProtos.FileDescriptorProto.newBuilder().setName("u.proto")
                .setPackage("u").setSyntax("proto3").addMessageType(com.google.protobuf.DescriptorProtos.DescriptorProto
                        .newBuilder().setName("U")
                        .addField(com.google.protobuf.DescriptorProtos.FieldDescriptorProto.newBuilder().setName("a")
                                .setNumber(1).setType(com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type.TYPE_UINT32))
                        .addField(com.google.protobuf.DescriptorProtos.FieldDescriptorProto.newBuilder().setName("b")
                                .setNumber(2).setType(com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type.TYPE_UINT64))
                        .addField(com.google.protobuf.DescriptorProtos.FieldDescriptorProto.newBuilder().setName("c")
                                .setNumber(3).setType(com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type.TYPE_SINT64)))
                .build();
        final Descriptors.Descriptor u = ProtobufEventReader.messageType(com.google.protobuf.DescriptorProtos.FileDescriptorSet
                .newBuilder().addFile(proto).build().toByteArray(), "u.U");
        final EventParser parser = ProtobufEventReader.format(u).parser(new FeatureSpec(null, null, null, 8, List.of(
                new FeatureDef("a", "a", FeatureType.CATEGORICAL, Transform.NONE, MissingPolicy.REJECT),
                new FeatureDef("b", "b", FeatureType.CATEGORICAL, Transform.NONE, MissingPolicy.REJECT),
                new FeatureDef("c", "c", FeatureType.CONTINUOUS, Transform.NONE, MissingPolicy.REJECT))), DecodeLimits.defaults());
        final EventFields f = parser.newFields();
        parser.read(DynamicMessage.newBuilder(u).setField(u.findFieldByName("a"), -1).setField(u.findFieldByName("b"), -1L)
                .setField(u.findFieldByName("c"), -5L).build().toByteArray(), f);
        assertEquals("4294967295", f.feature(0).text());
        assertEquals(4294967295.0, f.feature(0).number());
        assertEquals("18446744073709551615", f.feature(1).text());
        assertEquals(1.8446744073709552E19, f.feature(1).number());
        assertEquals(-5.0, f.feature(2).number());
    }

    @Test
    void a_spec_or_descriptor_it_cannot_serve_is_refused_saying_why() {
        final FeatureSpec spec = new FeatureSpec("event_id", "key", "ts", 8, List.of(
                new FeatureDef("latency_ms", "http.latency", FeatureType.CONTINUOUS, Transform.LOG1P, MissingPolicy.REJECT)));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ProtobufEventReader.format(TYPE).parser(spec,
                DecodeLimits.defaults())).getMessage().contains("feature 'latency_ms' reads 'http.latency'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ProtobufEventReader.messageType(
                TestProto.DESCRIPTOR_SET, "dev.nelbo.test.Evnt")).getMessage().contains("dev.nelbo.test.Event"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ProtobufEventReader.messageType(
                com.google.protobuf.DescriptorProtos.FileDescriptorSet.newBuilder().addFile(TestProto.FILE).build()
                        .toByteArray(), "dev.nelbo.test.Event")).getMessage().contains("--include_imports"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ProtobufEventReader.messageType(new byte[] {1, 2, 3},
                "x")).getMessage().startsWith("not a Protobuf descriptor set"));
    }

    @Test
    void hostile_bytes_give_a_typed_failure_and_nothing_else() {
        final EventParser p = ProtobufEventReader.format(TYPE).parser(TestData.spec(), DecodeLimits.defaults());
        final EventFields f = p.newFields();
        final byte[] good = TestProto.bytes(TestData.event(new Random(3), 3));
        p.read(good, f);
        assertEquals(FailureReason.MALFORMED, failure(p, f, Arrays.copyOf(good, good.length - 3)), "truncated");
        assertEquals(FailureReason.TOO_LARGE, failure(p, f, new byte[DecodeLimits.DEFAULT_MAX_BYTES + 1]));
        // a length-delimited field claiming 2 GiB
        assertEquals(FailureReason.MALFORMED, failure(p, f, new byte[] {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07}));
        // a recursive type nested deeper than the limit
        final Descriptors.Descriptor node = nodeType();
        DynamicMessage nested = DynamicMessage.newBuilder(node).setField(node.findFieldByName("v"), 1).build();
        for (int i = 0; i < ProtobufEventReader.MAX_DEPTH + 10; i++) {
            nested = DynamicMessage.newBuilder(node).setField(node.findFieldByName("next"), nested).build();
        }
        final EventParser nodes = ProtobufEventReader.format(node).parser(new FeatureSpec(null, null, null, 8, List.of(
                new FeatureDef("v", "v", FeatureType.CONTINUOUS, Transform.NONE, MissingPolicy.IMPUTE))), DecodeLimits.defaults());
        final byte[] deepBytes = nested.toByteArray();
        final EncodingException tooDeep = assertThrows(EncodingException.class, () -> nodes.read(deepBytes, nodes.newFields()));
        assertEquals(FailureReason.MALFORMED, tooDeep.reason());
        assertTrue(tooDeep.getMessage().contains("too many levels of nesting"), tooDeep.getMessage());
        final int ok = dev.nelbo.schemas.testing.GeneratedInputs.readOrTypedFailure(p, good, 17, 20_000,
                java.util.Set.of(FailureReason.MALFORMED, FailureReason.TOO_LARGE));
        assertTrue(ok > 0 && ok < 20_000, "some mutated records still read: " + ok);
    }

    /** {@code message Node { Node next = 1; int32 v = 2; }} */
    private static Descriptors.Descriptor nodeType() {
        final var proto = com.google.protobuf.DescriptorProtos.FileDescriptorProto.newBuilder().setName("node.proto")
                .setPackage("t").setSyntax("proto3").addMessageType(com.google.protobuf.DescriptorProtos.DescriptorProto
                        .newBuilder().setName("Node")
                        .addField(com.google.protobuf.DescriptorProtos.FieldDescriptorProto.newBuilder().setName("next")
                                .setNumber(1).setType(com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type.TYPE_MESSAGE)
                                .setTypeName(".t.Node"))
                        .addField(com.google.protobuf.DescriptorProtos.FieldDescriptorProto.newBuilder().setName("v")
                                .setNumber(2).setType(com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type.TYPE_INT32)))
                .build();
        return ProtobufEventReader.messageType(com.google.protobuf.DescriptorProtos.FileDescriptorSet.newBuilder()
                .addFile(proto).build().toByteArray(), "t.Node");
    }

    private static FailureReason failure(final EventParser p, final EventFields f, final byte[] b) {
        return assertThrows(EncodingException.class, () -> p.read(b, f)).reason();
    }
}
