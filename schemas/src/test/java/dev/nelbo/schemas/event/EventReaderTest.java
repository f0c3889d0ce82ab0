package dev.nelbo.schemas.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.encoding.RawValue;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;
import dev.nelbo.schemas.spec.MissingPolicy;
import dev.nelbo.schemas.spec.Transform;
import dev.nelbo.schemas.testing.GeneratedInputs;
import dev.nelbo.schemas.testing.TestData;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The streaming event reader: typed failures for every hostile input class, values identical to a tree
 * lookup, and no other exception for any bytes (generated inputs).
 */
class EventReaderTest {

    /** Paths exercising nesting, prefixes, categorical numbers and the id/key/time slots. */
    private static final FeatureSpec SPEC = new FeatureSpec("id", "k.name", "ts", 8, List.of(
            new FeatureDef("a", "a", FeatureType.CONTINUOUS, Transform.NONE, MissingPolicy.IMPUTE),
            new FeatureDef("b", "n.b", FeatureType.CONTINUOUS, Transform.NONE, MissingPolicy.IMPUTE),
            new FeatureDef("n", "n", FeatureType.CATEGORICAL, Transform.NONE, MissingPolicy.IMPUTE),
            new FeatureDef("c", "n.m.c", FeatureType.CATEGORICAL, Transform.NONE, MissingPolicy.IMPUTE),
            new FeatureDef("flag", "flag", FeatureType.BINARY, Transform.NONE, MissingPolicy.IMPUTE)));
    private static final String[] PATHS = {"a", "n.b", "n", "n.m.c", "flag", "id", "k.name", "ts"};
    private static final DecodeLimits LIMITS = new DecodeLimits(64 * 1024, 16, 40, 500);

    private final EventReader reader = EventReader.forSpec(SPEC, LIMITS, "label");
    private final EventFields fields = reader.newFields();

    private EventFields read(final String json) {
        reader.read(json.getBytes(StandardCharsets.UTF_8), fields);
        return fields;
    }

    private FailureReason reason(final byte[] bytes) {
        return assertThrows(EncodingException.class, () -> reader.read(bytes, fields)).reason();
    }

    private FailureReason reason(final String json) {
        return reason(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void every_hostile_input_class_gets_its_own_reason() {
        assertEquals(FailureReason.TOO_DEEP, reason("{\"x\":" + "[".repeat(1001) + "]".repeat(1001) + "}"));
        assertEquals(FailureReason.TOO_DEEP, reason("[".repeat(1001) + "]".repeat(1001)));
        assertEquals(FailureReason.TOO_DEEP, reason("{\"n\":" + "{\"m\":".repeat(20) + "1" + "}".repeat(21)));
        assertEquals(FailureReason.NUMBER_TOO_LONG, reason("{\"other\":" + "9".repeat(1001) + "}"));
        assertEquals(FailureReason.NUMBER_TOO_LONG, reason("{\"a\":1." + "5".repeat(60) + "}"));
        assertEquals(FailureReason.STRING_TOO_LONG, reason("{\"other\":\"" + "s".repeat(501) + "\"}"));
        assertEquals(FailureReason.STRING_TOO_LONG, reason("{\"" + "f".repeat(501) + "\":1}"));
        assertEquals(FailureReason.TOO_LARGE, reason(new byte[64 * 1024 + 1]));
        assertEquals(FailureReason.MALFORMED, reason(new byte[0]));
        assertEquals(FailureReason.MALFORMED, reason((byte[]) null));
        assertEquals(FailureReason.MALFORMED, reason("{\"a\":"));
        assertEquals(FailureReason.MALFORMED, reason("{} trailing"));
        assertEquals(FailureReason.MALFORMED, reason("{}{}"));
        assertEquals(FailureReason.MALFORMED, reason("[1, 2"));
        assertEquals(FailureReason.MALFORMED, reason(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xff, (byte) 0xfe, '"', '}'}));
        assertEquals(FailureReason.MALFORMED, reason("   "));
        assertEquals(FailureReason.NOT_AN_OBJECT, reason("[1,2,3]"));
        assertEquals(FailureReason.NOT_AN_OBJECT, reason("\"hello\""));
        assertEquals(FailureReason.NOT_AN_OBJECT, reason("42"));
        // the limits hold at their boundary exactly
        read("{\"x\":" + "[".repeat(15) + "]".repeat(15) + "}");
        read("{\"other\":" + "9".repeat(40) + ",\"s\":\"" + "s".repeat(500) + "\"}");
    }

    @Test
    void messages_have_no_null_location_and_say_what_was_wrong() {
        final EncodingException deep = assertThrows(EncodingException.class,
                () -> reader.read(("{\"x\":" + "[".repeat(100) + "]".repeat(100) + "}").getBytes(StandardCharsets.UTF_8), fields));
        assertTrue(deep.getMessage().contains("16 levels"), deep.getMessage());
        final EncodingException broken = assertThrows(EncodingException.class,
                () -> reader.read("{\"a\": tru}".getBytes(StandardCharsets.UTF_8), fields));
        assertTrue(broken.getMessage().startsWith("not valid JSON"), broken.getMessage());
        assertTrue(broken.getMessage().contains(" at "), broken.getMessage());
    }

    @Test
    void values_land_in_their_slots_with_tree_semantics() {
        final EventFields f = read("{\"id\":17,\"k\":{\"name\":\"svc\"},\"ts\":\"2023-11-14T22:13:20Z\",\"a\":2.5,"
                + "\"n\":{\"b\":1e2,\"m\":{\"c\":3}},\"flag\":true,\"label\":1.0,\"skip\":{\"deep\":[1,{\"x\":[]}]}}");
        assertEquals("17", f.id());
        assertEquals("svc", f.key());
        assertEquals(1_700_000_000_000L, f.timeMillis());
        assertEquals(2.5, f.feature(0).number());
        assertEquals(100.0, f.feature(1).number());
        assertEquals(RawValue.Kind.STRUCTURE, f.feature(2).kind());
        assertEquals("3", f.feature(3).text());
        assertEquals(RawValue.Kind.BOOLEAN, f.feature(4).kind());
        assertEquals("1.0", f.extra(0));
        // a later duplicate wins, and a repeated object replaces everything under it
        final EventFields dup = read("{\"a\":1,\"a\":2,\"n\":{\"b\":5,\"m\":{\"c\":\"x\"}},\"n\":{\"b\":6}}");
        assertEquals(2.0, dup.feature(0).number());
        assertEquals(6.0, dup.feature(1).number());
        assertEquals(RawValue.Kind.ABSENT, dup.feature(3).kind());
        // a path segment only descends into objects
        final EventFields scalar = read("{\"n\":[{\"b\":1}],\"k\":\"flat\",\"ts\":9e18}");
        assertEquals(RawValue.Kind.ABSENT, scalar.feature(1).kind());
        assertEquals(RawValue.Kind.STRUCTURE, scalar.feature(2).kind());
        assertNull(scalar.key());
        assertEquals(9_000_000_000_000_000_000L, scalar.timeMillis());
        // nothing leaks from one event into the next
        final EventFields empty = read("{}");
        assertNull(empty.id());
        assertEquals(RawValue.Kind.ABSENT, empty.feature(0).kind());
        assertNull(empty.timeMillis());
    }

    /** What a JSON text must be (RFC 8259: UTF-8, no byte order mark): anything else is malformed, with where. */
    @Test
    void only_strict_utf8_without_a_byte_order_mark_is_read() {
        final String doc = "{\"a\":1,\"k\":{\"name\":\"caf\u00e9 \ud83d\ude00\"}}";
        assertEquals("caf\u00e9 \ud83d\ude00", read(doc).key());
        final byte[] utf8 = doc.getBytes(StandardCharsets.UTF_8);
        final byte[] bom = new byte[utf8.length + 3];
        bom[0] = (byte) 0xEF;
        bom[1] = (byte) 0xBB;
        bom[2] = (byte) 0xBF;
        System.arraycopy(utf8, 0, bom, 3, utf8.length);
        assertEquals(FailureReason.MALFORMED, reason(bom));
        assertTrue(assertThrows(EncodingException.class, () -> reader.read(bom, fields)).getMessage().contains("byte order mark"));
        for (final java.nio.charset.Charset other : List.of(StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE,
                java.nio.charset.Charset.forName("UTF-32LE"))) {
            assertEquals(FailureReason.MALFORMED, reason(doc.getBytes(other)), other.name());
        }
        // overlong '/', overlong NUL, CESU-8 surrogate pair, past U+10FFFF, truncated, stray continuation, 0xFF
        final int[][] sequences = {{0xC0, 0xAF}, {0xE0, 0x80, 0xAF}, {0xC0, 0x80}, {0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80},
            {0xF4, 0x90, 0x80, 0x80}, {0xE2, 0x82}, {0x80}, {0xFF}};
        for (final int[] seq : sequences) {
            final byte[] head = "{\"k\":{\"name\":\"x".getBytes(StandardCharsets.UTF_8);
            final byte[] tail = "y\"}}".getBytes(StandardCharsets.UTF_8);
            final byte[] b = new byte[head.length + seq.length + tail.length];
            System.arraycopy(head, 0, b, 0, head.length);
            for (int i = 0; i < seq.length; i++) {
                b[head.length + i] = (byte) seq[i];
            }
            System.arraycopy(tail, 0, b, head.length + seq.length, tail.length);
            final EncodingException e = assertThrows(EncodingException.class, () -> reader.read(b, fields),
                    java.util.Arrays.toString(seq));
            assertEquals(FailureReason.MALFORMED, e.reason());
            assertTrue(e.getMessage().contains("at byte " + head.length), e.getMessage());
        }
    }

    /** The strict check against the JDK's reporting decoder, on generated bytes near and inside multi-byte forms. */
    @Test
    void strict_utf8_agrees_with_the_jdks_reporting_decoder_on_generated_bytes() {
        final Random rnd = new Random(8);
        for (int n = 0; n < 50_000; n++) {
            final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (int k = rnd.nextInt(6); k >= 0; k--) {
                switch (rnd.nextInt(4)) {
                    case 0 -> out.write(rnd.nextInt(256));
                    case 1 -> out.write(0x80 + rnd.nextInt(64));
                    case 2 -> out.write(0xC0 + rnd.nextInt(64));
                    default -> out.writeBytes(new String(Character.toChars(rnd.nextInt(0x110000)))
                            .getBytes(StandardCharsets.UTF_8));
                }
            }
            final byte[] b = out.toByteArray();
            boolean valid;
            try {
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b));
                valid = true;
            } catch (final java.nio.charset.CharacterCodingException e) {
                valid = false;
            }
            assertEquals(valid, Utf8.isStrict(b), java.util.HexFormat.of().formatHex(b));
            final boolean hasNul = new String(b, StandardCharsets.ISO_8859_1).indexOf(0) >= 0;
            final boolean hasBom = b.length >= 3 && (b[0] & 0xFF) == 0xEF && (b[1] & 0xFF) == 0xBB && (b[2] & 0xFF) == 0xBF;
            assertEquals(valid && !hasNul && !hasBom, Utf8.firstInvalid(b) < 0, java.util.HexFormat.of().formatHex(b));
        }
    }

    /**
     * Ids and keys are identifiers: their text is what was written ({@code 1e0} and {@code 1.0} are two keys), a string
     * with half a surrogate pair (no UTF-8 form, so it would share its key with {@code ?}) is malformed, and a Kafka key
     * that is not UTF-8 keeps its bytes apart from every other key.
     */
    @Test
    void keys_are_the_text_as_written_and_text_without_a_utf8_form_is_refused() {
        assertEquals("1e0", read("{\"k\":{\"name\":1e0}}").key());
        assertEquals("1.0", read("{\"k\":{\"name\":1.0}}").key());
        assertEquals("1.00", read("{\"id\":1.00}").id());
        assertEquals("17", read("{\"id\":17}").id());
        assertEquals("\ud83d\ude00", read("{\"k\":{\"name\":\"\\ud83d\\ude00\"}}").key());
        assertEquals(FailureReason.MALFORMED, reason("{\"k\":{\"name\":\"a\\ud800\"}}"));
        assertEquals(FailureReason.MALFORMED, reason("{\"k\":{\"name\":\"\\ude00a\"}}"));
        assertEquals(FailureReason.MALFORMED, reason("{\"n\":{\"m\":{\"c\":\"\\udbff\"}}}"));
        assertEquals("svc-\u00e9", Utf8.keyText("svc-\u00e9".getBytes(StandardCharsets.UTF_8)));
        final String ff = Utf8.keyText(new byte[] {'a', (byte) 0xFF});
        final String fe = Utf8.keyText(new byte[] {'a', (byte) 0xFE});
        assertEquals("\uFFFDhex:61ff", ff);
        assertTrue(!ff.equals(fe));
        assertEquals(-1, Utf8.loneSurrogate("a\ud83d\ude00b"));
        assertEquals(1, Utf8.loneSurrogate("a\ude00\ud83d"));
        assertEquals(2, Utf8.loneSurrogate("ab\ud83d"));
    }

    /** Arbitrary bytes: the reader either reads them or throws a typed EncodingException, never anything else. */
    @Test
    void arbitrary_bytes_give_a_value_or_a_typed_failure() {
        for (long seed = 0; seed < 5000; seed++) {
            readOrTypedFailure(GeneratedInputs.arbitraryBytes(new Random(seed), 300), seed);
        }
    }

    /** Valid events with random byte edits: the inputs a fuzzer explores first, close to the happy path. */
    @Test
    void mutated_events_give_a_value_or_a_typed_failure() {
        for (long seed = 0; seed < 5000; seed++) {
            final Random rnd = new Random(seed);
            readOrTypedFailure(GeneratedInputs.mutate(rnd, TestData.bytes(TestData.event(rnd, rnd.nextInt(1000)))), seed);
        }
    }

    /** Generated JSON objects: every path reads exactly what a Jackson tree lookup finds there. */
    @Test
    void generated_documents_read_like_a_tree_lookup() throws Exception {
        for (long seed = 0; seed < 1500; seed++) {
            readLikeATree(randomObject(new Random(seed), 0));
        }
    }

    private void readLikeATree(final JsonNode doc) throws Exception {
        final byte[] bytes = Json.EVENTS.writeValueAsBytes(doc);
        reader.read(bytes, fields);
        for (int f = 0; f < SPEC.features().size(); f++) {
            final RawValue expected = treeValue(Json.EVENTS.readTree(bytes), PATHS[f], SPEC.features().get(f).type() == FeatureType.CATEGORICAL);
            final RawValue actual = fields.feature(f);
            assertEquals(expected.kind(), actual.kind(), PATHS[f] + " in " + doc);
            assertEquals(expected.text(), actual.text(), PATHS[f] + " in " + doc);
            if (expected.kind() == RawValue.Kind.NUMBER) {
                assertEquals(Double.doubleToLongBits(expected.number()), Double.doubleToLongBits(actual.number()), PATHS[f] + " in " + doc);
            }
        }
        final JsonNode tree = Json.EVENTS.readTree(bytes);
        assertIdentifier(lookup(tree, "id"), fields.id(), "id in " + doc);
        assertIdentifier(lookup(tree, "k.name"), fields.key(), "key in " + doc);
    }

    /** An id or key is the tree's text, but a number's is its literal as written, which reads as the same number. */
    private static void assertIdentifier(final JsonNode node, final String actual, final String what) {
        if (node != null && node.isIntegralNumber()) {
            assertEquals(node.bigIntegerValue(), new java.math.BigInteger(actual), what);
            return;
        }
        if (node != null && node.isNumber()) {
            assertEquals(node.doubleValue(), Double.parseDouble(actual), what);
            return;
        }
        assertEquals(node == null || node.isNull() || node.isContainerNode() ? null : node.asText(), actual, what);
    }

    private void readOrTypedFailure(final byte[] bytes, final long seed) {
        try {
            reader.read(bytes, fields);
        } catch (final EncodingException e) {
            assertTrue(e.reason() != null && e.getMessage() != null && !e.getMessage().isEmpty(),
                    "untyped failure for seed " + seed + ": " + e);
        } catch (final RuntimeException e) {
            throw new AssertionError("seed " + seed + ": " + e, e);
        }
    }

    private static final String[] LITERALS = {"1e2", "1.50", "-0", "0.10", "2E-3", "-0.0", "12345678901234567890123",
        "1e400", "-1e400", "NaN", "Infinity", "-Infinity", "3.0e+1"};
    private static final String[] NAMES = {"a", "n", "b", "m", "c", "flag", "id", "k", "name", "ts", "label", "zz"};

    private static ObjectNode randomObject(final Random rnd, final int depth) {
        final ObjectNode o = JsonNodeFactory.instance.objectNode();
        final int fields = rnd.nextInt(depth == 0 ? 9 : 4);
        for (int i = 0; i < fields; i++) {
            o.set(NAMES[rnd.nextInt(NAMES.length)], randomValue(rnd, depth + 1));
        }
        return o;
    }

    private static JsonNode randomValue(final Random rnd, final int depth) {
        final JsonNodeFactory n = JsonNodeFactory.instance;
        return switch (rnd.nextInt(depth < 4 ? 12 : 10)) {
            // number literals whose text is not the canonical one ("1e2" reads as the double 100.0)
            case 9 -> n.rawValueNode(new com.fasterxml.jackson.databind.util.RawValue(
                    LITERALS[rnd.nextInt(LITERALS.length)]));
            case 0 -> n.numberNode(rnd.nextInt(2000) - 1000);
            case 1 -> n.numberNode(rnd.nextGaussian() * Math.pow(10, rnd.nextInt(40) - 20));
            case 2 -> n.numberNode(rnd.nextLong());
            case 3 -> n.numberNode(new java.math.BigInteger(90, rnd));
            case 4 -> n.textNode(Long.toString(rnd.nextInt(100), 36));
            case 5 -> n.booleanNode(rnd.nextBoolean());
            case 6 -> n.nullNode();
            case 7 -> n.numberNode(rnd.nextInt(3) * 0.5);
            case 8 -> n.textNode("2023-11-14T22:13:2" + rnd.nextInt(10) + "Z");
            case 10 -> randomObject(rnd, depth);
            default -> {
                final ArrayNode a = n.arrayNode();
                a.add(randomValue(rnd, depth + 1));
                yield a;
            }
        };
    }

    /** The reference: what a tree lookup of the path gives, as the encoder sees it. */
    private static RawValue treeValue(final JsonNode root, final String path, final boolean keepNumberText) {
        final JsonNode node = lookup(root, path);
        final RawValue v = new RawValue();
        if (node == null) {
            v.setAbsent();
        } else if (node.isNull()) {
            v.setNull();
        } else if (node.isNumber()) {
            v.setNumber(node.doubleValue(), keepNumberText ? node.asText() : null);
        } else if (node.isBoolean()) {
            v.setBoolean(node.booleanValue());
        } else if (node.isTextual()) {
            v.setText(node.textValue());
        } else {
            v.setStructure();
        }
        return v;
    }

    private static JsonNode lookup(final JsonNode root, final String path) {
        JsonNode node = root;
        for (final String s : EventReader.splitPath(path)) {
            if (node == null || !node.isObject()) {
                return null;
            }
            node = node.get(s);
        }
        return node;
    }
}
