package dev.nelbo.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nelbo.deploy.watch.Evaluation;
import dev.nelbo.deploy.watch.LabelTail;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import static dev.nelbo.contract.output.OutputField.ANOMALY;
import static dev.nelbo.contract.output.OutputField.ENTITY_ANOMALOUS;
import static dev.nelbo.contract.output.OutputField.EVENT_ID;

/**
 * Precision and recall of a file of score records (the offline {@code nelbo-scorer score}'s output) against the
 * generator's planted labels: the demo's evaluation without a broker, for trying specs and settings quickly.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Precision/recall of score records in a file against planted labels.",
                "For events generated with generate --out ... --labels ... and scored offline with nelbo-scorer score."})
public final class EvaluateCommand implements Callable<Integer> {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Spec
    private CommandSpec spec;

    @Option(names = "--scores", required = true, description = "Score records, one JSON object per line.")
    private Path scoresFile;

    @Option(names = "--labels", required = true, description = "Labels JSONL written by generate --labels.")
    private Path labelsFile;

    @Override
    public Integer call() throws IOException {
        final PrintWriter out = spec.commandLine().getOut();
        final Map<String, Boolean> flagged = new HashMap<>();
        long unreadable = 0;
        try (BufferedReader in = Files.newBufferedReader(scoresFile, StandardCharsets.UTF_8)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                final JsonNode score;
                try {
                    score = MAPPER.readTree(line);
                } catch (final IOException e) {
                    unreadable++;
                    continue;
                }
                if (!score.path(EVENT_ID.wireName()).isTextual() || !score.path(ANOMALY.wireName()).isBoolean()) {
                    unreadable++;
                    continue;
                }
                // an event counts as flagged by its own score or by its entity's anomalous state
                flagged.put(score.get(EVENT_ID.wireName()).asText(), score.get(ANOMALY.wireName()).asBoolean()
                        || score.path(ENTITY_ANOMALOUS.wireName()).asBoolean(false));
            }
        }
        final LabelTail labels = new LabelTail(labelsFile);
        labels.poll();
        out.printf("scored %,d events (%s), %,d labels%s%n", flagged.size(), scoresFile, labels.size(),
                unreadable > 0 ? ", " + unreadable + " lines without event_id and anomaly skipped" : "");
        Evaluation.of(flagged, labels.all(), labels.episodes()).print(out);
        return flagged.isEmpty() ? 1 : 0;
    }
}
