package dev.nelbo.registry;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Versions read from the registry topic are written by whoever may write it: they cannot carry a log line with them. */
class RegistryPointerTest {

    @Test
    void control_characters_in_pointers_and_bundle_keys_are_escaped_and_plain_versions_kept() {
        assertEquals("20261207T000000Z-ab12", ModelRegistry.pointedVersion("20261207T000000Z-ab12".getBytes(StandardCharsets.UTF_8)));
        final String forged = ModelRegistry.pointedVersion("v1\n05:00:00.000 INFO  [main] ScorerService - Scorer stopped\r\u2028"
                .getBytes(StandardCharsets.UTF_8));
        assertEquals("v1\\u000a05:00:00.000 INFO  [main] ScorerService - Scorer stopped\\u000d\\u2028", forged);
        assertTrue(forged.chars().noneMatch(Character::isISOControl));
        assertNull(ModelRegistry.pointedVersion(new byte[0]));
        assertNull(ModelRegistry.pointedVersion(null));
        assertEquals("v\\u00002", ModelRegistry.bundleVersion(ModelRegistry.BUNDLE_PREFIX + "v\u00002"));
        assertEquals("v2", ModelRegistry.bundleVersion(ModelRegistry.BUNDLE_PREFIX + "v2"));
    }
}
