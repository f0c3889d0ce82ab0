package dev.nelbo.scorer.rules;

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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Alert rules added, removed and expiring while two scorer instances (one application id, one partition each) score:
 * each change acts on both within seconds, through the rules command and the rules topic; scores never change.
 */
class AlertRulesIntegrationTest {

    @TempDir
    Path dir;

    private int next;

    /** Anomalous events (far above the expected latency and bytes) for the keys, now; returns how many. */
    private int sendAnomalies(final Topics topics, final List<String> keys) {
        final List<byte[][]> records = new ArrayList<>();
        for (final String key : keys) {
            records.add(new byte[][] {key.getBytes(StandardCharsets.UTF_8), ScorerFixtures.anomaly(10_000 + next++, key,
                    System.currentTimeMillis())});
        }
        KafkaTestClients.produce(topics.events(), records);
        return records.size();
    }

    private static List<JsonNode> alerts(final Topics topics, final int atLeast) {
        return KafkaTestClients.readCommitted(List.of(topics.alerts()), Duration.ofSeconds(20), r -> r.size() >= atLeast)
                .stream().map(ConsumerRecord::value).map(ScorerFixtures::parse).toList();
    }

    private static void await(final String what, final BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(100);
        }
    }

    private static String rules(final Map<String, String> settings, final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final List<String> all = new ArrayList<>(List.of("rules"));
        all.add(args[0]);
        for (final String key : List.of("bootstrap.servers", "nelbo.topic.rules", "nelbo.topic.alerts")) {
            all.add("--set");
            all.add(key + "=" + settings.get(key));
        }
        all.addAll(List.of(args).subList(1, args.length));
        final int code = ScorerCli.execute(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, out + "\n" + err);
        return out.toString();
    }

    @Test
    void rules_added_and_removed_while_two_instances_score_change_their_alerting_within_seconds() throws Exception {
        final Topics topics = TestScorers.freshTopics("rules", 2);
        ScorerFixtures.writeModel(dir.resolve("model"), 4);
        final String app = SharedBroker.uniqueName("rules-app");
        final Map<String, String> settings = TestScorers.settings(app, topics, dir.resolve("model"),
                Map.of("nelbo.alert.suppression.window.ms", "0"));
        final List<String> keys = List.of("k-0", "k-1", "k-2", "k-3", "k-4", "k-5", "k-6", "k-7");
        final PrometheusRegistry one = new PrometheusRegistry();
        final PrometheusRegistry two = new PrometheusRegistry();
        try (ScorerService a = ScorerService.start(TestScorers.config(settings), one, false);
             ScorerService b = ScorerService.start(TestScorers.config(TestScorers.settings(app, topics, dir.resolve("model"),
                     Map.of("nelbo.alert.suppression.window.ms", "0"))), two, false)) {
            await("both instances ready", () -> a.isReady() && b.isReady());
            final int sent = sendAnomalies(topics, keys);
            final List<JsonNode> before = alerts(topics, sent);
            assertEquals(sent, before.size(), "no rules: every anomalous event alerts");
            final String leading = before.get(0).path("top_features").get(0).path("feature").asText();
            assertTrue(before.stream().allMatch(x -> leading.equals(x.path("top_features").get(0).path("feature").asText())
                    && x.path("top_features").get(0).path("observed").asDouble()
                    > x.path("top_features").get(0).path("expected").asDouble()), "the planted feature leads, above expected");

            // a direction rule that only lets below-expected deviations of that feature through: these are above
            assertTrue(rules(settings, "add", "--id", "only-below", "--feature", leading, "--direction", "below")
                    .contains("added only-below"));
            await("both instances follow the rule", () -> TestScorers.metric(one, "nelbo_alert_rules") == 1
                    && TestScorers.metric(two, "nelbo_alert_rules") == 1);
            sendAnomalies(topics, keys);
            await("every new alert dropped on both instances", () -> TestScorers.metric(one, "nelbo_alerts_dropped")
                    + TestScorers.metric(two, "nelbo_alerts_dropped") == keys.size());
            assertTrue(TestScorers.metric(one, "nelbo_alerts_dropped") > 0 && TestScorers.metric(two, "nelbo_alerts_dropped") > 0,
                    "each instance dropped the alerts of its own partition");
            assertTrue(rules(settings, "list").contains("only-below  " + leading + ": only below expected"));

            // replaced by one that keeps above-expected deviations of at least 10%: the alerts pass and name it
            rules(settings, "remove", "only-below");
            rules(settings, "add", "--id", "above", "--feature", leading, "--direction", "above", "--min-rel", "0.1");
            await("the rules replaced", () -> a.isReady() && TestScorers.metric(one, "nelbo_alert_rules") == 1
                    && TestScorers.metric(two, "nelbo_alert_rules") == 1 && rules(settings, "list").contains("above  "));
            Thread.sleep(1500);
            final int expected = before.size() + keys.size();
            sendAnomalies(topics, keys);
            final List<JsonNode> kept = alerts(topics, expected);
            assertEquals(expected, kept.size(), "the above-expected alerts pass the above rule");
            final List<JsonNode> named = kept.stream().filter(x -> "above".equals(x.path("rule").asText())).toList();
            assertEquals(keys.size(), named.size(), "the alerts the rule kept name it: " + kept);
            assertEquals(List.of(), Schemas.validate(SchemaDocument.ALERT, named.get(0)));

            // a mute of one key for a few seconds: its alerts are dropped until it expires, the others pass
            rules(settings, "remove", "above");
            rules(settings, "add", "--id", "maintenance", "--mute", "--key", "k-3", "--until",
                    Instant.now().plusSeconds(6).toString(), "--reason", "disk swap");
            await("the mute followed", () -> rules(settings, "list").contains("maintenance") && TestScorers.metric(one,
                    "nelbo_alert_rules") == 1 && TestScorers.metric(two, "nelbo_alert_rules") == 1);
            Thread.sleep(1500);
            final double droppedBefore = TestScorers.metric(one, "nelbo_alerts_dropped") + TestScorers.metric(two,
                    "nelbo_alerts_dropped");
            sendAnomalies(topics, keys);
            final List<JsonNode> muted = alerts(topics, expected + keys.size() - 1);
            Thread.sleep(1000);
            assertEquals(droppedBefore + 1, TestScorers.metric(one, "nelbo_alerts_dropped") + TestScorers.metric(two,
                    "nelbo_alerts_dropped"), "the muted key's one alert dropped");
            assertEquals(2, muted.stream().filter(x -> "k-3".equals(x.path("key").asText())).count(),
                    "no new alert of the muted key");
            Thread.sleep(Math.max(0, Instant.parse(rules(settings, "list").replaceAll("(?s).*until (\\S+).*", "$1"))
                    .toEpochMilli() - System.currentTimeMillis() + 500));
            assertTrue(rules(settings, "list").contains("[expired]"));
            sendAnomalies(topics, List.of("k-3"));
            final List<JsonNode> after = alerts(topics, muted.size() + 1);
            assertEquals(3, after.stream().filter(x -> "k-3".equals(x.path("key").asText())).count(),
                    "an expired mute stops muting");
        }
    }
}
