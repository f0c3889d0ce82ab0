package dev.nelbo.deploy.cli;

import dev.nelbo.deploy.generator.AnomalyKind;
import dev.nelbo.deploy.generator.EventJson;
import dev.nelbo.deploy.generator.EventJson.InlineLabels;
import dev.nelbo.deploy.generator.LabelledEvent;
import dev.nelbo.deploy.generator.TelemetryGenerator;
import dev.nelbo.deploy.kafka.RateLimiter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Generates service request telemetry with labelled planted anomalies, to a JSONL file or a topic. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Generate service request telemetry with labelled planted anomalies.",
                "Events go to a JSONL file (--out) or a topic (--topic); labels (event_id, anomaly, kind, detail)"
                        + " go to a separate JSONL file (--labels) so the events stay exactly like production traffic.",
                "With --inline-labels the label is ALSO written into each event as is_anomaly/anomaly_kind:"
                        + " exclude those fields from the feature spec (e.g. the trainer's --label-column)."})
public final class GenerateCommand implements Callable<Integer> {

    private static final long PROGRESS_NANOS = 5_000_000_000L;

    /** Clock used for event timestamps. */
    enum Clock {
        /** Timestamps spread evenly from --start over --span: reproducible. */
        simulated,
        /** Timestamps are the wall clock at send time: for live streaming. */
        wall
    }

    @Spec
    private CommandSpec spec;

    @ArgGroup(multiplicity = "1")
    private Destination destination;

    /** Exactly one destination. */
    static final class Destination {
        @Option(names = "--out", description = "JSONL file to write events to.")
        Path out;

        @Option(names = "--topic", description = "Topic to send events to.")
        String topic;
    }

    @CommandLine.Mixin
    private KafkaClientOptions kafka;

    @CommandLine.Mixin
    private AvroOutputOptions avro;

    @Option(names = "--labels", description = "JSONL file for the ground truth, one line per event.")
    private Path labels;

    @Option(names = "--inline-labels", description = "Also write the label into each event (fields is_anomaly, anomaly_kind).")
    private boolean inlineLabels;

    @Option(names = "--count", description = "Number of events. Default: 10000 for --out; unlimited for --topic (see --duration).")
    private Long count;

    @Option(names = "--duration", description = "Seconds to stream for (with --topic). Default: until --count or Ctrl-C.")
    private Long durationSeconds;

    @Option(names = "--rate", defaultValue = "0",
            description = "Events per second, 0 = as fast as possible. Default: ${DEFAULT-VALUE}")
    private double rate;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed; equal seeds give equal events. Default: ${DEFAULT-VALUE}")
    private long seed;

    @Option(names = "--anomaly-rate", defaultValue = "0.01", description = "Fraction of events with a planted anomaly. Default: ${DEFAULT-VALUE}")
    private double anomalyRate;

    @Option(names = "--anomaly-kinds", split = ",", converter = AnomalyKindConverter.class,
            description = "Kinds to plant: extreme_value, broken_correlation, rare_category, contextual, level_shift."
                    + " Default: all.")
    private List<AnomalyKind> anomalyKinds;

    @Option(names = "--clock", description = "simulated (reproducible; default for --out) or wall (default for --topic).")
    private Clock clock;

    @Option(names = "--start", defaultValue = "2026-01-05T00:00:00Z", description = "First timestamp of the simulated clock. Default: ${DEFAULT-VALUE}")
    private Instant start;

    @Option(names = "--span", defaultValue = "P3D",
            description = "Simulated time the events cover (ISO-8601 duration), so training data sees whole days. Default: ${DEFAULT-VALUE}")
    private Duration span;

    @Option(names = "--key-field", defaultValue = "service",
            description = "Record key with --topic: service, host (for history features keyed by host) or event_id."
                    + " Default: ${DEFAULT-VALUE}")
    private String keyField;

    @Override
    public Integer call() {
        final Plan plan = plan();
        final TelemetryGenerator generator = new TelemetryGenerator(seed, anomalyRate, kinds());
        final PrintWriter err = spec.commandLine().getErr();
        final Map<AnomalyKind, Long> planted = new EnumMap<>(AnomalyKind.class);
        long written = 0;
        try (EventSink sink = openSink()) {
            final RateLimiter limiter = new RateLimiter(rate);
            final long startNanos = System.nanoTime();
            long lastReport = startNanos;
            while (plan.more(written, System.nanoTime() - startNanos)) {
                limiter.acquire();
                if (Thread.currentThread().isInterrupted()) {
                    break;
                }
                final Instant timestamp = plan.clock() == Clock.wall ? Instant.now() : plan.simulatedTime(start, written);
                final LabelledEvent event = generator.next(timestamp);
                sink.accept(event);
                event.label().kind().ifPresent(kind -> planted.merge(kind, 1L, Long::sum));
                if (event.label().silence() != null) {
                    planted.merge(AnomalyKind.SILENCE, 1L, Long::sum);
                }
                written++;
                final long now = System.nanoTime();
                if (now - lastReport >= PROGRESS_NANOS) {
                    lastReport = now;
                    err.printf("generated %,d events (%,.0f/s) to %s%n", written, written / ((now - startNanos) / 1e9), sink.describe());
                    err.flush();
                }
            }
            // a silence is no event's: it is counted apart from the events that carry an anomaly
            final long silences = planted.getOrDefault(AnomalyKind.SILENCE, 0L);
            spec.commandLine().getOut().printf("generated %,d events to %s; planted %,d anomalies %s%s%n", written,
                    sink.describe(), planted.values().stream().mapToLong(Long::longValue).sum() - silences, summary(planted),
                    silences == 0 ? "" : String.format(" and %,d silences", silences));
        }
        return 0;
    }

    private static String summary(final Map<AnomalyKind, Long> planted) {
        final StringBuilder out = new StringBuilder("(");
        for (final AnomalyKind kind : AnomalyKind.values()) {
            if (kind == AnomalyKind.SILENCE) {
                continue;
            }
            if (out.length() > 1) {
                out.append(", ");
            }
            out.append(kind.label()).append(' ').append(planted.getOrDefault(kind, 0L));
        }
        return out.append(')').toString();
    }

    private EventSink openSink() {
        final Optional<InlineLabels> inline = inlineLabels
                ? Optional.of(new InlineLabels("is_anomaly", "anomaly_kind")) : Optional.empty();
        if (destination.out != null) {
            return new FileSink(destination.out, Optional.ofNullable(labels), inline);
        }
        final Function<LabelledEvent, String> key = switch (keyField) {
            case EventJson.SERVICE -> e -> e.event().service();
            case EventJson.HOST -> e -> e.event().host();
            case EventJson.EVENT_ID -> e -> e.event().eventId();
            default -> throw new ParameterException(spec.commandLine(),
                    "--key-field must be service, host or event_id, got '" + keyField + "'");
        };
        return new TopicSink(avro.producer(spec, kafka.properties(spec), destination.topic), destination.topic, key,
                Optional.ofNullable(labels).map(LabelWriter::new), inline);
    }

    private Plan plan() {
        final boolean toFile = destination.out != null;
        final Clock chosen = clock != null ? clock : toFile ? Clock.simulated : Clock.wall;
        if (toFile && durationSeconds != null) {
            throw new ParameterException(spec.commandLine(), "--duration applies to --topic; use --count with --out");
        }
        final long events = count != null ? count : toFile ? 10_000 : durationSeconds != null && rate > 0
                ? (long) Math.ceil(durationSeconds * rate) : Long.MAX_VALUE;
        if (events < 0) {
            throw new ParameterException(spec.commandLine(), "--count must not be negative");
        }
        if (chosen == Clock.simulated && events == Long.MAX_VALUE) {
            throw new ParameterException(spec.commandLine(),
                    "the simulated clock needs a known number of events: give --count (or --duration with --rate)");
        }
        if (span.isNegative() || span.isZero()) {
            throw new ParameterException(spec.commandLine(), "--span must be positive, got " + span);
        }
        final long deadline = durationSeconds == null ? Long.MAX_VALUE : Duration.ofSeconds(durationSeconds).toNanos();
        return new Plan(chosen, events, deadline, span);
    }

    /** When to stop and which timestamps to use. */
    private record Plan(Clock clock, long events, long deadlineNanos, Duration span) {

        boolean more(final long written, final long elapsedNanos) {
            return written < events && elapsedNanos < deadlineNanos;
        }

        Instant simulatedTime(final Instant start, final long index) {
            return start.plusNanos((long) (span.toNanos() * ((double) index / events)));
        }
    }

    /** Parses anomaly kinds by their label names. */
    static final class AnomalyKindConverter implements picocli.CommandLine.ITypeConverter<AnomalyKind> {
        @Override
        public AnomalyKind convert(final String value) {
            return AnomalyKind.fromLabel(value);
        }
    }

    private Set<AnomalyKind> kinds() {
        return anomalyKinds == null ? EnumSet.allOf(AnomalyKind.class) : EnumSet.copyOf(anomalyKinds);
    }
}
