package dev.nelbo.deploy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nelbo.deploy.NelboTools;
import dev.nelbo.testkit.CliRun;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The offline evaluation counts a score file's flags against the generator's labels, per planted kind. */
class EvaluateCommandTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void counts_flags_against_planted_labels_per_kind_and_skips_lines_it_cannot_read() throws Exception {
        final Path events = dir.resolve("events.jsonl");
        final Path labels = dir.resolve("labels.jsonl");
        assertEquals(0, CliRun.execute(NelboTools.commandLine(), "generate", "--out", events.toString(), "--labels",
                labels.toString(), "--count", "3000", "--seed", "5", "--anomaly-rate", "0.05").exit());
        // a detector that finds every planted kind but level shifts, and flags the first two normal events
        final StringBuilder scores = new StringBuilder();
        final Map<String, int[]> planted = new TreeMap<>();
        int falseAlarms = 0;
        int found = 0;
        int all = 0;
        for (final String line : Files.readAllLines(labels, StandardCharsets.UTF_8)) {
            final JsonNode label = MAPPER.readTree(line);
            final String kind = label.path("kind").isTextual() ? label.get("kind").asText() : null;
            final boolean flag = kind != null ? !kind.equals("level_shift") : falseAlarms++ < 2;
            if (kind != null) {
                planted.computeIfAbsent(kind, k -> new int[2])[1]++;
                planted.get(kind)[0] += flag ? 1 : 0;
                all++;
                found += flag ? 1 : 0;
            }
            scores.append(MAPPER.createObjectNode().put("event_id", label.get("event_id").asText()).put("score", 1.0)
                    .put("anomaly", flag)).append('\n');
        }
        scores.append("{\"event_id\": \"not-generated\", \"anomaly\": true}\nnot json\n{\"score\": 2}\n");
        final Path file = Files.writeString(dir.resolve("scores.jsonl"), scores);
        assertTrue(planted.containsKey("level_shift") && planted.size() == 5, "every kind planted: " + planted.keySet());

        final CliRun run = CliRun.execute(NelboTools.commandLine(), "evaluate", "--scores", file.toString(), "--labels",
                labels.toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("2 lines without event_id and anomaly skipped"), run.out());
        assertTrue(run.out().contains(String.format("precision %.3f   recall %.3f", (double) found / (found + 2),
                (double) found / all)), run.out());
        planted.forEach((kind, c) -> assertTrue(run.out().contains(kind + " " + c[0] + "/" + c[1]), kind + ": " + run.out()));
        assertTrue(run.out().contains("level_shift 0/"), run.out());
        assertTrue(run.out().contains("(1 scored events had no label"), run.out());
    }
}
