package dev.nelbo.deploy.kafka;

import dev.nelbo.testkit.CliRun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nelbo.deploy.NelboTools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tools' Kafka commands against a real in-process broker. */
class KafkaToolsIntegrationTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static InProcessKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = new InProcessKafka();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        kafka.close();
    }

    private static CliRun run(final String... args) {
        return CliRun.execute(NelboTools.commandLine(), args);
    }

    @Test
    void topics_creates_nelbo_topics_with_leaders_and_a_compacted_registry_and_is_idempotent() throws Exception {
        final CliRun first = run("topics", "--bootstrap-servers", kafka.bootstrapServers(), "--partitions", "4",
                "--events", "t-events", "--scores", "t-scores", "--alerts", "t-alerts", "--dlq", "t-dlq", "--registry", "t-models");
        assertEquals(0, first.exit(), first.err());
        assertTrue(first.out().contains("created t-events (4 partitions)"), first.out());
        final CliRun second = run("topics", "--bootstrap-servers", kafka.bootstrapServers(), "--partitions", "4",
                "--events", "t-events", "--scores", "t-scores", "--alerts", "t-alerts", "--dlq", "t-dlq", "--registry", "t-models");
        assertEquals(0, second.exit(), second.err());
        assertTrue(second.out().contains("exists  t-events"), second.out());

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            final Map<String, TopicDescription> topics = admin.describeTopics(
                    List.of("t-events", "t-scores", "t-alerts", "t-dlq", "t-models")).allTopicNames().get(10, TimeUnit.SECONDS);
            assertEquals(4, topics.get("t-events").partitions().size());
            assertEquals(4, topics.get("t-scores").partitions().size());
            assertEquals(2, topics.get("t-alerts").partitions().size());
            assertEquals(1, topics.get("t-models").partitions().size());
            topics.values().forEach(t -> t.partitions().forEach(p -> assertTrue(p.leader() != null && !p.leader().isEmpty(),
                    t.name() + "-" + p.partition() + " has no leader")));
            final ConfigResource registry = new ConfigResource(ConfigResource.Type.TOPIC, "t-models");
            final Config config = admin.describeConfigs(List.of(registry)).all().get(10, TimeUnit.SECONDS).get(registry);
            assertEquals("compact", config.get("cleanup.policy").value());
        }
    }

    @Test
    void topics_reports_an_unreachable_broker_in_one_line() {
        final CliRun run = run("topics", "--bootstrap-servers", "127.0.0.1:1", "--timeout", "2");
        assertEquals(1, run.exit());
        assertTrue(run.err().startsWith("error: "), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
    }

    @Test
    void generate_sends_every_event_keyed_by_service_with_event_time_and_writes_a_label_for_each() throws Exception {
        assertEquals(0, run("topics", "--bootstrap-servers", kafka.bootstrapServers(), "--events", "g-events",
                "--scores", "g-scores", "--alerts", "g-alerts", "--dlq", "g-dlq", "--registry", "g-models").exit());
        final Path labels = dir.resolve("labels.jsonl");
        final CliRun run = run("generate", "--topic", "g-events", "--bootstrap-servers", kafka.bootstrapServers(),
                "--count", "3000", "--clock", "simulated", "--seed", "5", "--anomaly-rate", "0.05", "--labels", labels.toString());
        assertEquals(0, run.exit(), run.err());

        final List<ConsumerRecord<String, String>> records = kafka.consume("g-events", 3000, Duration.ofSeconds(30));
        assertEquals(3000, records.size());
        final List<String> labelLines = Files.readAllLines(labels, StandardCharsets.UTF_8);
        assertEquals(3000, labelLines.size());
        final Set<String> labelled = new HashSet<>();
        for (final String line : labelLines) {
            labelled.add(MAPPER.readTree(line).get("event_id").asText());
        }
        for (final ConsumerRecord<String, String> record : records) {
            final JsonNode event = MAPPER.readTree(record.value());
            assertEquals(event.get("service").asText(), record.key());
            assertEquals(Instant.parse(event.get("ts").asText()).toEpochMilli(), record.timestamp());
            assertTrue(labelled.contains(event.get("event_id").asText()));
        }
    }

    @Test
    void replay_sends_every_line_verbatim_with_keys_from_the_path_and_bad_lines_without_key() throws Exception {
        assertEquals(0, run("topics", "--bootstrap-servers", kafka.bootstrapServers(), "--events", "r-events",
                "--scores", "r-scores", "--alerts", "r-alerts", "--dlq", "r-dlq", "--registry", "r-models").exit());
        final Path file = dir.resolve("backfill.jsonl");
        Files.write(file, List.of(
                "{\"user\":{\"id\":\"u1\"},\"v\":1}",
                "",
                "{\"user\":{\"id\":\"u2\"},\"v\":2}",
                "not json at all",
                "{\"v\":3}"), StandardCharsets.UTF_8);
        final CliRun run = run("replay", "--file", file.toString(), "--topic", "r-events",
                "--bootstrap-servers", kafka.bootstrapServers(), "--key-path", "$.user.id", "--rate", "100");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("replayed 4 records"), run.out());
        assertTrue(run.out().contains("1 not JSON, 2 without key"), run.out());

        final List<ConsumerRecord<String, String>> records = kafka.consume("r-events", 4, Duration.ofSeconds(30));
        assertEquals(4, records.size());
        final Map<String, String> byValue = new HashMap<>();
        records.forEach(r -> byValue.put(r.value(), r.key()));
        assertEquals("u1", byValue.get("{\"user\":{\"id\":\"u1\"},\"v\":1}"));
        assertEquals("u2", byValue.get("{\"user\":{\"id\":\"u2\"},\"v\":2}"));
        assertTrue(byValue.containsKey("not json at all"));
        assertNull(byValue.get("not json at all"));
        assertNull(byValue.get("{\"v\":3}"));
    }

    @Test
    void watch_prints_alert_rows_and_precision_recall_against_planted_labels() throws Exception {
        assertEquals(0, run("topics", "--bootstrap-servers", kafka.bootstrapServers(), "--events", "w-events",
                "--scores", "w-scores", "--alerts", "w-alerts", "--dlq", "w-dlq", "--registry", "w-models").exit());
        final Path labels = dir.resolve("labels.jsonl");
        // e1, e2 planted; e3, e4 normal. The scorer flagged e1 (right) and e3 (wrong), missed e2.
        Files.write(labels, List.of(
                "{\"event_id\":\"e1\",\"anomaly\":true,\"kind\":\"extreme_value\",\"detail\":\"latency_ms x90\"}",
                "{\"event_id\":\"e2\",\"anomaly\":true,\"kind\":\"contextual\",\"detail\":\"rps\"}",
                "{\"event_id\":\"e3\",\"anomaly\":false,\"kind\":null,\"detail\":\"\"}",
                "{\"event_id\":\"e4\",\"anomaly\":false,\"kind\":null,\"detail\":\"\"}"), StandardCharsets.UTF_8);
        try (CheckedProducer scores = new CheckedProducer(kafka.bootstrapServers(), "w-scores")) {
            for (final String[] s : new String[][] {{"e1", "true"}, {"e2", "false"}, {"e3", "true"}, {"e4", "false"}}) {
                scores.send(s[0], "{\"event_id\":\"" + s[0] + "\",\"score\":1.0,\"anomaly\":" + s[1] + "}", null);
            }
        }
        try (CheckedProducer alerts = new CheckedProducer(kafka.bootstrapServers(), "w-alerts")) {
            alerts.send("search", "{\"event_id\":\"e1\",\"key\":\"search\",\"event_time\":1767571200000,\"model_version\":\"v1\","
                    + "\"score\":42.5,\"threshold\":12.0,\"tail_probability\":0.0001,\"top_features\":[{\"feature\":\"latency_ms\","
                    + "\"contribution\":30.1,\"observed\":4050.5,\"expected\":45.2}],\"suppressed_since_last\":0,\"suppression_window_ms\":0}", null);
        }
        try (CheckedProducer dlq = new CheckedProducer(kafka.bootstrapServers(), "w-dlq")) {
            dlq.send(null, "{\"reason\":\"malformed\"}", null);
        }
        final CliRun run = run("watch", "--bootstrap-servers", kafka.bootstrapServers(), "--alerts", "w-alerts", "--scores", "w-scores",
                "--dlq", "w-dlq", "--labels", labels.toString(), "--expect", "5", "--timeout", "60");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("00:00:00  e1"), run.out());
        assertTrue(run.out().contains("extreme_value        latency_ms 4051/45.20"), run.out());
        assertTrue(run.out().contains("scored 4 events, 1 alerts, 1 dead letters"), run.out());
        assertTrue(run.out().contains("true positives 1, false positives 1, missed 1"), run.out());
        assertTrue(run.out().contains("precision 0.500   recall 0.500"), run.out());
        assertTrue(run.out().contains("recall by kind:  contextual 0/1  extreme_value 1/1"), run.out());
    }
}
