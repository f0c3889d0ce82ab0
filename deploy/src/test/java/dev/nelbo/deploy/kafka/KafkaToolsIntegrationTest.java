package dev.nelbo.deploy.kafka;

import dev.nelbo.testkit.CliRun;
import dev.nelbo.testkit.KafkaTestClients;
import dev.nelbo.testkit.SharedBroker;

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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tools' Kafka commands against the real in-process broker shared by the module's tests. */
class KafkaToolsIntegrationTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    private static String bootstrap() {
        return SharedBroker.get().bootstrapServers();
    }

    private static CliRun run(final String... args) {
        return CliRun.execute(NelboTools.commandLine(), args);
    }

    /** The five nelbo topics under names no other test on the shared broker uses. */
    private record NelboTopics(String events, String scores, String alerts, String dlq, String registry, String status) {

        static NelboTopics unique(final String prefix) {
            return new NelboTopics(SharedBroker.uniqueName(prefix + "-events"), SharedBroker.uniqueName(prefix + "-scores"),
                    SharedBroker.uniqueName(prefix + "-alerts"), SharedBroker.uniqueName(prefix + "-dlq"),
                    SharedBroker.uniqueName(prefix + "-models"), SharedBroker.uniqueName(prefix + "-status"));
        }

        /** @return the {@code topics} command creating these topics with its default partition count */
        CliRun create() {
            return run("topics", "--bootstrap-servers", bootstrap(), "--events", events, "--scores", scores,
                    "--alerts", alerts, "--dlq", dlq, "--registry", registry, "--status", status);
        }
    }

    /** Committed records of a topic from its start, until {@code expected} arrived or 30 s passed. */
    private static List<ConsumerRecord<byte[], byte[]>> read(final String topic, final int expected) {
        return KafkaTestClients.readCommitted(List.of(topic), Duration.ofSeconds(30), got -> got.size() >= expected);
    }

    private static String text(final byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[][] keyValue(final String key, final String value) {
        return new byte[][] {key == null ? null : key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8)};
    }

    @Test
    void topics_creates_nelbo_topics_with_leaders_and_a_compacted_registry_and_is_idempotent() throws Exception {
        final NelboTopics t = NelboTopics.unique("t");
        // the connection comes from a client settings file, the scorer's kind: its nelbo.* and Streams keys are ignored,
        // and --set wins over it, as for the scorer and the trainer
        final Path clientConfig = Files.createTempFile("client-", ".properties");
        Files.writeString(clientConfig, "bootstrap.servers=127.0.0.1:1\nnelbo.topic.events=ignored\napplication.id=scorer\n");
        final CliRun typo = run("topics", "--config", clientConfig.toString(), "--set", "bootstrap.server=" + bootstrap());
        assertEquals(2, typo.exit(), typo.err());
        assertTrue(typo.err().contains("'bootstrap.server'"), typo.err());
        // --config, as the scorer and the trainer take the same file (--client-config is the older spelling)
        final String[] args = {"topics", "--config", clientConfig.toString(), "--set", "bootstrap.servers=" + bootstrap(),
            "--partitions", "4",
            "--events", t.events(), "--scores", t.scores(), "--alerts", t.alerts(), "--dlq", t.dlq(), "--registry", t.registry(),
            "--status", t.status()};
        final CliRun first = run(args);
        assertEquals(0, first.exit(), first.err());
        assertTrue(first.out().contains("created " + t.events() + " (4 partitions)"), first.out());
        final CliRun second = run(args);
        assertEquals(0, second.exit(), second.err());
        assertTrue(second.out().contains("exists  " + t.events()), second.out());

        final Admin admin = SharedBroker.get().admin();
        final Map<String, TopicDescription> topics = admin.describeTopics(
                List.of(t.events(), t.scores(), t.alerts(), t.dlq(), t.registry(), t.status())).allTopicNames().get(10, TimeUnit.SECONDS);
        assertEquals(4, topics.get(t.events()).partitions().size());
        assertEquals(4, topics.get(t.scores()).partitions().size());
        assertEquals(2, topics.get(t.alerts()).partitions().size());
        assertEquals(1, topics.get(t.registry()).partitions().size());
        topics.values().forEach(d -> d.partitions().forEach(p -> assertTrue(p.leader() != null && !p.leader().isEmpty(),
                d.name() + "-" + p.partition() + " has no leader")));
        for (final String compacted : List.of(t.registry(), t.status())) {
            final ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, compacted);
            final Config config = admin.describeConfigs(List.of(r)).all().get(10, TimeUnit.SECONDS).get(r);
            assertEquals("compact", config.get("cleanup.policy").value(), compacted);
        }
        Files.delete(clientConfig);
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
        final NelboTopics t = NelboTopics.unique("g");
        assertEquals(0, t.create().exit());
        final Path labels = dir.resolve("labels.jsonl");
        final CliRun run = run("generate", "--topic", t.events(), "--bootstrap-servers", bootstrap(),
                "--count", "3000", "--clock", "simulated", "--seed", "5", "--anomaly-rate", "0.05", "--labels", labels.toString());
        assertEquals(0, run.exit(), run.err());

        final List<ConsumerRecord<byte[], byte[]>> records = read(t.events(), 3000);
        assertEquals(3000, records.size());
        final List<String> labelLines = Files.readAllLines(labels, StandardCharsets.UTF_8);
        assertEquals(3000, labelLines.size());
        final Set<String> labelled = new HashSet<>();
        for (final String line : labelLines) {
            labelled.add(MAPPER.readTree(line).get("event_id").asText());
        }
        for (final ConsumerRecord<byte[], byte[]> record : records) {
            final JsonNode event = MAPPER.readTree(record.value());
            assertEquals(event.get("service").asText(), text(record.key()));
            assertEquals(Instant.parse(event.get("ts").asText()).toEpochMilli(), record.timestamp());
            assertTrue(labelled.contains(event.get("event_id").asText()));
        }
    }

    @Test
    void replay_sends_every_line_verbatim_with_keys_from_the_path_and_bad_lines_without_key() throws Exception {
        final NelboTopics t = NelboTopics.unique("r");
        assertEquals(0, t.create().exit());
        final Path file = dir.resolve("backfill.jsonl");
        Files.write(file, List.of(
                "{\"user\":{\"id\":\"u1\"},\"v\":1}",
                "",
                "{\"user\":{\"id\":\"u2\"},\"v\":2}",
                "not json at all",
                "{\"v\":3}"), StandardCharsets.UTF_8);
        final CliRun run = run("replay", "--file", file.toString(), "--topic", t.events(),
                "--bootstrap-servers", bootstrap(), "--key-path", "$.user.id", "--rate", "100");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("replayed 4 records"), run.out());
        assertTrue(run.out().contains("1 not JSON, 2 without key"), run.out());

        final List<ConsumerRecord<byte[], byte[]>> records = read(t.events(), 4);
        assertEquals(4, records.size());
        final Map<String, String> byValue = new HashMap<>();
        records.forEach(r -> byValue.put(text(r.value()), text(r.key())));
        assertEquals("u1", byValue.get("{\"user\":{\"id\":\"u1\"},\"v\":1}"));
        assertEquals("u2", byValue.get("{\"user\":{\"id\":\"u2\"},\"v\":2}"));
        assertTrue(byValue.containsKey("not json at all"));
        assertNull(byValue.get("not json at all"));
        assertNull(byValue.get("{\"v\":3}"));
    }

    @Test
    void generate_and_replay_write_avro_through_a_real_schema_registry_that_reads_back_as_the_json_events() throws Exception {
        final dev.nelbo.testkit.SchemaRegistryServer registry = dev.nelbo.testkit.SchemaRegistryServer.shared();
        final Path schema = Path.of(System.getProperty("user.dir")).resolve("demo/events.avsc");
        final NelboTopics t = NelboTopics.unique("avro");
        assertEquals(0, t.create().exit());
        final String[] same = {"--count", "300", "--clock", "simulated", "--seed", "8", "--anomaly-rate", "0.05"};
        final Path jsonl = dir.resolve("generated.jsonl");
        assertEquals(0, run(concat(new String[] {"generate", "--out", jsonl.toString()}, same)).exit());
        final CliRun avro = run(concat(new String[] {"generate", "--topic", t.events(), "--bootstrap-servers", bootstrap(),
                "--avro-schema", schema.toString(), "--schema-registry-url", registry.url()}, same));
        assertEquals(0, avro.exit(), avro.err());
        assertTrue(avro.err().contains("writing Avro records of dev.nelbo.demo.TelemetryEvent"), avro.err());

        // read back as the scorer reads them: the writer schema by id from the registry
        final dev.nelbo.schemas.event.ConfluentAvroFormat reader = new dev.nelbo.schemas.event.ConfluentAvroFormat(
                new org.apache.avro.Schema.Parser().parse(schema.toFile()), new dev.nelbo.schemas.event.SchemaRegistryClient(
                List.of(java.net.URI.create(registry.url())), Duration.ofSeconds(5), java.util.Optional.empty()),
                Duration.ofSeconds(5), 10);
        final List<ConsumerRecord<byte[], byte[]>> records = read(t.events(), 300);
        assertEquals(300, records.size());
        final Map<String, JsonNode> generated = new HashMap<>();
        for (final String line : Files.readAllLines(jsonl, StandardCharsets.UTF_8)) {
            final JsonNode e = MAPPER.readTree(line);
            generated.put(e.get("event_id").asText(), e);
        }
        for (final ConsumerRecord<byte[], byte[]> r : records) {
            assertEquals(0, r.value()[0], "the Confluent magic byte");
            final com.fasterxml.jackson.databind.node.ObjectNode back =
                    (com.fasterxml.jackson.databind.node.ObjectNode) MAPPER.readTree(reader.toJson(r.value()));
            final com.fasterxml.jackson.databind.node.ObjectNode expected =
                    ((com.fasterxml.jackson.databind.node.ObjectNode) generated.get(back.get("event_id").asText())).deepCopy();
            // the timestamp is a timestamp-millis long in Avro, ISO-8601 text in the JSON events
            expected.put("ts", Instant.parse(expected.get("ts").asText()).toEpochMilli());
            assertEquals(expected, back);
            assertEquals(back.get("service").asText(), text(r.key()));
        }

        final Path file = dir.resolve("mixed.jsonl");
        Files.write(file, List.of(Files.readAllLines(jsonl, StandardCharsets.UTF_8).get(0), "{\"event_id\":\"short\"}",
                "not json"), StandardCharsets.UTF_8);
        final CliRun replayed = run("replay", "--file", file.toString(), "--topic", t.events(), "--bootstrap-servers",
                bootstrap(), "--avro-schema", schema.toString(), "--schema-registry-url", registry.url());
        assertEquals(0, replayed.exit(), replayed.err());
        assertTrue(replayed.out().contains("replayed 1 records") && replayed.out().contains(
                "2 skipped: not records of the Avro schema"), replayed.out());
        assertEquals(2, run("replay", "--file", file.toString(), "--topic", t.events(), "--bootstrap-servers", bootstrap(),
                "--avro-schema", schema.toString()).exit(), "the schema needs the registry");
    }

    private static String[] concat(final String[] a, final String... b) {
        final String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void watch_prints_alert_rows_and_precision_recall_against_planted_labels() throws Exception {
        final NelboTopics t = NelboTopics.unique("w");
        assertEquals(0, t.create().exit());
        final Path labels = dir.resolve("labels.jsonl");
        // e1, e2 planted; e3, e4 normal; e5, e6 one level-shift episode. The scorer flagged e1 (right) and e3 (wrong),
        // missed e2 and e5, and flagged e6 by its entity's state (with an entity alert)
        Files.write(labels, List.of(
                "{\"event_id\":\"e1\",\"anomaly\":true,\"kind\":\"extreme_value\",\"detail\":\"latency_ms x90\"}",
                "{\"event_id\":\"e2\",\"anomaly\":true,\"kind\":\"contextual\",\"detail\":\"rps\"}",
                "{\"event_id\":\"e3\",\"anomaly\":false,\"kind\":null,\"detail\":\"\",\"silence_host\":\"db-7\","
                        + "\"silence_since\":1767571100000}",
                "{\"event_id\":\"e4\",\"anomaly\":false,\"kind\":null,\"detail\":\"\",\"silence_host\":\"db-8\","
                        + "\"silence_since\":1767571150000}",
                "{\"event_id\":\"e5\",\"anomaly\":true,\"kind\":\"level_shift\",\"detail\":\"\",\"episode\":\"h@e5\"}",
                "{\"event_id\":\"e6\",\"anomaly\":true,\"kind\":\"level_shift\",\"detail\":\"\",\"episode\":\"h@e5\"}"),
                StandardCharsets.UTF_8);
        final List<byte[][]> scores = new ArrayList<>();
        for (final String[] s : new String[][] {{"e1", "true", "false"}, {"e2", "false", "false"}, {"e3", "true", "false"},
            {"e4", "false", "false"}, {"e5", "false", "false"}, {"e6", "false", "true"}}) {
            scores.add(keyValue(s[0], "{\"event_id\":\"" + s[0] + "\",\"event_time\":1767571300000,\"score\":1.0,\"anomaly\":" + s[1]
                    + ",\"entity_evidence\":1.0,\"entity_anomalous\":" + s[2] + "}"));
        }
        KafkaTestClients.produce(t.scores(), scores);
        final String alert = "{\"event_id\":\"e1\",\"key\":\"search\",\"event_time\":1767571200000,\"model_version\":\"v1\","
                + "\"score\":42.5,\"threshold\":12.0,\"tail_probability\":0.0001,\"top_features\":[{\"feature\":\"latency_ms\","
                + "\"contribution\":30.1,\"observed\":4050.5,\"expected\":45.2}],\"suppressed_since_last\":0,\"suppression_window_ms\":0}";
        final String entityAlert = "{\"kind\":\"entity\",\"event_id\":\"e6\",\"key\":\"h\",\"event_time\":1767571201000,"
                + "\"model_version\":\"v1\",\"score\":9.0,\"threshold\":12.0,\"tail_probability\":0.01,\"top_features\":[{\"feature\":"
                + "\"latency_ms\",\"contribution\":11.0,\"observed\":400,\"expected\":80}],\"suppressed_since_last\":0,"
                + "\"suppression_window_ms\":0,\"entity_evidence\":7.5,\"entity_threshold\":6.9,\"onset_event_id\":\"e5\","
                + "\"onset_time\":1767571200500,\"entity_events\":2}";
        // db-7's planted silence found 3.5 s after its last event; db-8's missed; db-9 was never silenced
        final String silence = "{\"kind\":\"silence\",\"key\":\"db-7\",\"model_version\":\"v1\",\"last_seen\":1767571100000,"
                + "\"usual_interval_ms\":1000.0,\"overdue_at\":1767571103000,\"detected_at\":1767571103500}";
        final String falseSilence = silence.replace("db-7", "db-9");
        KafkaTestClients.produce(t.alerts(), List.<byte[][]>of(keyValue("search", alert), keyValue("h", entityAlert),
                keyValue("db-7", silence), keyValue("db-9", falseSilence)));
        KafkaTestClients.produce(t.dlq(), List.<byte[][]>of(keyValue(null, "{\"reason\":\"malformed\"}")));
        final CliRun run = run("watch", "--bootstrap-servers", bootstrap(), "--alerts", t.alerts(), "--scores", t.scores(),
                "--dlq", t.dlq(), "--labels", labels.toString(), "--expect", "7", "--timeout", "60");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("00:00:00  e1"), run.out());
        assertTrue(run.out().contains("extreme_value        latency_ms 4051/45.20"), run.out());
        assertTrue(run.out().contains("level_shift          ENTITY, 2 events since e5: latency_ms 400/80"), run.out());
        assertTrue(run.out().contains("    7.50      6.90  level_shift"), "an entity alert shows its statistic: " + run.out());
        assertTrue(run.out().contains("scored 6 events, 4 alerts, 1 dead letters"), run.out());
        assertTrue(run.out().contains("23:58:23                       db-7                                 -                    "
                + "SILENCE since 23:58:20, usual interval 1000 ms"), run.out());
        assertTrue(run.out().contains("silences: 1/2 detected, median delay 3.5 s after the host's last event; 1 false"
                + " silence alerts"), run.out());
        assertTrue(run.out().contains("entity alerts: 1, of which 1 at or after the onset of a planted anomaly and 0 on normal"
                + " behaviour"), run.out());
        assertTrue(run.out().contains("true positives 2, false positives 1, missed 2"), run.out());
        assertTrue(run.out().contains("precision 0.667   recall 0.500"), run.out());
        assertTrue(run.out().contains("recall by kind:  contextual 0/1  extreme_value 1/1  level_shift 1/2"), run.out());
        assertTrue(run.out().contains("episodes: level_shift 1/1 detected, median delay 1 events"), run.out());
    }
}
