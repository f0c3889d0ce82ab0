package dev.nelbo.scorer.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.testkit.KafkaTestClients;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.testkit.SharedBroker;
import dev.nelbo.scorer.testkit.TestScorers;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exactly-once with batching, proven the honest way: two scorer JVMs share the input, one is killed
 * (SIGKILL, no shutdown, its open transaction abandoned) mid-stream under load, and a read_committed
 * consumer must see every input exactly once across scores and dead letters.
 */
class CrashIntegrationTest {

    private static final int EVENTS = 40_000;
    private static final int RATE_PER_SECOND = 5_000;

    @TempDir
    Path dir;

    @Test
    void should_output_every_input_exactly_once_when_an_instance_is_killed_mid_stream() throws Exception {
        final Topics topics = TestScorers.freshTopics("crash", 4);
        ScorerFixtures.writeModel(dir.resolve("model"), 3);
        final String appId = SharedBroker.uniqueName("crash-app");
        final Process a = launch("a", appId, topics, dir.resolve("model"));
        final Process b = launch("b", appId, topics, dir.resolve("model"));
        try {
            awaitLog("a", "REBALANCING -> RUNNING", Duration.ofSeconds(90));
            awaitLog("b", "REBALANCING -> RUNNING", Duration.ofSeconds(90));

            final Set<String> produced = new HashSet<>();
            final List<Future<RecordMetadata>> acks = new ArrayList<>();
            final long start = System.nanoTime();
            boolean killed = false;
            try (KafkaProducer<byte[], byte[]> producer = KafkaTestClients.producer()) {
                for (int i = 0; i < EVENTS; i++) {
                    final byte[] value = i % 997 == 0 ? ("{broken " + i).getBytes(StandardCharsets.UTF_8) : ScorerFixtures.normal(i);
                    acks.add(producer.send(new ProducerRecord<>(topics.events(), ("k" + i).getBytes(StandardCharsets.UTF_8), value)));
                    pace(start, i, RATE_PER_SECOND);
                    if (!killed && i == EVENTS * 2 / 5) {
                        producer.flush();
                        awaitOpenTransactions(topics.scores());
                        a.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                        killed = true;
                    }
                }
                producer.flush();
                for (final Future<RecordMetadata> f : acks) {
                    final RecordMetadata m = f.get();
                    produced.add(m.partition() + "@" + m.offset());
                }
            }
            assertEquals(EVENTS, produced.size());
            assertTrue(Files.readString(log("a")).contains("scores with model"), "instance a processed before the kill");

            final List<ConsumerRecord<byte[], byte[]>> out = KafkaTestClients.readCommitted(
                    List.of(topics.scores(), topics.dlq()), Duration.ofSeconds(120), new SettleAfter(EVENTS, Duration.ofSeconds(3)));
            final Map<String, Integer> seen = new HashMap<>();
            for (final ConsumerRecord<byte[], byte[]> r : out) {
                final JsonNode src = ScorerFixtures.parse(r.value()).get("source");
                seen.merge(src.get("partition").asInt() + "@" + src.get("offset").asLong(), 1, Integer::sum);
            }
            final long duplicates = seen.values().stream().filter(c -> c > 1).count();
            final Set<String> missing = new HashSet<>(produced);
            missing.removeAll(seen.keySet());
            // records of the killed instance's abandoned transaction stay in the log, marked aborted: a
            // read_uncommitted consumer sees them, which shows the kill really hit an open transaction
            final int uncommitted = KafkaTestClients.readUncommitted(List.of(topics.scores(), topics.dlq()), Duration.ofSeconds(30),
                    new SettleAfter(EVENTS, Duration.ofSeconds(2))).size();
            System.out.printf("crash test: produced %d, outputs %d (scores+dead letters), distinct %d, missing %d, duplicated %d;"
                    + " records of aborted transactions %d%n", EVENTS, out.size(), seen.size(), missing.size(), duplicates,
                    uncommitted - out.size());
            assertEquals(0, missing.size(), "missing inputs, e.g. " + missing.stream().limit(5).toList());
            assertEquals(0, duplicates, "inputs output more than once");
            assertEquals(EVENTS, out.size());
            assertTrue(Files.readString(log("b")).contains("scores with model"));

            // SIGTERM: the survivor closes cleanly within its bound
            final long t0 = System.nanoTime();
            b.destroy();
            assertTrue(b.waitFor(40, TimeUnit.SECONDS), "SIGTERM must stop the scorer within the shutdown bound");
            System.out.printf("crash test: survivor stopped %.1f s after SIGTERM%n", (System.nanoTime() - t0) / 1e9);
            assertTrue(Files.readString(log("b")).contains("Scorer stopped"));
        } finally {
            a.destroyForcibly();
            b.destroyForcibly();
        }
    }

    /**
     * Waits (briefly) until every output partition has an open transaction (last stable offset below
     * the high watermark), so the kill abandons one of the victim's transactions with data in it.
     */
    private static void awaitOpenTransactions(final String topic) throws Exception {
        final Admin admin = SharedBroker.get().admin();
        final List<TopicPartition> parts = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                .stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        final Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        parts.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            final var hw = admin.listOffsets(latest).all().get();
            final var lso = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
            if (parts.stream().allMatch(tp -> lso.get(tp).offset() < hw.get(tp).offset())) {
                return;
            }
        }
    }

    /** Stops reading once {@code expected} records arrived and nothing more came for a while (catches duplicates). */
    private static final class SettleAfter implements java.util.function.Predicate<List<ConsumerRecord<byte[], byte[]>>> {
        private final int expected;
        private final long quietNanos;
        private int lastSize = -1;
        private long lastChange;

        SettleAfter(final int expected, final Duration quiet) {
            this.expected = expected;
            this.quietNanos = quiet.toNanos();
        }

        @Override
        public boolean test(final List<ConsumerRecord<byte[], byte[]>> read) {
            if (read.size() != lastSize) {
                lastSize = read.size();
                lastChange = System.nanoTime();
                return false;
            }
            return read.size() >= expected && System.nanoTime() - lastChange > quietNanos;
        }
    }

    /**
     * History and entity evidence under a crash: one scorer runs through, another (same input, its own application id
     * and outputs) is killed mid-stream and restarted; its history and entity stores come back from their changelogs
     * as of its last commit, so every event scores exactly as in the uninterrupted run, down to the last bit, with the
     * same entity statistic, and the same entity alerts are written.
     */
    @Test
    void history_scores_after_a_kill_and_restart_are_identical_to_an_uninterrupted_run() throws Exception {
        final int events = 12_000;
        final Topics reference = TestScorers.freshTopics("hist-ref", 2);
        final Topics crashed = new Topics(reference.events(), SharedBroker.uniqueName("hist-crash-scores"),
                SharedBroker.uniqueName("hist-crash-alerts"), SharedBroker.uniqueName("hist-crash-dlq"),
                SharedBroker.uniqueName("hist-crash-models"));
        SharedBroker.get().createTopics(2, crashed.scores(), crashed.alerts(), crashed.dlq());
        SharedBroker.get().createCompactedTopic(crashed.registry());
        final Path model = dir.resolve("history-model");
        ScorerFixtures.writeHistoryModel(model, 5, new Manifest.EntityCalibration(Manifest.EntityCalibration.CUSUM, 2.0,
                7.2, 1e-4, 0, 0), new Manifest.SilenceCalibration(Manifest.SilenceCalibration.CADENCE, 8.0, "empirical", 1e-5,
                0, 0));
        // one event time line for all keys, 100 ms a step, ending before now (state times never run ahead of the clock)
        final long base = System.currentTimeMillis() - events * 100L - 60_000;
        int records = 0;
        final String crashApp = SharedBroker.uniqueName("hist-crash-app");
        final Process ref = launch("ref", SharedBroker.uniqueName("hist-ref-app"), reference, model);
        Process first = launch("c1", crashApp, crashed, model);
        Process second = null;
        try {
            awaitLog("ref", "REBALANCING -> RUNNING", Duration.ofSeconds(90));
            awaitLog("c1", "REBALANCING -> RUNNING", Duration.ofSeconds(90));
            final long start = System.nanoTime();
            try (KafkaProducer<byte[], byte[]> producer = KafkaTestClients.producer()) {
                for (int i = 0; i < events; i++) {
                    // keyed by the entity, as history needs: each key's events stay in one partition, in order
                    // every 200 events two anomalies of svc-0 in a row: a run of entity evidence and its alert
                    final String key = "svc-" + (i % 5);
                    final long ts = base + i * 100L;
                    producer.send(new ProducerRecord<>(reference.events(), key.getBytes(StandardCharsets.UTF_8),
                            i % 200 < 10 && i % 5 == 0 ? ScorerFixtures.anomaly(i, key, ts) : ScorerFixtures.normal(i, key, ts)));
                    records++;
                    // ten hosts send once a second each; host-3 stops at step 6000, after the kill: its silence alert
                    // is the restarted instance's to write, on a clock restored from the store
                    final String host = "host-" + (i % 10);
                    if (!(host.equals("host-3") && i >= 6000)) {
                        producer.send(new ProducerRecord<>(reference.events(), host.getBytes(StandardCharsets.UTF_8),
                                ScorerFixtures.normal(events + i, host, ts)));
                        records++;
                    }
                    pace(start, i, 4_000);
                    if (second == null && i == events * 2 / 5) {
                        producer.flush();
                        awaitOpenTransactions(crashed.scores());
                        first.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                        second = launch("c2", crashApp, crashed, model);
                    }
                }
            }
            final Map<String, String> expected = scoresBySource(reference.scores(), records, events / 5);
            final Map<String, String> actual = scoresBySource(crashed.scores(), records, events / 5);
            assertTrue(Files.readString(log("c1")).contains("scores with model"), "the first instance processed before the kill");
            assertEquals(records, expected.size());
            assertEquals(expected.keySet(), actual.keySet());
            final long differing = expected.keySet().stream().filter(k -> !expected.get(k).equals(actual.get(k))).count();
            final List<String> expectedEntityAlerts = entityAlerts(reference.alerts(), "entity");
            final List<String> actualEntityAlerts = entityAlerts(crashed.alerts(), "entity");
            final List<String> expectedSilences = entityAlerts(reference.alerts(), "silence");
            final List<String> actualSilences = entityAlerts(crashed.alerts(), "silence");
            System.out.printf("history crash test: %d events, %d scores differ after kill -9 and restart; entity alerts %d and %d,"
                    + " silence alerts %s and %s%n", records, differing, expectedEntityAlerts.size(), actualEntityAlerts.size(),
                    expectedSilences, actualSilences);
            assertEquals(0, differing, "scores (with the entity statistic) that differ from the uninterrupted run");
            assertEquals(events / 200, expectedEntityAlerts.size(), "one entity alert per pair of anomalies");
            assertEquals(expectedEntityAlerts, actualEntityAlerts);
            assertEquals(1, expectedSilences.size(), "host-3's silence, and no other: " + expectedSilences);
            assertTrue(expectedSilences.get(0).startsWith("host-3 " + (base + 5993 * 100L) + " "), expectedSilences.toString());
            assertEquals(expectedSilences, actualSilences);
        } finally {
            ref.destroyForcibly();
            first.destroyForcibly();
            if (second != null) {
                second.destroyForcibly();
            }
        }
    }

    /** Holds production to {@code ratePerSecond}, checking every 500 records (a steady load, so the kill lands mid-stream). */
    private static void pace(final long startNanos, final int sent, final int ratePerSecond) throws InterruptedException {
        if (sent % 500 == 499) {
            final long wait = startNanos + (long) ((sent + 1) * 1e9 / ratePerSecond) - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
        }
    }

    /** Committed score records by input coordinates: score, history length and the key's history behind it. */
    private static Map<String, String> scoresBySource(final String topic, final int events, final int perKey) throws Exception {
        final Map<String, String> out = new HashMap<>();
        long deepest = 0;
        for (final ConsumerRecord<byte[], byte[]> r : KafkaTestClients.readCommitted(List.of(topic), Duration.ofSeconds(120),
                new SettleAfter(events, Duration.ofSeconds(3)))) {
            final JsonNode score = ScorerFixtures.parse(r.value());
            final JsonNode src = score.get("source");
            deepest = Math.max(deepest, score.get("history_events").asLong());
            final String previous = out.put(src.get("partition").asInt() + "@" + src.get("offset").asLong(),
                    score.get("score").asText() + " " + score.get("iw_nll").asText() + " " + score.get("history_events").asLong()
                            + " " + score.get("entity_evidence").asText() + " " + score.get("entity_anomalous").asText());
            assertTrue(previous == null, "an input scored twice in " + topic);
        }
        assertTrue(deepest > perKey - 100, "each key's history grew with its events: " + deepest);
        return out;
    }

    /** Committed alerts of a kind, sorted: an entity alert's event, onset, span and statistic; a silence's key and times. */
    private static List<String> entityAlerts(final String topic, final String kind) throws Exception {
        final List<String> out = new java.util.ArrayList<>();
        for (final ConsumerRecord<byte[], byte[]> r : KafkaTestClients.readCommitted(List.of(topic), Duration.ofSeconds(30),
                new SettleAfter(1, Duration.ofSeconds(3)))) {
            final JsonNode alert = ScorerFixtures.parse(r.value());
            if (!kind.equals(alert.path("kind").asText())) {
                continue;
            }
            if (kind.equals("silence")) {
                out.add(alert.get("key").asText() + " " + alert.get("last_seen").asLong() + " "
                        + alert.get("usual_interval_ms").asText() + " " + alert.get("overdue_at").asLong() + " "
                        + alert.get("detected_at").asLong());
            } else {
                out.add(alert.get("event_id").asText() + " " + alert.get("onset_event_id").asText() + " "
                        + alert.get("entity_events").asInt() + " " + alert.get("entity_evidence").asText());
            }
        }
        out.sort(null);
        return out;
    }

    private Process launch(final String name, final String appId, final Topics topics, final Path model) throws IOException {
        // small batches fill up under this load, so both paths are killed mid-way: full batches scored in the
        // background, and partial batches flushed by the punctuation and before each commit
        final Map<String, String> settings = TestScorers.settings(appId, topics, model, Map.of(
                "nelbo.batch.max.records", "8"));
        final Properties props = new Properties();
        props.putAll(settings);
        final Path config = dir.resolve(name + ".properties");
        try (Writer w = Files.newBufferedWriter(config)) {
            props.store(w, "crash test instance " + name);
        }
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-cp", System.getProperty("java.class.path"), "dev.nelbo.scorer.cli.ScorerCli", "run", "--config", config.toString(),
                "--shutdown-timeout", "PT20S");
        pb.environment().keySet().removeIf(k -> k.startsWith("NELBO_"));
        pb.redirectErrorStream(true).redirectOutput(log(name).toFile());
        return pb.start();
    }

    private Path log(final String name) {
        return dir.resolve(name + ".log");
    }

    private void awaitLog(final String name, final String text, final Duration timeout) throws Exception {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log(name)) && Files.readString(log(name)).contains(text)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("instance " + name + " did not log '" + text + "' in " + timeout + ":\n"
                + (Files.exists(log(name)) ? Files.readString(log(name)) : "(no log)"));
    }
}
