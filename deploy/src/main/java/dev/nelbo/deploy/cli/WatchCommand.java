package dev.nelbo.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nelbo.contract.TopicNames;
import dev.nelbo.contract.output.AlertKind;
import dev.nelbo.deploy.watch.AlertRow;
import dev.nelbo.deploy.watch.Evaluation;
import dev.nelbo.deploy.watch.LabelTail;
import dev.nelbo.deploy.watch.Silences;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import static dev.nelbo.contract.output.OutputField.ANOMALY;
import static dev.nelbo.contract.output.OutputField.CONTEXT;
import static dev.nelbo.contract.output.OutputField.MODEL_VERSION;
import static dev.nelbo.contract.output.OutputField.DETECTED_AT;
import static dev.nelbo.contract.output.OutputField.EVENT_TIME;
import static dev.nelbo.contract.output.OutputField.KEY;
import static dev.nelbo.contract.output.OutputField.LAST_SEEN;
import static dev.nelbo.contract.output.OutputField.ENTITY_ANOMALOUS;
import static dev.nelbo.contract.output.OutputField.EVENT_ID;
import static dev.nelbo.contract.output.OutputField.KIND;
import static dev.nelbo.contract.output.OutputField.ONSET_EVENT_ID;

/**
 * Follows the scorer's output while events stream: alerts as a compact table, then precision and recall
 * of the scorer's anomaly flags against the generator's planted labels.
 */
@Command(name = "watch", mixinStandardHelpOptions = true,
        description = {"Show alerts as they arrive and finish with precision/recall against planted labels.",
                "Reads the alerts, scores and dead-letter topics (read_committed) from the beginning; stops once"
                        + " --expect events are accounted for, after --idle seconds without output, or at --timeout."})
public final class WatchCommand implements Callable<Integer> {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long DRAIN_NANOS = 1_500_000_000L;
    private static final long LABEL_WAIT_NANOS = 2_000_000_000L;
    /** Alerts --feedback labels at most. */
    private static final int MAX_FEEDBACK = 100_000;

    @Spec
    private CommandSpec spec;

    @CommandLine.Mixin
    private KafkaClientOptions kafka;

    @Option(names = "--alerts", defaultValue = TopicNames.ALERTS, description = "Default: ${DEFAULT-VALUE}")
    private String alertsTopic;

    @Option(names = "--scores", defaultValue = TopicNames.SCORES, description = "Default: ${DEFAULT-VALUE}")
    private String scoresTopic;

    @Option(names = "--dlq", defaultValue = TopicNames.DLQ, description = "Default: ${DEFAULT-VALUE}")
    private String dlqTopic;

    @Option(names = "--labels", required = true, description = "Labels JSONL written by generate --labels (may still be growing).")
    private Path labelsFile;

    @Option(names = "--expect", defaultValue = "0", description = "Events to wait for (scored or dead-lettered); 0 = until idle.")
    private long expect;

    @Option(names = "--idle", defaultValue = "20", description = "Stop after this many seconds without new output. Default: ${DEFAULT-VALUE}")
    private int idleSeconds;

    @Option(names = "--timeout", defaultValue = "600", description = "Stop after this many seconds in any case. Default: ${DEFAULT-VALUE}")
    private int timeoutSeconds;

    @Option(names = "--max-rows", defaultValue = "40", description = "Alert rows to print; the rest are counted. Default: ${DEFAULT-VALUE}")
    private int maxRows;

    @Option(names = "--width", defaultValue = "150", description = "Row width. Default: ${DEFAULT-VALUE}")
    private int width;

    @Option(names = "--feedback", paramLabel = "TOPIC", description = "At the end, label each alert false_positive or"
            + " true_positive from the planted labels, as an analyst would, on this feedback topic (the scorers measure"
            + " alert precision from it; nelbo-scorer feedback reads it back).")
    private String feedbackTopic;

    @Override
    public Integer call() throws IOException {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final LabelTail labels = new LabelTail(labelsFile);
        final Map<String, Boolean> flagged = new HashMap<>();
        final Deque<PendingAlert> pending = new ArrayDeque<>();
        long alerts = 0;
        // each entity alert's event and onset, judged against the labels at the end
        final List<String[]> entityAlerts = new java.util.ArrayList<>();
        final List<Silences.Alert> silenceAlerts = new java.util.ArrayList<>();
        // every event and entity alert, for --feedback
        final List<JsonNode> labelable = new java.util.ArrayList<>();
        long lastEvent = Long.MIN_VALUE;
        long deadLetters = 0;
        final long start = System.nanoTime();
        long lastOutput = start;
        long lastProgress = start;
        out.println(AlertRow.HEADER);
        out.flush();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProperties())) {
            consumer.subscribe(List.of(alertsTopic, scoresTopic, dlqTopic));
            long completeSince = 0;
            while (true) {
                final long now = System.nanoTime();
                if (completeSince == 0 && expect > 0 && flagged.size() + deadLetters >= expect) {
                    completeSince = now;
                }
                // Alerts may trail the scores they belong to (other partitions): drain a little once complete.
                final boolean drained = completeSince > 0 && now - completeSince > DRAIN_NANOS && now - lastOutput > DRAIN_NANOS;
                final boolean idle = (flagged.size() + deadLetters > 0 || expect == 0) && now - lastOutput > Duration.ofSeconds(idleSeconds).toNanos();
                if (drained || idle || now - start > Duration.ofSeconds(timeoutSeconds).toNanos()) {
                    break;
                }
                labels.poll();
                for (final ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    lastOutput = System.nanoTime();
                    if (record.topic().equals(dlqTopic)) {
                        deadLetters++;
                        continue;
                    }
                    final JsonNode value = MAPPER.readTree(record.value());
                    final String eventId = value.path(EVENT_ID.wireName()).asText();
                    if (record.topic().equals(scoresTopic)) {
                        // an event counts as flagged by its own score or by its entity's anomalous state
                        flagged.put(eventId, value.path(ANOMALY.wireName()).asBoolean()
                                || value.path(ENTITY_ANOMALOUS.wireName()).asBoolean(false));
                        lastEvent = Math.max(lastEvent, value.path(EVENT_TIME.wireName()).asLong(Long.MIN_VALUE));
                    } else {
                        final String kind = value.path(KIND.wireName()).asText();
                        if (AlertKind.SILENCE.wireName().equals(kind)) {
                            silenceAlerts.add(new Silences.Alert(value.path(KEY.wireName()).asText(),
                                    value.path(LAST_SEEN.wireName()).asLong(), value.path(DETECTED_AT.wireName()).asLong()));
                        }
                        if (AlertKind.ENTITY.wireName().equals(kind)) {
                            entityAlerts.add(new String[] {eventId, value.path(ONSET_EVENT_ID.wireName()).asText()});
                        }
                        if (feedbackTopic != null && !eventId.isEmpty() && labelable.size() < MAX_FEEDBACK) {
                            labelable.add(value);
                        }
                        if (++alerts <= maxRows) {
                            pending.add(new PendingAlert(value, eventId, System.nanoTime()));
                        }
                    }
                }
                printReady(pending, labels, out, false);
                if (System.nanoTime() - lastProgress > Duration.ofSeconds(10).toNanos()) {
                    lastProgress = System.nanoTime();
                    err.printf("  ... %,d scored%s, %,d alerts, %,d dead letters%n", flagged.size(),
                            expect > 0 ? " of " + String.format("%,d", expect) : "", alerts, deadLetters);
                    err.flush();
                }
            }
        }
        labels.poll();
        printReady(pending, labels, out, true);
        if (alerts > maxRows) {
            out.printf("... and %,d more alerts (topic %s)%n", alerts - maxRows, alertsTopic);
        }
        awaitLabels(labels, flagged);
        final Map<String, java.util.Optional<String>> all = labels.all();
        final long onAnomalies = entityAlerts.stream().filter(a -> plantedAnomaly(all, a[0]) || plantedAnomaly(all, a[1])).count();
        report(out, Evaluation.of(flagged, all, labels.episodes()), flagged.size(), alerts, deadLetters,
                (System.nanoTime() - start) / 1e9);
        Silences.of(labels.silences(), silenceAlerts, lastEvent).print(out);
        if (!entityAlerts.isEmpty()) {
            out.printf("entity alerts: %,d, of which %,d at or after the onset of a planted anomaly and %,d on normal"
                    + " behaviour%n", entityAlerts.size(), onAnomalies, entityAlerts.size() - onAnomalies);
            out.flush();
        }
        if (feedbackTopic != null) {
            writeFeedback(labelable, all, out);
        }
        return flagged.isEmpty() ? 1 : 0;
    }

    /**
     * Labels each alert as an analyst would: true positive when its event (or, for an entity alert, the onset of its
     * run) is a planted anomaly, else false positive; keyed by event id, as {@code alert-feedback.schema.json} says any
     * tool may write them (the latest label of an id wins, as the scorers read it).
     */
    private void writeFeedback(final List<JsonNode> alerts, final Map<String, java.util.Optional<String>> planted,
                               final PrintWriter out) throws IOException {
        final Map<String, ObjectNode> labels = new java.util.LinkedHashMap<>();
        for (final JsonNode alert : alerts) {
            final String eventId = alert.path(EVENT_ID.wireName()).asText();
            if (planted.get(eventId) == null) {
                continue;
            }
            final boolean entity = AlertKind.ENTITY.wireName().equals(alert.path(KIND.wireName()).asText());
            final boolean incident = plantedAnomaly(planted, eventId)
                    || entity && plantedAnomaly(planted, alert.path(ONSET_EVENT_ID.wireName()).asText());
            final ObjectNode label = MAPPER.createObjectNode().put("label", incident ? "true_positive" : "false_positive")
                    .put("model_version", alert.path(MODEL_VERSION.wireName()).asText())
                    .put("kind", entity ? AlertKind.ENTITY.wireName() : AlertKind.EVENT.wireName())
                    .put("by", "nelbo-tools watch").put("note", incident ? "a planted anomaly" : "normal behaviour")
                    .put("labelled_at", System.currentTimeMillis());
            if (alert.path(KEY.wireName()).isTextual()) {
                label.put("key", alert.path(KEY.wireName()).asText());
            }
            if (alert.path(CONTEXT.wireName()).isObject()) {
                label.set("context", alert.path(CONTEXT.wireName()));
            }
            labels.put(eventId, label);
        }
        final Properties props = new Properties();
        props.putAll(kafka.properties(spec));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (final Map.Entry<String, ObjectNode> e : labels.entrySet()) {
                producer.send(new ProducerRecord<>(feedbackTopic, e.getKey(), MAPPER.writeValueAsString(e.getValue())));
            }
            producer.flush();
        }
        final long truePositives = labels.values().stream().filter(l -> "true_positive".equals(l.get("label").asText())).count();
        // which planted anomalies reached an alert of their own (an entity alert's onset counts as its run's)
        final Map<String, Long> byKind = new java.util.TreeMap<>();
        labels.keySet().forEach(id -> planted.getOrDefault(id, java.util.Optional.empty()).ifPresent(
                kind -> byKind.merge(kind, 1L, Long::sum)));
        out.printf(java.util.Locale.ROOT, "feedback: labelled %d alerts in %s (%d true, %d false positive): precision %.4f%n",
                labels.size(), feedbackTopic, truePositives, labels.size() - truePositives,
                labels.isEmpty() ? Double.NaN : (double) truePositives / labels.size());
        out.println("feedback: planted anomalies with an alert, by kind: " + byKind.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()).collect(java.util.stream.Collectors.joining(", ")));
        out.flush();
    }

    /** An alert waiting (briefly) for its label, which the generator flushes a moment after sending. */
    private record PendingAlert(JsonNode alert, String eventId, long receivedNanos) {
    }

    /** Prints waiting alerts in arrival order once their label is known, or after a short wait without it. */
    private void printReady(final Deque<PendingAlert> pending, final LabelTail labels, final PrintWriter out,
                            final boolean all) {
        while (!pending.isEmpty()) {
            final PendingAlert next = pending.peekFirst();
            // a silence alert names no event: nothing to wait for
            if (!all && !next.eventId().isEmpty() && labels.label(next.eventId()).isEmpty()
                    && System.nanoTime() - next.receivedNanos() < LABEL_WAIT_NANOS) {
                break;
            }
            pending.removeFirst();
            out.println(AlertRow.format(next.alert(), planted(labels, next.eventId()), width));
        }
        out.flush();
    }

    private static String planted(final LabelTail labels, final String eventId) {
        if (eventId.isEmpty()) {
            return "-";
        }
        return labels.label(eventId).map(kind -> kind.orElse("normal")).orElse("?");
    }

    /** The generator closes the labels file only after its last send is acknowledged: give it a moment. */
    private static void awaitLabels(final LabelTail labels, final Map<String, Boolean> flagged) {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        labels.poll();
        while (flagged.keySet().stream().anyMatch(id -> labels.label(id).isEmpty()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(200);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            labels.poll();
        }
    }

    private static boolean plantedAnomaly(final Map<String, java.util.Optional<String>> labels, final String eventId) {
        final java.util.Optional<String> kind = labels.get(eventId);
        return kind != null && kind.isPresent();
    }

    private static void report(final PrintWriter out, final Evaluation e, final long scored, final long alerts,
                               final long deadLetters, final double seconds) {
        out.println();
        out.printf("scored %,d events, %,d alerts, %,d dead letters in %.0f s%n", scored, alerts, deadLetters, seconds);
        e.print(out);
    }

    private Properties consumerProperties() {
        final Properties props = new Properties();
        props.putAll(kafka.properties(spec));
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "nelbo-watch-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // The scorer writes exactly-once: only committed output counts.
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return props;
    }
}
