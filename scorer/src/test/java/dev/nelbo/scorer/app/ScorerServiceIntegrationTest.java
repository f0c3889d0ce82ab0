package dev.nelbo.scorer.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.output.DeadLetter;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.testkit.KafkaTestClients;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.testkit.SharedBroker;
import dev.nelbo.scorer.testkit.TestScorers;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scorer service against a real (in-process KRaft) broker. */
class ScorerServiceIntegrationTest {

    @TempDir
    Path dir;

    @Test
    void should_score_or_dead_letter_every_record_and_alert_on_planted_anomalies_on_cuda_fallback() throws Exception {
        final Topics topics = TestScorers.freshTopics("e2e", 3);
        final String version = ScorerFixtures.writeModel(dir.resolve("model"), 1);
        final List<byte[][]> records = new ArrayList<>();
        final Map<String, FailureReason> expectedReason = new HashMap<>();
        final Set<String> anomalyIds = new HashSet<>();
        for (int i = 0; i < 1500; i++) {
            records.add(new byte[][] {("k" + i).getBytes(StandardCharsets.UTF_8), ScorerFixtures.normal(i)});
            if (i % 300 == 0) {
                final int id = 100_000 + i;
                records.add(new byte[][] {null, ScorerFixtures.anomaly(id, "planted-" + i, 1_800_000_000_000L + i)});
                anomalyIds.add("e-" + id);
            }
            if (i % 500 == 0) {
                for (final ScorerFixtures.BadRecord b : ScorerFixtures.badRecords(200_000 + i)) {
                    records.add(new byte[][] {null, b.value()});
                    if (b.expected() != null) {
                        expectedReason.put(DeadLetter.sha256(b.value()), b.expected());
                    }
                }
            }
        }
        // cuda is requested on a machine without it: the engine falls back to CPU with a WARN
        final Map<String, String> settings = TestScorers.settings(SharedBroker.uniqueName("e2e-app"), topics,
                dir.resolve("model"), Map.of("nelbo.device", "cuda", "nelbo.batch.max.records", "128"));
        try (ScorerService service = ScorerService.start(TestScorers.config(settings), new PrometheusRegistry(), false)) {
            assertEquals("cpu", service.models().current().device());
            final List<RecordMetadata> sent = KafkaTestClients.produce(topics.events(), records);
            final List<ConsumerRecord<byte[], byte[]>> out = KafkaTestClients.readCommitted(
                    List.of(topics.scores(), topics.dlq()), Duration.ofSeconds(60), l -> l.size() >= sent.size());
            assertEquals(sent.size(), out.size(), "scored + dead-lettered = produced");
            final Set<String> coordinates = new HashSet<>();
            int deadLettered = 0;
            for (final ConsumerRecord<byte[], byte[]> r : out) {
                final JsonNode doc = ScorerFixtures.parse(r.value());
                assertEquals(version, new String(r.headers().lastHeader(Topics.MODEL_VERSION_HEADER).value(), StandardCharsets.UTF_8));
                final JsonNode src = doc.get("source");
                assertTrue(coordinates.add(src.get("partition").asInt() + "@" + src.get("offset").asLong()), "duplicate " + src);
                if (r.topic().equals(topics.dlq())) {
                    deadLettered++;
                    assertEquals(List.of(), Schemas.validate(SchemaDocument.DEAD_LETTER, doc));
                    final FailureReason want = expectedReason.get(doc.get("payload_sha256").asText());
                    assertEquals(want == null ? null : want.wireName(), doc.get("reason").asText(), doc.get("message").asText());
                } else {
                    assertEquals(List.of(), Schemas.validate(SchemaDocument.SCORE, doc));
                }
            }
            final long expectedDead = records.stream().filter(kv -> expectedReason.containsKey(DeadLetter.sha256(kv[1]))).count();
            assertEquals(expectedDead, deadLettered);
            final List<ConsumerRecord<byte[], byte[]>> alerts = KafkaTestClients.readCommitted(List.of(topics.alerts()),
                    Duration.ofSeconds(20), l -> l.stream().map(r -> ScorerFixtures.parse(r.value()).get("event_id").asText())
                            .toList().containsAll(anomalyIds));
            final Set<String> alerted = new HashSet<>();
            alerts.forEach(r -> alerted.add(ScorerFixtures.parse(r.value()).get("event_id").asText()));
            assertTrue(alerted.containsAll(anomalyIds), "alerts " + alerted + " must include " + anomalyIds);

            final String metrics = get(service.metricsPort(), "/metrics");
            for (final String name : List.of("nelbo_records_in_total", "nelbo_records_scored_total",
                    "nelbo_records_dead_lettered_total{reason=\"malformed\"}", "nelbo_alerts_total", "nelbo_score_bucket",
                    "nelbo_batch_size_records_bucket", "nelbo_inference_seconds_bucket", "nelbo_end_to_end_latency_seconds_bucket",
                    "nelbo_model_info{version=\"" + version + "\"} 1", "nelbo_model_load_seconds", "nelbo_model_threshold 60.0",
                    "nelbo_model_training_score_quantile{quantile=\"0.99\"}", "nelbo_kafka_consumer_lag_records",
                    "nelbo_kafka_process_rate", "nelbo_kafka_commit_latency_seconds", "nelbo_alerts_suppressed_total",
                    "nelbo_model_rejected_total")) {
                assertTrue(metrics.contains(name), "metrics must contain " + name);
            }
            assertTrue(metrics.contains("nelbo_records_in_total " + records.size() + ".0"), "records in = produced");
            assertEquals("ready\n", get(service.metricsPort(), "/readyz"));
            assertEquals("ok\n", get(service.metricsPort(), "/healthz"));
        }
    }

    @Test
    @SuppressWarnings("try")
    void should_keep_alert_suppression_across_a_restart() throws Exception {
        final Topics topics = TestScorers.freshTopics("suppress", 1);
        ScorerFixtures.writeModel(dir.resolve("model"), 1);
        final String appId = SharedBroker.uniqueName("suppress-app");
        // event times near the record timestamps (now): further away the record timestamp would be used instead; and
        // behind the clock, which the suppression state never runs ahead of
        final long t0 = System.currentTimeMillis() - 120_000;
        try (ScorerService first = ScorerService.start(TestScorers.config(TestScorers.settings(appId, topics, dir.resolve("model"),
                Map.of())), new PrometheusRegistry(), false)) {
            KafkaTestClients.produce(topics.events(), List.of(
                    new byte[][] {null, ScorerFixtures.anomaly(1, "db-1", t0)},
                    new byte[][] {null, ScorerFixtures.anomaly(2, "db-1", t0 + 1000)}));
            assertEquals(1, alerts(topics, 1).size());
            awaitScored(topics, 2);
        }
        // a new instance (fresh local state directory) restores the store from its changelog
        try (ScorerService second = ScorerService.start(TestScorers.config(TestScorers.settings(appId, topics, dir.resolve("model"),
                Map.of())), new PrometheusRegistry(), false)) {
            KafkaTestClients.produce(topics.events(), List.of(
                    new byte[][] {null, ScorerFixtures.anomaly(3, "db-1", t0 + 2000)},
                    new byte[][] {null, ScorerFixtures.anomaly(4, "db-1", t0 + 61_000)}));
            final List<JsonNode> sent = alerts(topics, 2);
            assertEquals(List.of("e-1", "e-4"), sent.stream().map(a -> a.get("event_id").asText()).toList(),
                    "e-2 and e-3 fall in e-1's window, also across the restart");
            assertEquals(2, sent.get(1).get("suppressed_since_last").asLong());
        }
    }

    private static List<JsonNode> alerts(final Topics topics, final int expected) {
        final List<JsonNode> out = new ArrayList<>();
        KafkaTestClients.readCommitted(List.of(topics.alerts()), Duration.ofSeconds(30), l -> l.size() >= expected)
                .forEach(r -> out.add(ScorerFixtures.parse(r.value())));
        return out;
    }

    private static void awaitScored(final Topics topics, final int expected) {
        assertEquals(expected, KafkaTestClients.readCommitted(List.of(topics.scores()), Duration.ofSeconds(30),
                l -> l.size() >= expected).size());
    }

    static String get(final int port, final String path) throws Exception {
        final HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
        return r.body();
    }
}
