package dev.nelbo.scorer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScorerCliTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(final String... args) {
        return ScorerCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    @Test
    void should_describe_both_subcommands_and_their_defaults() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("run") && out.toString().contains("score"), out.toString());
        assertEquals(0, run("score", "--help"));
        assertTrue(out.toString().contains("--samples") && out.toString().contains("Default: 8"), out.toString());
        assertEquals(0, run("run", "--help"));
        assertTrue(out.toString().contains("--config") && out.toString().contains("PT30S"), out.toString());
    }

    @Test
    void should_fail_bad_usage_with_one_line_and_exit_code_2() {
        assertEquals(2, run("score", "--model", "m"));
        assertTrue(err.toString().startsWith("error: Missing required options"), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace");
    }

    /** The usual Kafka spelling reaches the brokers setting, and wins over --set. */
    @Test
    void bootstrap_server_as_kafkas_tools_spell_it_sets_bootstrap_servers() {
        for (final String name : List.of("--bootstrap-server", "--bootstrap-servers")) {
            final SettingsOptions options = new SettingsOptions();
            new picocli.CommandLine(options).parseArgs("--set", "bootstrap.servers=old:1", "--set", "nelbo.topic.events=e", name, "broker:9092");
            assertEquals(java.util.Map.of("bootstrap.servers", "broker:9092", "nelbo.topic.events", "e"), options.overrides());
        }
    }

    @Test
    void should_refuse_an_unknown_setting_naming_it_before_connecting() {
        assertEquals(2, run("run", "--set", "bootstrap.servers=127.0.0.1:1", "--set", "nelbo.topic.evnts=x"));
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().contains("'nelbo.topic.evnts'"), err.toString());
    }

    @Test
    void the_alertmanager_bridge_without_an_alertmanager_says_which_setting_is_missing() {
        assertEquals(2, run("alertmanager", "--bootstrap-server", "127.0.0.1:1"));
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().contains("'nelbo.alertmanager.url'"), err.toString());
    }

    @Test
    void an_avro_container_file_scores_as_its_json_twins() throws Exception {
        ScorerFixtures.writeModel(dir.resolve("model"), 1);
        final Path avro = dir.resolve("events.avro");
        final List<String> twins = new ArrayList<>();
        try (org.apache.avro.file.DataFileWriter<org.apache.avro.generic.GenericRecord> w = new org.apache.avro.file.DataFileWriter<>(
                new org.apache.avro.generic.GenericDatumWriter<org.apache.avro.generic.GenericRecord>(
                        dev.nelbo.schemas.testing.TestAvro.SCHEMA))) {
            w.create(dev.nelbo.schemas.testing.TestAvro.SCHEMA, avro.toFile());
            for (int i = 0; i < 300; i++) {
                final com.fasterxml.jackson.databind.node.ObjectNode e = dev.nelbo.schemas.testing.TestData.event(
                        new java.util.Random(i), i);
                if (i % 50 == 7) {
                    e.put("bytes", 1e9);
                }
                w.append(dev.nelbo.schemas.testing.TestAvro.record(e));
                twins.add(e.toString());
            }
        }
        final Path jsonl = Files.write(dir.resolve("twins.jsonl"), twins);
        final List<List<String>> outputs = new ArrayList<>();
        for (final Path data : List.of(avro, jsonl)) {
            final Path scores = dir.resolve("scores-" + data.getFileName() + ".jsonl");
            assertEquals(0, run("score", "--model", dir.resolve("model").toString(), "--data", data.toString(), "--out",
                    scores.toString()), err.toString());
            final List<String> written = new ArrayList<>();
            for (final String line : Files.readAllLines(scores)) {
                final com.fasterxml.jackson.databind.node.ObjectNode s = (com.fasterxml.jackson.databind.node.ObjectNode)
                        ScorerFixtures.parse(line.getBytes(StandardCharsets.UTF_8));
                ((com.fasterxml.jackson.databind.node.ObjectNode) s.get("source")).remove("file");
                written.add(s.toString());
            }
            outputs.add(written);
        }
        assertEquals(300, outputs.get(0).size());
        // every record's score, flag, contributions, key, time and record number as its JSON twin's line
        assertEquals(outputs.get(1), outputs.get(0));
        assertTrue(outputs.get(0).stream().anyMatch(l -> l.contains("\"anomaly\":true")), "the planted outliers flag");
    }

    @Test
    void should_score_jsonl_in_input_order_and_list_unencodable_lines_with_their_reason() throws Exception {
        final String version = ScorerFixtures.writeModel(dir.resolve("model"), 1);
        final List<String> lines = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            lines.add(new String(ScorerFixtures.normal(i), StandardCharsets.UTF_8));
            if (i == 10) {
                lines.add("{not json");
            }
            if (i == 20) {
                lines.add("[1,2]");
            }
        }
        final Path data = dir.resolve("events.jsonl");
        Files.write(data, lines);
        final Path scores = dir.resolve("scores.jsonl");
        assertEquals(0, run("score", "--model", dir.resolve("model").toString(), "--data", data.toString(), "--out",
                scores.toString(), "--batch", "128"), err.toString());
        assertTrue(out.toString().contains("scored 600, errors 2"), out.toString());
        final List<String> written = Files.readAllLines(scores);
        assertEquals(600, written.size());
        long lastLine = 0;
        for (int i = 0; i < written.size(); i++) {
            final JsonNode s = ScorerFixtures.parse(written.get(i).getBytes(StandardCharsets.UTF_8));
            assertEquals(List.of(), Schemas.validate(SchemaDocument.SCORE, s));
            assertEquals("e-" + i, s.get("event_id").asText());
            assertEquals(version, s.get("model_version").asText());
            assertTrue(s.at("/source/line").asLong() > lastLine);
            lastLine = s.at("/source/line").asLong();
        }
        final List<String> errors = Files.readAllLines(dir.resolve("scores.jsonl.errors"));
        assertEquals(2, errors.size());
        final JsonNode first = ScorerFixtures.parse(errors.get(0).getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of(), Schemas.validate(SchemaDocument.DEAD_LETTER, first));
        assertEquals(12, first.at("/source/line").asLong());
        assertEquals("malformed", first.get("reason").asText());
        final JsonNode second = ScorerFixtures.parse(errors.get(1).getBytes(StandardCharsets.UTF_8));
        assertEquals(23, second.at("/source/line").asLong());
        assertEquals("not_an_object", second.get("reason").asText());
    }

    /** A model with an entity test: offline, each key's evidence adds up in file order, as the streaming scorer's does. */
    @Test
    void offline_score_records_carry_each_keys_entity_evidence_in_file_order() throws Exception {
        ScorerFixtures.writeEntityModel(dir.resolve("entity-model"), 1, 7.2);
        final long t = 1_700_000_000_000L;
        final Path data = dir.resolve("entity.jsonl");
        Files.write(data, List.of(new String(ScorerFixtures.normal(0, "db-1"), StandardCharsets.UTF_8),
                new String(ScorerFixtures.anomaly(1, "db-1", t), StandardCharsets.UTF_8),
                new String(ScorerFixtures.anomaly(2, "db-2", t), StandardCharsets.UTF_8),
                new String(ScorerFixtures.anomaly(3, "db-1", t), StandardCharsets.UTF_8),
                new String(ScorerFixtures.normal(4, "db-1"), StandardCharsets.UTF_8)));
        final Path scores = dir.resolve("entity-scores.jsonl");
        assertEquals(0, run("score", "--model", dir.resolve("entity-model").toString(), "--data", data.toString(), "--out",
                scores.toString(), "--batch", "2"), err.toString());
        final List<JsonNode> written = Files.readAllLines(scores).stream()
                .map(l -> ScorerFixtures.parse(l.getBytes(StandardCharsets.UTF_8))).toList();
        written.forEach(s -> assertEquals(List.of(), Schemas.validate(SchemaDocument.SCORE, s)));
        assertEquals(List.of(0.0, 3.6, 3.6, 7.2, 5.89), written.stream().map(s -> Math.round(s.get("entity_evidence").asDouble()
                * 100) / 100.0).toList(), "db-1 adds up across batches, db-2 apart; a normal event takes 1.31 off");
        assertEquals(List.of(false, false, false, true, false), written.stream().map(s -> s.get("entity_anomalous").asBoolean())
                .toList());
    }

    @Test
    void should_score_csv_with_a_header_and_the_same_numbers_as_jsonl() throws Exception {
        ScorerFixtures.writeModel(dir.resolve("model"), 1);
        final Path csv = dir.resolve("events.csv");
        Files.writeString(csv, "event_id,key,ts,http.latency_ms,bytes,retried,region\n"
                + "a,svc-1,1700000000000,55.0,1000,false,eu\n"
                + "b,svc-2,1700000001000,fast,1000,false,eu\n"
                + "c,svc-3,1700000002000,60.5,,true,\"us\"\n");
        final Path jsonl = dir.resolve("events.jsonl");
        Files.writeString(jsonl, "{\"event_id\":\"a\",\"key\":\"svc-1\",\"ts\":1700000000000,\"http\":{\"latency_ms\":55.0},"
                + "\"bytes\":1000,\"retried\":false,\"region\":\"eu\"}\n");
        assertEquals(0, run("score", "--model", dir.resolve("model").toString(), "--data", csv.toString(), "--out",
                dir.resolve("csv.jsonl").toString(), "--errors", dir.resolve("csv.errors").toString()), err.toString());
        assertEquals(0, run("score", "--model", dir.resolve("model").toString(), "--data", jsonl.toString(), "--out",
                dir.resolve("json.jsonl").toString()), err.toString());
        final List<String> fromCsv = Files.readAllLines(dir.resolve("csv.jsonl"));
        assertEquals(2, fromCsv.size());
        final JsonNode a = ScorerFixtures.parse(fromCsv.get(0).getBytes(StandardCharsets.UTF_8));
        final JsonNode c = ScorerFixtures.parse(fromCsv.get(1).getBytes(StandardCharsets.UTF_8));
        assertEquals("c", c.get("event_id").asText());
        assertEquals(1700000002000L, c.get("event_time").asLong());
        final JsonNode fromJson = ScorerFixtures.parse(Files.readAllLines(dir.resolve("json.jsonl")).get(0)
                .getBytes(StandardCharsets.UTF_8));
        assertEquals(fromJson.get("score"), a.get("score"), "the same event scores the same from CSV and JSONL");
        final JsonNode error = ScorerFixtures.parse(Files.readAllLines(dir.resolve("csv.errors")).get(0)
                .getBytes(StandardCharsets.UTF_8));
        assertEquals(3, error.at("/source/line").asLong());
        assertEquals("wrong_type", error.get("reason").asText());
    }
}
