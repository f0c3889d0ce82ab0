package dev.nelbo.trainer.retrain;

import dev.nelbo.contract.settings.SettingsTable;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertNull;

/** The settings table of docs/retraining.md is the one rendered from {@link RetrainKey} ({@code -Dnelbo.docs.write=true} writes it). */
class SettingsDocTest {

    @Test
    void the_documented_settings_are_the_declared_ones() throws Exception {
        assertNull(SettingsTable.check(Path.of("..", "docs", "retraining.md"), "retrain", RetrainKey.CONFIG_DEF,
                Boolean.getBoolean("nelbo.docs.write")));
    }
}
