package dev.nelbo.contract.settings;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SettingsTest {

    private static final ConfigDef DEF = Settings.define(List.of(
            Setting.of("bootstrap.servers", Type.STRING, Setting.REQUIRED, "brokers").checked(new ConfigDef.NonEmptyString()),
            Setting.of("nelbo.batch", Type.INT, 256, "records per call").checked(Range.atLeast(1)),
            Setting.of("nelbo.topic", Type.STRING, "events", "a topic").checked(Setting.topicName()),
            Setting.of("nelbo.secret", Type.PASSWORD, null, "a key"),
            Setting.of("nelbo.dir", Type.STRING, null, "a directory").defaultShownAs("a temp dir")));

    private static Settings parse(final Map<String, String> given) {
        return Settings.parse(DEF, given, k -> k.equals("linger.ms"), "a Kafka client setting");
    }

    @Test
    void values_are_typed_defaulted_and_trimmed_and_pass_through_keys_are_kept_as_given() {
        final Settings s = parse(Map.of("bootstrap.servers", " b:9092 ", "nelbo.batch", "64", "linger.ms", "5",
                "nelbo.secret", "pem text"));
        assertEquals(64, s.value("nelbo.batch", Integer.class));
        assertEquals(Optional.of("events"), s.text("nelbo.topic"), "the default");
        assertEquals(Optional.of("b:9092"), s.text("bootstrap.servers"));
        assertEquals(Optional.of("pem text"), s.text("nelbo.secret"), "a password reads as its value");
        assertFalse(s.value("nelbo.secret", Object.class).toString().contains("pem"), "but never prints it");
        assertEquals(Optional.empty(), s.text("nelbo.dir"));
        assertEquals("5", s.given().get("linger.ms"));
        assertEquals(Optional.of(6), s.converted("nelbo.topic", String::length));
        final IllegalArgumentException conversion = assertThrows(IllegalArgumentException.class,
                () -> s.converted("nelbo.secret", v -> { throw new IllegalArgumentException("not a PEM key"); }));
        assertTrue(conversion.getMessage().contains("'nelbo.secret'") && conversion.getMessage().contains("not a PEM key"),
                conversion.getMessage());
    }

    @Test
    void each_refusal_names_the_key() {
        assertTrue(message(Map.of("bootstrap.servers", "b", "nelbo.batc", "1")).contains("'nelbo.batc'"));
        assertTrue(message(Map.of("bootstrap.servers", "b", "nelbo.batc", "1")).contains("nelbo.batch"), "lists the known keys");
        assertTrue(message(Map.of("bootstrap.servers", "b", "linger.mss", "1")).contains("'linger.mss'"));
        assertTrue(message(Map.of("bootstrap.servers", "b", "linger.mss", "1")).contains("a Kafka client setting"));
        assertTrue(message(Map.of()).contains("bootstrap.servers"));
        assertTrue(message(Map.of("bootstrap.servers", "")).contains("bootstrap.servers"));
        assertTrue(message(Map.of("bootstrap.servers", "b", "nelbo.batch", "0")).contains("nelbo.batch"));
        assertTrue(message(Map.of("bootstrap.servers", "b", "nelbo.batch", "many")).contains("nelbo.batch"));
        assertTrue(message(Map.of("bootstrap.servers", "b", "nelbo.topic", "a topic")).contains("nelbo.topic"));
    }

    @Test
    void the_table_is_rendered_from_the_declarations_and_a_region_that_differs_is_reported_or_written(@TempDir final Path dir)
            throws Exception {
        final String table = SettingsTable.markdown(DEF);
        assertTrue(table.contains("| `bootstrap.servers` | (required) | brokers |"), table);
        assertTrue(table.contains("| `nelbo.batch` | `256` | records per call |"), table);
        assertTrue(table.contains("| `nelbo.secret` | unset | a key |"), table);
        assertTrue(table.contains("| `nelbo.dir` | a temp dir | a directory |"), table);
        final Path doc = dir.resolve("doc.md");
        Files.writeString(doc, "# Settings\n\n<!-- settings:x -->\n| stale |\n<!-- /settings:x -->\n\nmore\n");
        final String difference = SettingsTable.check(doc, "x", DEF, false);
        assertNotNull(difference);
        assertTrue(difference.contains("nelbo.docs.write"), difference);
        assertNull(SettingsTable.check(doc, "x", DEF, true));
        assertNull(SettingsTable.check(doc, "x", DEF, false));
        assertEquals("# Settings\n\n<!-- settings:x -->\n" + table + "<!-- /settings:x -->\n\nmore\n", Files.readString(doc));
        assertThrows(IllegalArgumentException.class, () -> SettingsTable.check(doc, "y", DEF, false));
    }

    private static String message(final Map<String, String> given) {
        return assertThrows(IllegalArgumentException.class, () -> parse(given)).getMessage();
    }
}
