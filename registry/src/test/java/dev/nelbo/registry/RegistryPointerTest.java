package dev.nelbo.registry;

import dev.nelbo.registry.ModelRegistry.Entry;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry's key layout, read in one place; versions read from the registry topic are written by whoever may write
 * it: they cannot carry a log line with them.
 */
class RegistryPointerTest {

    private static byte[] utf8(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void control_characters_in_pointers_and_bundle_keys_are_escaped_and_plain_versions_kept() {
        assertEquals(new Entry(Entry.Kind.CURRENT, "20261207T000000Z-ab12"), Entry.of("current", utf8("20261207T000000Z-ab12")));
        final String forged = Entry.of("current", utf8("v1\n05:00:00.000 INFO  [main] ScorerService - Scorer stopped\r\u2028"))
                .version();
        assertEquals("v1\\u000a05:00:00.000 INFO  [main] ScorerService - Scorer stopped\\u000d\\u2028", forged);
        assertTrue(forged.chars().noneMatch(Character::isISOControl));
        assertEquals(new Entry(Entry.Kind.SHADOW, null), Entry.of("shadow", new byte[0]), "an empty pointer names none");
        assertEquals(new Entry(Entry.Kind.CURRENT, null), Entry.of("current", null), "nor does a deleted one");
        assertEquals(new Entry(Entry.Kind.BUNDLE, "v\\u00002"), Entry.of("bundle/v\u00002", new byte[1]));
        assertEquals(new Entry(Entry.Kind.BUNDLE, "v2"), Entry.of("bundle/v2", null), "a bundle's tombstone names it");
        assertEquals(Entry.Kind.OTHER, Entry.of("someone-elses-key", utf8("x")).kind());
        assertEquals(Entry.Kind.OTHER, Entry.of(null, utf8("x")).kind());
    }
}
