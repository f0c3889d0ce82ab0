package dev.nelbo.trainer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.engine.sample.ModelSampler;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.encoding.CsvLine;
import dev.nelbo.schemas.event.EventReader;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;
import dev.nelbo.trainer.retrain.Durations;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code sample}: events drawn from a model, in the format it was trained on. */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = "Draw events from a model bundle: z from the prior, decoded, every feature drawn from its likelihood"
                + " and mapped back to event values. Writes JSONL events the scorer accepts (.jsonl) or CSV with the"
                + " training columns (.csv). Same seed, same file.")
final class SampleCommand implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model bundle directory.")
    private Path model;

    @Option(names = "--count", defaultValue = "1000", description = "Number of events.")
    private int count;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed.")
    private long seed;

    @Option(names = "--context", paramLabel = "FEATURE=VALUE",
            description = "Fix a context feature of a conditional model (repeatable); the others are drawn from their"
                    + " training distribution.")
    private Map<String, String> context = new LinkedHashMap<>();

    @Option(names = "--time", paramLabel = "INSTANT", description = "Event time of every sample (ISO-8601, e.g."
            + " 2026-12-01T12:00:00Z); it also sets the time context features. Default: spread over --start and --span.")
    private String time;

    @Option(names = "--start", defaultValue = "2026-01-01T00:00:00Z", paramLabel = "INSTANT",
            description = "Earliest event time when --time is not given.")
    private String start;

    @Option(names = "--span", defaultValue = "7d", description = "Event times are spread uniformly over this span after --start.")
    private String span;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output file: .jsonl or .csv.")
    private Path out;

    @Override
    public Integer call() {
        if (count < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--count must be >= 0, got " + count);
        }
        final String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        final boolean csv = name.endsWith(".csv");
        if (!csv && !name.endsWith(".jsonl") && !name.endsWith(".json")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out must end in .jsonl or .csv, got " + out);
        }
        final ModelSampler.Request request;
        try {
            request = new ModelSampler.Request(count, seed, context, time == null ? null : Instant.parse(time),
                    Instant.parse(start), Durations.parse(span, "--span").toMillis());
        } catch (final DateTimeParseException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--time/--start: not an ISO-8601 instant: "
                    + e.getParsedString());
        } catch (final IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        final ModelBundle bundle = ModelBundle.load(model);
        final List<ObjectNode> events;
        try (ModelSampler sampler = ModelSampler.open(bundle)) {
            events = sampler.sample(request);
        }
        write(events, bundle.encoder().spec(), csv);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %d events sampled from %s (seed %d) to %s%n",
                events.size(), bundle.version(), seed, out);
        spec.commandLine().getOut().flush();
        return 0;
    }

    private void write(final List<ObjectNode> events, final FeatureSpec featureSpec, final boolean csv) {
        try {
            final Path parent = out.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            try (BufferedWriter w = Files.newBufferedWriter(out)) {
                final List<String> columns = csv ? columns(featureSpec) : List.of();
                if (csv) {
                    w.write(CsvLine.join(columns));
                    w.newLine();
                }
                for (final ObjectNode e : events) {
                    w.write(csv ? CsvLine.join(cells(e, columns)) : Json.EVENTS.writeValueAsString(e));
                    w.newLine();
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write " + out, e);
        }
    }

    /** The training header: id and time columns, then every feature read from the event (time features are derived). */
    private static List<String> columns(final FeatureSpec s) {
        final Set<String> columns = new LinkedHashSet<>();
        if (s.idPath() != null) {
            columns.add(s.idPath());
        }
        if (s.timestampPath() != null) {
            columns.add(s.timestampPath());
        }
        for (final FeatureDef f : s.features()) {
            if (f.type() != FeatureType.TIME) {
                columns.add(f.path());
            }
        }
        return new ArrayList<>(columns);
    }

    private static List<String> cells(final ObjectNode event, final List<String> columns) {
        final List<String> cells = new ArrayList<>(columns.size());
        for (final String column : columns) {
            JsonNode node = event;
            for (final String segment : EventReader.splitPath(column)) {
                node = node.path(segment);
            }
            cells.add(node.isMissingNode() || node.isNull() ? "" : node.asText());
        }
        return cells;
    }
}
