package dev.nelbo.scorer.config;

import dev.nelbo.contract.settings.SettingsTable;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertNull;

/** The settings table of docs/scorer.md is the one rendered from {@link ScorerKey} ({@code -Dnelbo.docs.write=true} writes it). */
class SettingsDocTest {

    @Test
    void the_documented_settings_are_the_declared_ones() throws Exception {
        assertNull(SettingsTable.check(Path.of("..", "docs", "scorer.md"), "scorer", ScorerKey.CONFIG_DEF,
                Boolean.getBoolean("nelbo.docs.write")));
    }
}
