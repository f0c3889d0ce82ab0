package dev.nelbo.scorer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.contract.output.AlertKind;
import dev.nelbo.contract.output.OutputField;
import dev.nelbo.schemas.feedback.AlertFeedback;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.scorer.config.ScorerConfig;
import dev.nelbo.scorer.config.ScorerKey;
import dev.nelbo.scorer.feedback.AlertPrecision;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code feedback}: operators' labels of alerts, in the compacted feedback topic ({@code nelbo.topic.feedback}), which
 * the scorers measure alert precision from and {@code retrain} trains with.
 */
@Command(name = "feedback", mixinStandardHelpOptions = true,
        description = {"Label alerts false_positive or true_positive, list the labels and the precision they measure.",
                "Any tool may write the topic too: key the alert's event id, value as alert-feedback.schema.json."},
        subcommands = {FeedbackCommand.Add.class, FeedbackCommand.ListLabels.class, FeedbackCommand.Remove.class})
public final class FeedbackCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code feedback add}. */
    @Command(name = "add", mixinStandardHelpOptions = true, description = {
            "Label an alert by its event id. The alert is looked up in the alerts topic (--since back) and its model"
                    + " version, kind, key and context values go with the label, so precision is measured per model"
                    + " version and context value; --no-lookup writes the label alone (it counts under model version"
                    + " 'unknown').",
            "A later label of the same event id replaces it."})
    static final class Add implements Callable<Integer> {
        @Mixin
        private SettingsOptions options = new SettingsOptions();
        @Spec
        private CommandSpec spec;
        @Parameters(paramLabel = "EVENT_ID", description = "The alert's event_id.")
        private String eventId;
        @Option(names = "--label", required = true, description = "false_positive or true_positive.")
        private String label;
        @Option(names = "--by", description = "Who labels it. Default: $USER.")
        private String by = System.getenv("USER");
        @Option(names = "--note", description = "Why.")
        private String note;
        @Option(names = "--since", defaultValue = "P7D", paramLabel = "DURATION",
                description = "How far back to look for the alert (ISO-8601). Default: ${DEFAULT-VALUE}")
        private Duration since;
        @Option(names = "--no-lookup", description = "Do not look the alert up; write the label alone.")
        private boolean noLookup;

        @Override
        public Integer call() {
            final ScorerConfig cfg = options.load();
            AlertFeedback.checkId(eventId);
            final AlertFeedback.Label verdict = AlertFeedback.Label.of(label);
            final long now = System.currentTimeMillis();
            final AlertFeedback feedback;
            if (noLookup) {
                feedback = new AlertFeedback(verdict, null, null, null, Map.of(), by, note, now);
            } else {
                final String alerts = cfg.require(ScorerKey.TOPIC_ALERTS);
                final JsonNode alert = find(cfg.clientProperties(), alerts, eventId, Instant.ofEpochMilli(now).minus(since));
                if (alert == null) {
                    throw new IllegalArgumentException("no alert with event id '" + eventId + "' in " + alerts + " since "
                            + Instant.ofEpochMilli(now).minus(since) + " (--since reaches further back; --no-lookup labels"
                            + " it without the alert's model version and context)");
                }
                final Map<String, String> context = new TreeMap<>();
                for (final Iterator<Map.Entry<String, JsonNode>> it = alert.path(OutputField.CONTEXT.wireName()).fields();
                     it.hasNext(); ) {
                    final Map.Entry<String, JsonNode> e = it.next();
                    context.put(e.getKey(), e.getValue().asText());
                }
                feedback = new AlertFeedback(verdict, text(alert, OutputField.MODEL_VERSION),
                        alert.path(OutputField.KIND.wireName()).asText(AlertKind.EVENT.wireName()), text(alert, OutputField.KEY),
                        context, by, note, now);
            }
            // the same checks the scorers and retrain apply, before anything is written
            final byte[] value = feedback.toJson();
            AlertFeedback.parse(eventId, value);
            final String topic = cfg.require(ScorerKey.TOPIC_FEEDBACK);
            TopicIo.write(cfg.clientProperties(), topic, AlertFeedback.MAX_BYTES, eventId, value);
            spec.commandLine().getOut().printf("labelled %s %s (model %s%s) in %s%n", eventId, verdict.wireName(),
                    feedback.modelVersionOrUnknown(), feedback.context().isEmpty() ? "" : ", context " + feedback.context(),
                    topic);
            return 0;
        }
    }

    /** {@code feedback list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "The labels in the feedback topic and the alert precision they measure, per model version.")
    static final class ListLabels implements Callable<Integer> {
        @Mixin
        private SettingsOptions options = new SettingsOptions();
        @Spec
        private CommandSpec spec;

        @Override
        public Integer call() {
            final ScorerConfig cfg = options.load();
            final PrintWriter out = spec.commandLine().getOut();
            final Map<String, AlertFeedback> labels = read(cfg.clientProperties(), cfg.require(ScorerKey.TOPIC_FEEDBACK),
                    spec.commandLine().getErr());
            labels.forEach((id, l) -> out.printf("%s  %s  model %s%s%s%n", id, l.label().wireName(), l.modelVersionOrUnknown(),
                    l.by() == null ? "" : "  by " + l.by(), l.note() == null ? "" : "  (" + l.note() + ")"));
            out.println(labels.size() + " labelled alert(s)");
            for (final AlertPrecision.Row r : AlertPrecision.of(labels.values()).rows()) {
                out.printf(Locale.ROOT, "precision %.3f  (%d true, %d false positives)  model %s%s%n", r.precision(),
                        r.truePositives(), r.falsePositives(), r.modelVersion(),
                        r.context() == null ? "" : "  " + r.context() + "=" + r.value());
            }
            return 0;
        }
    }

    /** {@code feedback remove}. */
    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Withdraw an alert's label (a tombstone).")
    static final class Remove implements Callable<Integer> {
        @Mixin
        private SettingsOptions options = new SettingsOptions();
        @Spec
        private CommandSpec spec;
        @Parameters(paramLabel = "EVENT_ID", description = "The alert's event_id.")
        private String eventId;

        @Override
        public Integer call() {
            final ScorerConfig cfg = options.load();
            final String topic = cfg.require(ScorerKey.TOPIC_FEEDBACK);
            TopicIo.remove(cfg.clientProperties(), topic, AlertFeedback.MAX_BYTES, eventId, spec.commandLine().getErr(),
                    AlertFeedback::apply, "label");
            spec.commandLine().getOut().println("withdrew the label of " + eventId + " from " + topic);
            return 0;
        }
    }

    /** @return the labels in force, by event id, as the scorers read them (records that are not labels: said on err) */
    private static Map<String, AlertFeedback> read(final Map<String, Object> client, final String topic,
                                                   final PrintWriter err) {
        return TopicIo.latest(client, topic, err, AlertFeedback::apply);
    }

    /** @return the latest event or entity alert of the event id since the instant, or null */
    private static JsonNode find(final Map<String, Object> client, final String topic, final String eventId,
                                 final Instant since) {
        final List<ConsumerRecord<String, byte[]>> records = TopicIo.since(client, topic, since);
        final Map<String, JsonNode> byKind = new LinkedHashMap<>();
        for (final ConsumerRecord<String, byte[]> r : records) {
            try {
                final JsonNode alert = Json.DOCUMENTS.readTree(r.value());
                if (alert != null && eventId.equals(text(alert, OutputField.EVENT_ID))) {
                    byKind.put(alert.path(OutputField.KIND.wireName()).asText(AlertKind.EVENT.wireName()), alert);
                }
            } catch (final IOException | RuntimeException e) {
                // not an alert: another tool's record on the topic
            }
        }
        // an event can raise both: its own alert is the one labelled
        return byKind.getOrDefault(AlertKind.EVENT.wireName(), byKind.get(AlertKind.ENTITY.wireName()));
    }

    private static String text(final JsonNode alert, final OutputField field) {
        final JsonNode n = alert.get(field.wireName());
        return n == null || !n.isTextual() ? null : n.asText();
    }
}
