package dev.nelbo.contract.settings;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SettingSourcesTest {

    private static final Set<String> KNOWN = Set.of("nelbo.model.dir", "nelbo.topic.events");
    private static final Set<String> KAFKA = Set.of("bootstrap.servers", "sasl.jaas.config");

    @Test
    void environment_names_map_to_settings() {
        assertEquals("nelbo.model.dir", SettingSources.settingOf("NELBO_MODEL_DIR"));
        assertEquals("sasl.jaas.config", SettingSources.settingOf("NELBO_KAFKA_SASL_JAAS_CONFIG"));
        assertNull(SettingSources.settingOf("JAVA_HOME"));
        assertTrue(SettingSources.isKafkaVariable("NELBO_KAFKA_BOOTSTRAP_SERVERS"));
    }

    @Test
    void file_then_environment_then_flags(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("a.properties");
        Files.writeString(file, "nelbo.model.dir=/from/file\nnelbo.topic.events=file-events\nbootstrap.servers=f:1\n");
        final Map<String, String> env = SettingSources.fromEnvironment(Map.of("NELBO_MODEL_DIR", "/from/env",
                "NELBO_KAFKA_BOOTSTRAP_SERVERS", "e:1", "PATH", "/bin"), KAFKA::contains, KNOWN::contains, true);
        final Map<String, String> merged = SettingSources.layer(file, env, Map.of("nelbo.topic.events", "flag-events"));
        assertEquals("/from/env", merged.get("nelbo.model.dir"));
        assertEquals("flag-events", merged.get("nelbo.topic.events"));
        assertEquals("e:1", merged.get("bootstrap.servers"));
        assertEquals(3, merged.size());
    }

    @Test
    void unknown_variables_are_refused_or_ignored_as_asked_and_missing_files_named() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SettingSources.fromEnvironment(
                Map.of("NELBO_MODEL_DRI", "x"), KAFKA::contains, KNOWN::contains, true));
        assertTrue(e.getMessage().contains("NELBO_MODEL_DRI") && e.getMessage().contains("nelbo.model.dri"), e.getMessage());
        assertTrue(SettingSources.fromEnvironment(Map.of("NELBO_MODEL_DRI", "x"), KAFKA::contains, KNOWN::contains, false).isEmpty());
        final IllegalArgumentException kafka = assertThrows(IllegalArgumentException.class, () -> SettingSources.fromEnvironment(
                Map.of("NELBO_KAFKA_NO_SUCH", "x"), KAFKA::contains, KNOWN::contains, false));
        assertTrue(kafka.getMessage().contains("NELBO_KAFKA_NO_SUCH"), kafka.getMessage());
        final IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> SettingSources.readFile(Path.of("/no/such.properties")));
        assertTrue(missing.getMessage().contains("config file not found: /no/such.properties"));
    }
}
