package dev.nelbo.schemas.event;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.encoding.RawValue;
import dev.nelbo.schemas.spec.FeatureSpec;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the fields a feature spec names out of one Protobuf message, parsed as a {@link DynamicMessage} of the events'
 * message type from their descriptor set ({@code protoc --include_imports --descriptor_set_out}). The spec's dotted
 * paths address fields by name through nested messages (a {@code oneof} member by its own name) and map fields by key;
 * the values become what the JSON reader would give for the same event:
 *
 * <ul>
 *   <li>{@code string}, an enum (its value's name): text; numeric types: numbers (a category written as a number reads
 *       as JSON's text of it); {@code bool}: a flag;</li>
 *   <li>the wrappers {@code google.protobuf.*Value}: their value, and absent when unset (a nullable field);
 *       {@code google.protobuf.Timestamp}: epoch milliseconds;</li>
 *   <li>a message, or an {@code optional} scalar, that is not set: absent; a proto3 scalar without presence: its value,
 *       the default when the writer left it out (Protobuf cannot tell them apart);</li>
 *   <li>other messages, repeated fields and {@code bytes}: a structure (a feature reading one is {@code wrong_type}).</li>
 * </ul>
 *
 * <p>Total: any bytes give the fields or an {@link EncodingException} ({@code malformed}: not a message of the type,
 * truncated, nested deeper than {@link #MAX_DEPTH}; {@code too_large}).
 */
public final class ProtobufEventReader implements EventParser {

    /** Deepest nesting parsed (Protobuf's own default is 100). */
    public static final int MAX_DEPTH = 64;

    private final Descriptors.Descriptor type;
    private final DecodeLimits limits;
    private final SpecPaths slots;

    private ProtobufEventReader(final Descriptors.Descriptor type, final FeatureSpec spec, final DecodeLimits limits) {
        this.type = type;
        this.limits = limits;
        this.slots = new SpecPaths(spec, segments -> reachable(type, segments, 0), "the Protobuf message "
                + type.getFullName(), type.getFields().stream().map(Descriptors.FieldDescriptor::getName).toList());
    }

    /**
     * @param type the events' message type
     * @return the format of events serialized as that message
     */
    public static EventFormat format(final Descriptors.Descriptor type) {
        return (spec, limits) -> new ProtobufEventReader(type, spec, limits);
    }

    /**
     * @param descriptorSet a {@code FileDescriptorSet} (with its imports, as {@code protoc --include_imports} writes it)
     * @param messageName   the events' message type, fully qualified (e.g. {@code shop.v1.Event})
     * @return that type
     * @throws IllegalArgumentException when the set does not parse, misses an import, or lacks the type
     */
    public static Descriptors.Descriptor messageType(final byte[] descriptorSet, final String messageName) {
        final DescriptorProtos.FileDescriptorSet set;
        try {
            set = DescriptorProtos.FileDescriptorSet.parseFrom(descriptorSet);
        } catch (final InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not a Protobuf descriptor set (protoc --descriptor_set_out): " + e.getMessage(), e);
        }
        final Map<String, DescriptorProtos.FileDescriptorProto> byName = new HashMap<>();
        set.getFileList().forEach(f -> byName.put(f.getName(), f));
        final Map<String, Descriptors.FileDescriptor> built = new HashMap<>();
        final List<String> names = new java.util.ArrayList<>();
        for (final DescriptorProtos.FileDescriptorProto f : set.getFileList()) {
            final Descriptors.Descriptor found = find(build(f, byName, built, 0).getMessageTypes(), messageName, names);
            if (found != null) {
                return found;
            }
        }
        throw new IllegalArgumentException("no message type '" + messageName + "' in the descriptor set (it has: " + names + ")");
    }

    /** The type of that full name among these and their nested types; the names seen are added to {@code seen}. */
    private static Descriptors.Descriptor find(final List<Descriptors.Descriptor> types, final String fullName,
                                               final List<String> seen) {
        for (final Descriptors.Descriptor t : types) {
            seen.add(t.getFullName());
            if (t.getFullName().equals(fullName)) {
                return t;
            }
            final Descriptors.Descriptor nested = find(t.getNestedTypes(), fullName, seen);
            if (nested != null) {
                return nested;
            }
        }
        return null;
    }

    private static Descriptors.FileDescriptor build(final DescriptorProtos.FileDescriptorProto proto,
                                                     final Map<String, DescriptorProtos.FileDescriptorProto> byName,
                                                     final Map<String, Descriptors.FileDescriptor> built, final int depth) {
        final Descriptors.FileDescriptor done = built.get(proto.getName());
        if (done != null) {
            return done;
        }
        if (depth > byName.size()) {
            throw new IllegalArgumentException("the descriptor set's imports form a cycle at " + proto.getName());
        }
        final Descriptors.FileDescriptor[] deps = new Descriptors.FileDescriptor[proto.getDependencyCount()];
        for (int i = 0; i < deps.length; i++) {
            final DescriptorProtos.FileDescriptorProto dep = byName.get(proto.getDependency(i));
            if (dep == null) {
                throw new IllegalArgumentException(proto.getName() + " imports " + proto.getDependency(i) + ", which the"
                        + " descriptor set lacks (protoc --include_imports)");
            }
            deps[i] = build(dep, byName, built, depth + 1);
        }
        try {
            final Descriptors.FileDescriptor file = Descriptors.FileDescriptor.buildFrom(proto, deps);
            built.put(proto.getName(), file);
            return file;
        } catch (final Descriptors.DescriptorValidationException e) {
            throw new IllegalArgumentException("invalid descriptor " + proto.getName() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public EventFields newFields() {
        return slots.newFields();
    }

    @Override
    public void read(final byte[] bytes, final EventFields into) {
        into.clear();
        // an empty value is a valid message (every field unset): it is read, and the spec decides what is missing
        if (bytes == null) {
            throw new EncodingException(FailureReason.MALFORMED, null, "no record value: expected a " + type.getFullName());
        }
        SpecPaths.checkSize(bytes, limits);
        final DynamicMessage message;
        try {
            final CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setRecursionLimit(MAX_DEPTH);
            message = DynamicMessage.parseFrom(type, in);
            in.checkLastTagWas(0);
        } catch (final IOException | RuntimeException e) {
            throw new EncodingException(FailureReason.MALFORMED, null, "not a Protobuf " + type.getFullName() + ": "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
        for (int slot = 0; slot < slots.paths.length; slot++) {
            if (slots.paths[slot] != null) {
                at(message, slots.paths[slot], into.slot(slot), slots.needsText[slot]);
            }
        }
    }

    private static boolean reachable(final Descriptors.Descriptor m, final String[] segments, final int i) {
        if (i == segments.length) {
            return true;
        }
        final Descriptors.FieldDescriptor f = m.findFieldByName(segments[i]);
        if (f == null) {
            return false;
        }
        if (f.isMapField()) {
            final Descriptors.FieldDescriptor value = f.getMessageType().findFieldByName("value");
            return i + 1 < segments.length && (i + 2 == segments.length || value.getJavaType()
                    == Descriptors.FieldDescriptor.JavaType.MESSAGE && reachable(value.getMessageType(), segments, i + 2));
        }
        if (i + 1 == segments.length) {
            return true;
        }
        return !f.isRepeated() && f.getJavaType() == Descriptors.FieldDescriptor.JavaType.MESSAGE
                && reachable(f.getMessageType(), segments, i + 1);
    }

    private static void at(final Message root, final String[] segments, final RawValue slot, final boolean text) {
        Message m = root;
        for (int i = 0; i < segments.length; i++) {
            final Descriptors.FieldDescriptor f = m.getDescriptorForType().findFieldByName(segments[i]);
            if (f.isMapField()) {
                final Object value = mapGet(m, f, segments[i + 1]);
                if (value == null) {
                    slot.setAbsent();
                    return;
                }
                if (i + 2 == segments.length) {
                    value(f.getMessageType().findFieldByName("value"), value, slot, text);
                    return;
                }
                m = (Message) value;
                i++;
                continue;
            }
            if (f.hasPresence() && !m.hasField(f)) {
                slot.setAbsent();
                return;
            }
            if (i + 1 == segments.length) {
                value(f, m.getField(f), slot, text);
                return;
            }
            m = (Message) m.getField(f);
        }
    }

    private static Object mapGet(final Message m, final Descriptors.FieldDescriptor map, final String key) {
        final Descriptors.FieldDescriptor k = map.getMessageType().findFieldByName("key");
        final Descriptors.FieldDescriptor v = map.getMessageType().findFieldByName("value");
        final int n = m.getRepeatedFieldCount(map);
        Object found = null;
        for (int i = 0; i < n; i++) {
            final Message entry = (Message) m.getRepeatedField(map, i);
            // the last entry of a key wins, as Protobuf merges maps
            if (String.valueOf(entry.getField(k)).equals(key)) {
                found = entry.getField(v);
            }
        }
        return found;
    }

    private static void value(final Descriptors.FieldDescriptor f, final Object v, final RawValue slot, final boolean text) {
        if (f.isRepeated()) {
            slot.setStructure();
            return;
        }
        switch (f.getJavaType()) {
            case STRING -> slot.setText((String) v);
            case ENUM -> slot.setText(((Descriptors.EnumValueDescriptor) v).getName());
            case BOOLEAN -> slot.setBoolean((Boolean) v);
            case INT, LONG -> {
                final long n = ((Number) v).longValue();
                switch (f.getType()) {
                    // unsigned types arrive as Java's signed ints and longs: read their bits as unsigned
                    case UINT32, FIXED32 -> {
                        final long u = n & 0xffffffffL;
                        slot.setNumber(u, text ? Long.toString(u) : null);
                    }
                    // (2^63 and above, rare, through their decimal text: correctly rounded)
                    case UINT64, FIXED64 -> slot.setNumber(n >= 0 ? n : Double.parseDouble(Long.toUnsignedString(n)),
                            text ? Long.toUnsignedString(n) : null);
                    default -> slot.setNumber(n, text ? Long.toString(n) : null);
                }
            }
            case FLOAT, DOUBLE -> {
                final double d = ((Number) v).doubleValue();
                slot.setNumber(d, text ? Double.toString(d) : null);
            }
            case MESSAGE -> wellKnown((Message) v, slot, text);
            default -> slot.setStructure();
        }
    }

    /** A wrapper's value, a Timestamp's epoch milliseconds; any other message is a structure. */
    private static void wellKnown(final Message m, final RawValue slot, final boolean text) {
        final String name = m.getDescriptorForType().getFullName();
        if (name.equals("google.protobuf.Timestamp")) {
            final Descriptors.Descriptor d = m.getDescriptorForType();
            final long seconds = (Long) m.getField(d.findFieldByName("seconds"));
            final int nanos = (Integer) m.getField(d.findFieldByName("nanos"));
            final long ms = seconds * 1000 + nanos / 1_000_000;
            slot.setNumber(ms, text ? Long.toString(ms) : null);
        } else if (name.startsWith("google.protobuf.") && name.endsWith("Value")
                && m.getDescriptorForType().findFieldByName("value") != null && m.getDescriptorForType().getFields().size() == 1) {
            final Descriptors.FieldDescriptor v = m.getDescriptorForType().findFieldByName("value");
            value(v, m.getField(v), slot, text);
        } else {
            slot.setStructure();
        }
    }
}
