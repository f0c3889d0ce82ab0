package dev.nelbo.schemas.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MessageOptions;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DoubleValue;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.WrappersProto;

/**
 * {@link TestData}'s events as Protobuf, with a nested message, a nullable wrapper, an enum and a map, serialized by
 * the Protobuf library itself:
 *
 * <pre>
 * syntax = "proto3"; package dev.nelbo.test; import "google/protobuf/wrappers.proto";
 * message Event {
 *   message Http { double latency_ms = 1; }
 *   enum Region { eu = 0; us = 1; ap = 2; }
 *   string event_id = 1; string key = 2; int64 ts = 3; Http http = 4; google.protobuf.DoubleValue bytes = 5;
 *   bool retried = 6; Region region = 7; map&lt;string, string&gt; tags = 8;
 * }
 * </pre>
 */
public final class TestProto {

    /** The events' file, as protoc would describe it. */
    public static final FileDescriptorProto FILE = file();
    /** The events' message type. */
    public static final Descriptors.Descriptor EVENT = build().findMessageTypeByName("Event");
    /** The descriptor set a user gives the scorer ({@code protoc --include_imports --descriptor_set_out}). */
    public static final byte[] DESCRIPTOR_SET = FileDescriptorSet.newBuilder()
            .addFile(WrappersProto.getDescriptor().toProto()).addFile(FILE).build().toByteArray();

    private TestProto() {
    }

    private static FieldDescriptorProto field(final String name, final int number, final FieldDescriptorProto.Type type,
                                              final String typeName) {
        final FieldDescriptorProto.Builder f = FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type)
                .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL).setJsonName(name);
        return typeName == null ? f.build() : f.setTypeName(typeName).build();
    }

    private static FileDescriptorProto file() {
        final DescriptorProto http = DescriptorProto.newBuilder().setName("Http")
                .addField(field("latency_ms", 1, FieldDescriptorProto.Type.TYPE_DOUBLE, null)).build();
        final DescriptorProto tagsEntry = DescriptorProto.newBuilder().setName("TagsEntry")
                .setOptions(MessageOptions.newBuilder().setMapEntry(true))
                .addField(field("key", 1, FieldDescriptorProto.Type.TYPE_STRING, null))
                .addField(field("value", 2, FieldDescriptorProto.Type.TYPE_STRING, null)).build();
        final EnumDescriptorProto region = EnumDescriptorProto.newBuilder().setName("Region")
                .addValue(EnumValueDescriptorProto.newBuilder().setName("eu").setNumber(0))
                .addValue(EnumValueDescriptorProto.newBuilder().setName("us").setNumber(1))
                .addValue(EnumValueDescriptorProto.newBuilder().setName("ap").setNumber(2)).build();
        final DescriptorProto event = DescriptorProto.newBuilder().setName("Event")
                .addNestedType(http).addNestedType(tagsEntry).addEnumType(region)
                .addField(field("event_id", 1, FieldDescriptorProto.Type.TYPE_STRING, null))
                .addField(field("key", 2, FieldDescriptorProto.Type.TYPE_STRING, null))
                .addField(field("ts", 3, FieldDescriptorProto.Type.TYPE_INT64, null))
                .addField(field("http", 4, FieldDescriptorProto.Type.TYPE_MESSAGE, ".dev.nelbo.test.Event.Http"))
                .addField(field("bytes", 5, FieldDescriptorProto.Type.TYPE_MESSAGE, ".google.protobuf.DoubleValue"))
                .addField(field("retried", 6, FieldDescriptorProto.Type.TYPE_BOOL, null))
                .addField(field("region", 7, FieldDescriptorProto.Type.TYPE_ENUM, ".dev.nelbo.test.Event.Region"))
                .addField(field("tags", 8, FieldDescriptorProto.Type.TYPE_MESSAGE, ".dev.nelbo.test.Event.TagsEntry").toBuilder()
                        .setLabel(FieldDescriptorProto.Label.LABEL_REPEATED).build())
                .build();
        return FileDescriptorProto.newBuilder().setName("dev/nelbo/test/event.proto").setPackage("dev.nelbo.test")
                .setSyntax("proto3").addDependency("google/protobuf/wrappers.proto").addMessageType(event).build();
    }

    private static Descriptors.FileDescriptor build() {
        try {
            return Descriptors.FileDescriptor.buildFrom(FILE, new Descriptors.FileDescriptor[] {WrappersProto.getDescriptor()});
        } catch (final Descriptors.DescriptorValidationException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @param e one of {@link TestData}'s JSON events (bytes may be null: the wrapper is left unset)
     * @return it as a serialized {@code Event}
     */
    public static byte[] bytes(final JsonNode e) {
        final Descriptors.Descriptor httpType = EVENT.findNestedTypeByName("Http");
        final DynamicMessage.Builder b = DynamicMessage.newBuilder(EVENT)
                .setField(EVENT.findFieldByName("event_id"), e.get("event_id").asText())
                .setField(EVENT.findFieldByName("key"), e.get("key").asText())
                .setField(EVENT.findFieldByName("ts"), e.get("ts").asLong())
                .setField(EVENT.findFieldByName("http"), DynamicMessage.newBuilder(httpType)
                        .setField(httpType.findFieldByName("latency_ms"), e.get("http").get("latency_ms").asDouble()).build())
                .setField(EVENT.findFieldByName("retried"), e.get("retried").asBoolean())
                .setField(EVENT.findFieldByName("region"), EVENT.findEnumTypeByName("Region")
                        .findValueByName(e.get("region").asText()));
        if (!e.get("bytes").isNull()) {
            b.setField(EVENT.findFieldByName("bytes"), DoubleValue.of(e.get("bytes").asDouble()));
        }
        final Descriptors.Descriptor entry = EVENT.findNestedTypeByName("TagsEntry");
        b.addRepeatedField(EVENT.findFieldByName("tags"), DynamicMessage.newBuilder(entry)
                .setField(entry.findFieldByName("key"), "team").setField(entry.findFieldByName("value"), "payments").build());
        return b.build().toByteArray();
    }
}
