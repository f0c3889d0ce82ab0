package dev.nelbo.scorer.feedback;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.scorer.app.ScorerService;
import dev.nelbo.scorer.cli.ScorerCli;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.scorer.testkit.TestScorers;
import dev.nelbo.testkit.KafkaTestClients;
import dev.nelbo.testkit.SharedBroker;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Operators label a running scorer's alerts with {@code nelbo-scorer feedback} (and a tool writes the topic directly):
 * the scorer's precision metrics are exact for the labels in force, per model version and per context value, and
 * follow relabelling, withdrawal and junk records live.
 */
class FeedbackIntegrationTest {

    @TempDir
    Path dir;

    private static CliResult feedback(final Map<String, String> settings, final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final List<String> all = new ArrayList<>(List.of("feedback", args[0]));
        for (final String key : List.of("bootstrap.servers", "nelbo.topic.feedback", "nelbo.topic.alerts")) {
            all.add("--set");
            all.add(key + "=" + settings.get(key));
        }
        all.addAll(List.of(args).subList(1, args.length));
        final int code = ScorerCli.execute(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliResult(code, out.toString(), err.toString());
    }

    private record CliResult(int code, String out, String err) {
    }

    private static void label(final Map<String, String> settings, final String eventId, final String label) {
        final CliResult r = feedback(settings, "add", eventId, "--label", label, "--by", "alice", "--note", "checked");
        assertEquals(0, r.code(), r.out() + r.err());
    }

    private static void await(final String what, final BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(100);
        }
    }

    @Test
    void precision_from_labels_is_exact_per_model_version_and_context_value_and_follows_every_change() throws Exception {
        final Topics topics = TestScorers.freshTopics("feedback", 1);
        final String version = ScorerFixtures.writeContextModel(dir.resolve("model"), 4);
        final Map<String, String> settings = TestScorers.settings(SharedBroker.uniqueName("feedback-app"), topics,
                dir.resolve("model"), Map.of("nelbo.alert.suppression.window.ms", "0"));
        final PrometheusRegistry metrics = new PrometheusRegistry();
        try (ScorerService scorer = ScorerService.start(TestScorers.config(settings), metrics, false)) {
            await("the scorer ready", scorer::isReady);
            final List<byte[][]> records = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                records.add(new byte[][] {("k-" + i).getBytes(StandardCharsets.UTF_8),
                        ScorerFixtures.anomaly(20_000 + i, "k-" + i, System.currentTimeMillis())});
            }
            KafkaTestClients.produce(topics.events(), records);
            final List<JsonNode> alerts = KafkaTestClients.readCommitted(List.of(topics.alerts()), Duration.ofSeconds(20),
                    r -> r.size() >= records.size()).stream().map(ConsumerRecord::value).map(ScorerFixtures::parse).toList();
            assertEquals(records.size(), alerts.size());
            for (final JsonNode a : alerts) {
                assertEquals(List.of(), Schemas.validate(SchemaDocument.ALERT, a));
                assertTrue(a.path("context").path("region").isTextual(), "an alert names its event's context value: " + a);
            }
            final String id0 = alerts.get(0).path("event_id").asText();
            final String id1 = alerts.get(1).path("event_id").asText();
            final String id2 = alerts.get(2).path("event_id").asText();
            final String id3 = alerts.get(3).path("event_id").asText();

            // three confirmed incidents and one false alarm: precision 3/4
            label(settings, id0, "true_positive");
            label(settings, id1, "true_positive");
            label(settings, id2, "true_positive");
            label(settings, id3, "false_positive");
            await("four labels counted", () -> TestScorers.metric(metrics, "nelbo_alert_feedback") == 4);
            assertEquals(0.75, TestScorers.metric(metrics, "nelbo_alert_precision", "model_version", version));
            assertEquals(3, TestScorers.metric(metrics, "nelbo_alert_feedback", "model_version", version, "label",
                    "true_positive"));
            assertEquals(1, TestScorers.metric(metrics, "nelbo_alert_feedback", "model_version", version, "label",
                    "false_positive"));
            // per region: exactly the labelled alerts of each region
            for (final String region : alerts.subList(0, 4).stream().map(a -> a.path("context").path("region").asText())
                    .distinct().toList()) {
                final long tp = alerts.subList(0, 3).stream().filter(a -> region.equals(a.path("context").path("region")
                        .asText())).count();
                final long fp = region.equals(alerts.get(3).path("context").path("region").asText()) ? 1 : 0;
                assertEquals((double) tp / (tp + fp), TestScorers.metric(metrics, "nelbo_alert_precision_by_context",
                        "model_version", version, "context", "region", "value", region), region);
            }

            // relabelled (the latest label of an id wins): all four true
            label(settings, id3, "true_positive");
            await("the relabel followed", () -> TestScorers.metric(metrics, "nelbo_alert_precision", "model_version",
                    version) == 1.0);
            // a tool writes a bare label, without the alert's model version: counted under 'unknown'
            KafkaTestClients.produce(settings.get("nelbo.topic.feedback"), List.<byte[][]>of(new byte[][] {
                    alerts.get(4).path("event_id").asText().getBytes(StandardCharsets.UTF_8),
                    "{\"label\":\"false_positive\"}".getBytes(StandardCharsets.UTF_8)}));
            await("the bare label counted", () -> TestScorers.metric(metrics, "nelbo_alert_feedback") == 5);
            assertEquals(0.0, TestScorers.metric(metrics, "nelbo_alert_precision", "model_version", "unknown"));
            assertEquals(1.0, TestScorers.metric(metrics, "nelbo_alert_precision", "model_version", version));

            // junk on the topic is refused and counted; the labels in force stay
            KafkaTestClients.produce(settings.get("nelbo.topic.feedback"), List.of(
                    new byte[][] {"x".getBytes(StandardCharsets.UTF_8), "not json".getBytes(StandardCharsets.UTF_8)},
                    new byte[][] {"y".getBytes(StandardCharsets.UTF_8),
                            "{\"label\":\"maybe\"}".getBytes(StandardCharsets.UTF_8)}));
            // (a keyless record never lands: the broker refuses it on a compacted topic)
            await("the junk counted", () -> TestScorers.metric(metrics, "nelbo_alert_feedback_rejected", "reason",
                    "invalid") == 2);
            assertEquals(5, TestScorers.metric(metrics, "nelbo_alert_feedback"));

            // withdrawn: the label no longer counts
            assertEquals(0, feedback(settings, "remove", id0).code());
            final CliResult again = feedback(settings, "remove", id0);
            assertNotEquals(0, again.code());
            assertTrue(again.err().contains("no label '" + id0 + "'"), again.err());
            await("the withdrawal followed", () -> TestScorers.metric(metrics, "nelbo_alert_feedback", "model_version",
                    version) == 3);
            final CliResult list = feedback(settings, "list");
            assertEquals(0, list.code(), list.err());
            assertTrue(list.out().contains("4 labelled alert(s)") && list.out().contains("precision 1.000  (3 true, 0 false"
                    + " positives)  model " + version), list.out());
            assertTrue(list.err().contains("skipped"), "list says which records it skipped: " + list.err());

            // an id with no alert is refused, naming the way out; nothing is written
            final CliResult missing = feedback(settings, "add", "no-such-event", "--label", "false_positive");
            assertNotEquals(0, missing.code());
            assertTrue(missing.err().contains("no alert with event id 'no-such-event'") && missing.err().contains("--no-lookup"),
                    missing.err());
            final CliResult badLabel = feedback(settings, "add", id1, "--label", "maybe");
            assertNotEquals(0, badLabel.code());
            assertTrue(badLabel.err().contains("false_positive, true_positive"), badLabel.err());
            Thread.sleep(1000);
            assertEquals(4, TestScorers.metric(metrics, "nelbo_alert_feedback"));
        }
    }
}
