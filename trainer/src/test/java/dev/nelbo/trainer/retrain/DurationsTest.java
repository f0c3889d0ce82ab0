package dev.nelbo.trainer.retrain;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DurationsTest {

    @Test
    void short_and_iso_forms() {
        assertEquals(Duration.ofDays(7), Durations.parse("7d", "window"));
        assertEquals(Duration.ofHours(12), Durations.parse(" 12H ", "window"));
        assertEquals(Duration.ofSeconds(90), Durations.parse("90s", "window"));
        assertEquals(Duration.ofMinutes(30), Durations.parse("PT30M", "window"));
    }

    @Test
    void bad_durations_name_the_setting() {
        for (String bad : new String[] {"", "7", "7w", "-1d", "0h", "d"}) {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(bad, "--window"));
            assertTrue(e.getMessage().startsWith("--window: '" + bad + "'"), e.getMessage());
        }
    }
}
