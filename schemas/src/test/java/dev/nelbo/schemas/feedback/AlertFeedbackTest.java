package dev.nelbo.schemas.feedback;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AlertFeedbackTest {

    private static AlertFeedback parse(final String key, final String json) {
        return AlertFeedback.parse(key, json.getBytes(StandardCharsets.UTF_8));
    }

    private static String refused(final String key, final String json) {
        return assertThrows(IllegalArgumentException.class, () -> parse(key, json)).getMessage();
    }

    @Test
    void reads_what_it_writes_and_what_a_tool_writes() {
        final AlertFeedback full = new AlertFeedback(AlertFeedback.Label.FALSE_POSITIVE, "v1", "entity", "host-1",
                Map.of("service", "checkout"), "alice", "deploy", 1_700_000_000_000L);
        assertEquals(full, AlertFeedback.parse("e-1", full.toJson()));
        final AlertFeedback bare = parse("e-2", "{\"label\":\"true_positive\"}");
        assertEquals(AlertFeedback.Label.TRUE_POSITIVE, bare.label());
        assertEquals(AlertFeedback.UNKNOWN_VERSION, bare.modelVersionOrUnknown());
        assertEquals(Map.of(), bare.context());
        assertEquals("{\"label\":\"true_positive\"}", new String(bare.toJson(), StandardCharsets.UTF_8));
    }

    @Test
    void applies_records_as_the_topic_is_read_latest_label_wins_tombstones_withdraw() {
        final Map<String, AlertFeedback> labels = new java.util.HashMap<>();
        final byte[] fp = "{\"label\":\"false_positive\"}".getBytes(StandardCharsets.UTF_8);
        final byte[] tp = "{\"label\":\"true_positive\"}".getBytes(StandardCharsets.UTF_8);
        assertTrue(AlertFeedback.apply(labels, "e-1", fp));
        assertFalse(AlertFeedback.apply(labels, "e-1", fp), "the same label again changes nothing");
        assertTrue(AlertFeedback.apply(labels, "e-1", tp));
        assertEquals(AlertFeedback.Label.TRUE_POSITIVE, labels.get("e-1").label());
        assertThrows(IllegalArgumentException.class, () -> AlertFeedback.apply(labels, "e-1", "junk".getBytes(StandardCharsets.UTF_8)));
        assertEquals(AlertFeedback.Label.TRUE_POSITIVE, labels.get("e-1").label(), "a refused record leaves the label");
        assertThrows(IllegalArgumentException.class, () -> AlertFeedback.apply(labels, null, null));
        assertTrue(AlertFeedback.apply(labels, "e-1", null));
        assertFalse(AlertFeedback.apply(labels, "e-1", null));
        assertTrue(labels.isEmpty());
    }

    @Test
    void refuses_what_is_not_a_label_saying_why_without_quoting_the_value() {
        assertTrue(refused("e", "secret-payload").contains("is not JSON"));
        assertFalse(refused("e", "secret-payload").contains("secret"));
        assertTrue(refused("e", "{\"label\":\"maybe\"}").contains("$.label"));
        assertTrue(refused("e", "{}").contains("label"));
        assertTrue(refused("e", "{\"label\":\"false_positive\",\"extra\":1}").contains("extra"));
        assertTrue(refused("e", "{\"label\":\"false_positive\",\"kind\":\"silence\"}").contains("$.kind"));
        assertTrue(refused("e", "{\"label\":\"false_positive\",\"context\":{\"a\":1}}").contains("$.context"));
        assertTrue(refused("e", "{\"label\":\"false_positive\",\"labelled_at\":-1}").contains("labelled_at"));
        assertTrue(refused(null, "{\"label\":\"false_positive\"}").contains("no key"));
        assertTrue(refused("x".repeat(AlertFeedback.MAX_ID_CHARS + 1), "{\"label\":\"false_positive\"}")
                .contains("at most " + AlertFeedback.MAX_ID_CHARS));
        assertTrue(refused("e", "{\"label\":\"false_positive\",\"note\":\"" + "n".repeat(AlertFeedback.MAX_BYTES) + "\"}")
                .contains("bytes"));
        final StringBuilder many = new StringBuilder("{\"label\":\"false_positive\",\"context\":{");
        for (int i = 0; i < 17; i++) {
            many.append(i == 0 ? "" : ",").append("\"c").append(i).append("\":\"v\"");
        }
        assertTrue(refused("e", many.append("}}").toString()).contains("$.context"));
    }

    @Test
    void random_bytes_are_a_label_or_a_clear_refusal_never_another_failure() {
        final Random rnd = new Random(9);
        final String[] parts = {"{", "}", "\"label\"", ":", "\"false_positive\"", ",", "\"context\"", "[", "]", "null",
                "\"\\ud800\"", "1e999", "\"model_version\"", "\"\"", "{\"a\":", "-0"};
        int accepted = 0;
        for (int i = 0; i < 3000; i++) {
            final byte[] value;
            if (rnd.nextBoolean()) {
                value = new byte[rnd.nextInt(64)];
                rnd.nextBytes(value);
            } else {
                final StringBuilder b = new StringBuilder();
                for (int j = rnd.nextInt(12); j >= 0; j--) {
                    b.append(parts[rnd.nextInt(parts.length)]);
                }
                value = b.toString().getBytes(StandardCharsets.UTF_8);
            }
            try {
                AlertFeedback.parse("e-" + i, value);
                accepted++;
            } catch (final IllegalArgumentException e) {
                assertTrue(e.getMessage().startsWith("feedback for 'e-" + i + "'"), e.getMessage());
            }
        }
        assertTrue(accepted < 3000);
    }
}
