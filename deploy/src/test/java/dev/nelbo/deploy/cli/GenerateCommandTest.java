package dev.nelbo.deploy.cli;

import dev.nelbo.testkit.CliRun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nelbo.deploy.NelboTools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateCommandTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    private static CliRun run(final String... args) {
        return CliRun.execute(NelboTools.commandLine(), args);
    }

    @Test
    void writes_clean_events_and_a_separate_label_per_event_over_the_simulated_span() throws Exception {
        final Path events = dir.resolve("data/events.jsonl");
        final Path labels = dir.resolve("data/labels.jsonl");
        final CliRun run = run("generate", "--out", events.toString(), "--labels", labels.toString(), "--count", "1000",
                "--seed", "3", "--anomaly-rate", "0.1", "--span", "P1D");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().startsWith("generated 1,000 events to "), run.out());

        final List<String> eventLines = Files.readAllLines(events, StandardCharsets.UTF_8);
        final List<String> labelLines = Files.readAllLines(labels, StandardCharsets.UTF_8);
        assertEquals(1000, eventLines.size());
        assertEquals(1000, labelLines.size());
        int anomalies = 0;
        for (int i = 0; i < eventLines.size(); i++) {
            final JsonNode event = MAPPER.readTree(eventLines.get(i));
            final JsonNode label = MAPPER.readTree(labelLines.get(i));
            assertEquals(event.get("event_id"), label.get("event_id"));
            assertFalse(event.has("is_anomaly") || event.has("anomaly"), "labels must stay out of events: " + event);
            assertEquals(14, event.size(), event.toString());
            assertTrue(!event.has("hour_sin") && !event.has("hour_cos"), "events carry their time, not its sine");
            anomalies += label.get("anomaly").asBoolean() ? 1 : 0;
        }
        assertTrue(anomalies > 60 && anomalies < 140, "about 100 anomalies expected, got " + anomalies);
        assertTrue(run.out().contains("planted " + anomalies + " anomalies"), run.out());
        assertEquals(Instant.parse("2026-01-05T00:00:00Z"), Instant.parse(MAPPER.readTree(eventLines.get(0)).get("ts").asText()));
        final Instant last = Instant.parse(MAPPER.readTree(eventLines.get(999)).get("ts").asText());
        assertTrue(last.isAfter(Instant.parse("2026-01-05T23:50:00Z")) && last.isBefore(Instant.parse("2026-01-06T00:00:00Z")), last.toString());
    }

    @Test
    void inline_labels_add_the_label_fields_to_each_event() throws Exception {
        final Path events = dir.resolve("inline.jsonl");
        assertEquals(0, run("generate", "--out", events.toString(), "--count", "500", "--inline-labels",
                "--anomaly-rate", "0.2", "--anomaly-kinds", "rare_category").exit());
        boolean sawAnomaly = false;
        for (final String line : Files.readAllLines(events, StandardCharsets.UTF_8)) {
            final JsonNode event = MAPPER.readTree(line);
            final boolean anomaly = event.get("is_anomaly").asBoolean();
            assertEquals(anomaly ? "rare_category" : null, event.get("anomaly_kind").isNull() ? null : event.get("anomaly_kind").asText());
            sawAnomaly |= anomaly;
        }
        assertTrue(sawAnomaly);
    }

    @Test
    void same_seed_writes_byte_identical_files() throws Exception {
        final Path a = dir.resolve("a.jsonl");
        final Path b = dir.resolve("b.jsonl");
        assertEquals(0, run("generate", "--out", a.toString(), "--count", "2000", "--seed", "11").exit());
        assertEquals(0, run("generate", "--out", b.toString(), "--count", "2000", "--seed", "11").exit());
        assertEquals(-1L, Files.mismatch(a, b));
    }

    @Test
    void bad_usage_fails_with_exit_code_2_and_a_one_line_message() {
        for (final String[] args : List.of(
                new String[] {"generate", "--out", dir.resolve("x").toString(), "--anomaly-kinds", "bogus"},
                new String[] {"generate", "--out", dir.resolve("x").toString(), "--duration", "5"},
                new String[] {"generate", "--topic", "events", "--clock", "simulated"},
                new String[] {"generate"},
                new String[] {"replay", "--file", dir.resolve("missing.jsonl").toString(), "--topic", "t"},
                new String[] {"replay", "--file", dir.toString(), "--topic", "t", "--key-path", "a..b"})) {
            final CliRun run = run(args);
            assertEquals(2, run.exit(), String.join(" ", args) + " -> " + run.err());
            assertEquals(1, run.err().strip().lines().count(), run.err());
            assertTrue(run.err().startsWith("error: "), run.err());
        }
        final CliRun badRate = run("generate", "--out", dir.resolve("y").toString(), "--anomaly-rate", "3");
        assertEquals(1, badRate.exit());
        assertEquals("error: anomaly rate must be between 0 and 1, got 3.0", badRate.err().strip());
    }
}
