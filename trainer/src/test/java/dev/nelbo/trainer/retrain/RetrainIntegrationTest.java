package dev.nelbo.trainer.retrain;

import dev.nelbo.testkit.CliRun;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.registry.ModelRegistry;
import dev.nelbo.schemas.bundle.Activation;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.testing.TestData;
import dev.nelbo.scorer.app.ScorerService;
import dev.nelbo.scorer.config.ScorerConfig;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.testkit.TestScorers;
import dev.nelbo.testkit.KafkaTestClients;
import dev.nelbo.testkit.SharedBroker;
import dev.nelbo.trainer.cli.NelboTrainer;
import dev.nelbo.trainer.pipeline.TrainSettings;
import dev.nelbo.trainer.pipeline.TrainingPipeline;
import dev.nelbo.trainer.vae.VaeConfig;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The retrain job against a real broker: real DJL training through the train pipeline, real ONNX
 * bundles through the registry, real scorer instances following it.
 */
class RetrainIntegrationTest {

    /** Window of the test traffic; its last 10% is held back. */
    private static final Duration WINDOW = Duration.ofHours(2);
    private static final int WINDOW_EVENTS = 2400;

    @TempDir
    static Path dir;

    private static Path champion;
    private static Manifest championManifest;

    private record Env(String events, String alerts, String registry, String scores, String dlq) {
    }

    /** Trains the champion once, with small settings every retrain then inherits. */
    @BeforeAll
    static void trainChampion() throws IOException {
        final Path data = dir.resolve("champion.jsonl");
        final Random rnd = new Random(3);
        final StringBuilder b = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            b.append(Json.EVENTS.writeValueAsString(TestData.event(rnd, i))).append('\n');
        }
        Files.writeString(data, b);
        final Path spec = dir.resolve("spec.json");
        Json.DOCUMENTS.writeValue(spec.toFile(), TestData.spec());
        champion = dir.resolve("champion");
        final VaeConfig vae = new VaeConfig(List.of(16), 4, Activation.ELU, false, 12, 64, 3e-3f, 1f, 2, 0.1f, 0.2f, 12, 5f,
                -12f, 8f, 7L);
        championManifest = TrainingPipeline.run(new TrainSettings(data, champion, spec, null, 100_000, 0.01, vae, 0.01, 4),
                new PrintWriter(new StringWriter()));
    }

    @Test
    void should_refuse_a_challenger_trained_on_corrupted_data_and_publish_a_good_one_only_once() throws Exception {
        final Instant end = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        // corrupted: the older 90% of the window (the training part) carries broken latencies and sizes
        final Env bad = env("corrupt", 1);
        produceWindow(bad.events(), end, "c-", Corrupt.TRAINING);
        final CliRun refused = retrain(bad, end, Map.of());
        assertEquals(3, refused.exit(), refused.out() + refused.err());
        final JsonNode report = Json.DOCUMENTS.readTree(dir.resolve("report-" + bad.events() + ".json").toFile());
        assertEquals("gates_failed", report.get("decision").asText());
        assertTrue(report.get("comparison").get("failures").size() > 0, report.toString());
        assertTrue(refused.out().contains("gates: FAILED"), refused.out());
        try (ModelRegistry registry = registry(bad)) {
            final ModelRegistry.Snapshot s = registry.read();
            assertEquals(championManifest.modelVersion(), s.current(), "the champion stays");
            assertEquals(1, s.bundles().size(), "the failed challenger is not stored");
        }

        final Env good = env("good", 2);
        produceWindow(good.events(), end, "g-", Corrupt.NONE);
        // the champion alerted on 50 events of the training part: they are left out of training
        produceAlerts(good.alerts(), end, "g-", 50);
        final CliRun published = retrain(good, end, Map.of());
        assertEquals(0, published.exit(), published.out() + published.err());
        final JsonNode counts = Json.DOCUMENTS.readTree(dir.resolve("report-" + good.events() + ".json").toFile()).get("counts");
        assertEquals(50, counts.get("left out as alerted").asLong(), counts.toString());
        assertEquals(WINDOW_EVENTS - 240 - 50, counts.get("training sample").asLong(), counts.toString());
        assertEquals(240, counts.get("held-back sample").asLong(), counts.toString());
        final String v2;
        try (ModelRegistry registry = registry(good)) {
            v2 = registry.read().current();
        }
        assertNotEquals(championManifest.modelVersion(), v2);
        assertTrue(published.out().contains("published as current"), published.out());

        final CliRun again = retrain(good, end, Map.of());
        assertEquals(4, again.exit(), again.out() + again.err());
        assertTrue(again.out().contains("identical"), again.out());
        final CliRun empty = retrain(good, end.minus(Duration.ofDays(1)), Map.of());
        assertEquals(4, empty.exit(), empty.out() + empty.err());
        assertTrue(empty.out().contains("only 0 training records"), empty.out());
        try (ModelRegistry registry = registry(good)) {
            final ModelRegistry.Snapshot s = registry.read();
            assertEquals(v2, s.current());
            assertEquals(2, s.bundles().size(), "a rerun over the same window stores nothing new");
        }
    }

    @Test
    void avro_events_through_a_real_schema_registry_are_read_as_their_json_twins_and_retrain_the_model() throws Exception {
        final Instant end = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        final Env avro = env("avro", 1);
        final dev.nelbo.testkit.SchemaRegistryServer schemas = dev.nelbo.testkit.SchemaRegistryServer.shared();
        final int v1 = schemas.register(avro.events() + "-value", dev.nelbo.schemas.testing.TestAvro.SCHEMA_JSON);
        final org.apache.avro.Schema added = dev.nelbo.schemas.event.AvroEventReader.parseSchema(
                dev.nelbo.schemas.testing.TestAvro.evolved("added"));
        final int v2 = schemas.register(avro.events() + "-value", dev.nelbo.schemas.testing.TestAvro.evolved("added"));
        // the producers moved to v2 halfway: both versions read as the reader schema (the subject's latest)
        final AtomicInteger n = new AtomicInteger();
        produceWindow(avro.events(), end, "a-", Corrupt.NONE, e -> n.getAndIncrement() % 2 == 0
                ? dev.nelbo.schemas.testing.TestAvro.framed(v1, dev.nelbo.schemas.testing.TestAvro.bytes(e))
                : dev.nelbo.schemas.testing.TestAvro.framed(v2, dev.nelbo.schemas.testing.TestAvro.bytes(
                        dev.nelbo.schemas.testing.TestAvro.record(e, added))));
        // records nothing can read: an unknown schema id, and JSON (no magic byte)
        try (KafkaProducer<byte[], byte[]> p = KafkaTestClients.producer()) {
            final long ts = end.minus(Duration.ofMinutes(90)).toEpochMilli();
            for (int i = 0; i < 5; i++) {
                p.send(new ProducerRecord<>(avro.events(), null, ts, null, dev.nelbo.schemas.testing.TestAvro.framed(
                        999_000 + i, new byte[] {2, 'x'}))).get();
                p.send(new ProducerRecord<>(avro.events(), null, ts, null,
                        Json.EVENTS.writeValueAsBytes(TestData.event(new Random(i), i)))).get();
            }
        }
        final CliRun published = retrain(avro, end, Map.of("nelbo.input.format", "avro",
                "nelbo.input.schema.registry.url", schemas.url()));
        assertEquals(0, published.exit(), published.out() + published.err());
        assertTrue(published.out().contains("skipped records not readable as avro (Confluent wire format, read as"
                + " dev.nelbo.test.Event) events: {malformed=5, unknown_schema=5}"), published.out());
        final JsonNode counts = Json.DOCUMENTS.readTree(dir.resolve("report-" + avro.events() + ".json").toFile()).get("counts");
        assertEquals(WINDOW_EVENTS - 240, counts.get("training sample").asLong(), counts.toString());
        assertEquals(240, counts.get("held-back sample").asLong(), counts.toString());
        try (ModelRegistry registry = registry(avro)) {
            assertNotEquals(championManifest.modelVersion(), registry.read().current());
        }
    }

    @Test
    void scorers_switch_to_the_retrained_model_under_load_and_follow_a_rollback() throws Exception {
        final Instant end = Instant.now().minus(Duration.ofMinutes(1)).truncatedTo(ChronoUnit.SECONDS);
        final Env env = env("live", 2);
        produceWindow(env.events(), end, "w-", Corrupt.NONE);
        final String appId = SharedBroker.uniqueName("retrain-app");
        final String v1 = championManifest.modelVersion();
        try (ScorerService a = scorer(env, appId); ScorerService b = scorer(env, appId)) {
            awaitTrue(() -> a.isReady() && b.isReady(), Duration.ofSeconds(60), "both scorer instances running");
            final Load load = new Load(env.events());
            final Thread loadThread = new Thread(load, "steady-load");
            loadThread.start();
            try {
                awaitTrue(() -> load.sent.get() > 500, Duration.ofSeconds(30), "load flowing");
                final CliRun run = retrain(env, end, Map.of());
                assertEquals(0, run.exit(), run.out() + run.err());
                final String v2;
                try (ModelRegistry registry = registry(env)) {
                    v2 = registry.read().current();
                }
                final long switchStart = System.nanoTime();
                awaitTrue(() -> v2.equals(version(a)) && v2.equals(version(b)), Duration.ofSeconds(30), "both instances on " + v2);
                System.out.printf("both instances on %s %.1f s after retrain returned (it publishes last)%n", v2, (System.nanoTime() - switchStart) / 1e9);
                final int atSwitch = load.sent.get();
                awaitTrue(() -> load.sent.get() > atSwitch + 500, Duration.ofSeconds(30), "load after the switch");

                final CliRun rollback = cli("rollback", "--to", v1, "--config", configFile(env, end, Map.of()).toString());
                assertEquals(0, rollback.exit(), rollback.out() + rollback.err());
                final long rollbackStart = System.nanoTime();
                awaitTrue(() -> v1.equals(version(a)) && v1.equals(version(b)), Duration.ofSeconds(30), "both instances back on " + v1);
                System.out.printf("both instances back on %s %.1f s after rollback returned%n", v1, (System.nanoTime() - rollbackStart) / 1e9);
                final int atRollback = load.sent.get();
                awaitTrue(() -> load.sent.get() > atRollback + 500, Duration.ofSeconds(30), "load after the rollback");
            } finally {
                load.running.set(false);
                loadThread.join();
            }
            final int total = WINDOW_EVENTS + load.sent.get();
            final List<ConsumerRecord<byte[], byte[]>> scores = KafkaTestClients.readCommitted(List.of(env.scores()),
                    Duration.ofSeconds(60), l -> l.size() >= total);
            Thread.sleep(500);
            final List<ConsumerRecord<byte[], byte[]>> all = KafkaTestClients.readCommitted(List.of(env.scores()),
                    Duration.ofSeconds(5), l -> false);
            assertEquals(scores.size(), all.size(), "no outputs beyond one per input");
            final Set<String> ids = new HashSet<>();
            final Map<Integer, List<String>> versionRuns = new HashMap<>();
            for (final ConsumerRecord<byte[], byte[]> r : all) {
                final JsonNode score = Json.EVENTS.readTree(r.value());
                assertTrue(ids.add(score.get("event_id").asText()), "scored twice: " + score.get("event_id"));
                final Header h = r.headers().lastHeader(Topics.MODEL_VERSION_HEADER);
                final String version = new String(h.value(), StandardCharsets.UTF_8);
                assertEquals(score.get("model_version").asText(), version, "header names the model that scored");
                final List<String> runs = versionRuns.computeIfAbsent(r.partition(), p -> new ArrayList<>());
                if (runs.isEmpty() || !runs.get(runs.size() - 1).equals(version)) {
                    runs.add(version);
                }
            }
            assertEquals(total, ids.size(), "every input scored exactly once");
            final String v2 = versionRuns.values().stream().flatMap(List::stream).filter(v -> !v.equals(v1)).findFirst().orElseThrow();
            for (final List<String> runs : versionRuns.values()) {
                // per partition the outputs go v1, then v2 after the publish, then v1 after the rollback
                assertEquals(List.of(v1, v2, v1), runs, "version sequence on a partition: " + runs);
            }
        }
    }

    @Test
    void a_shadow_candidate_scores_to_the_shadow_topic_until_promoted_and_an_unknown_rollback_is_refused() throws Exception {
        final Instant end = Instant.now().minus(Duration.ofMinutes(1)).truncatedTo(ChronoUnit.SECONDS);
        final Env env = env("shadow", 1);
        final String shadowTopic = SharedBroker.uniqueName("shadow-scores");
        SharedBroker.get().createTopics(1, shadowTopic);
        produceWindow(env.events(), end, "s-", Corrupt.NONE);
        final String v1 = championManifest.modelVersion();
        try (ScorerService scorer = scorer(env, SharedBroker.uniqueName("shadow-app"), Map.of("nelbo.shadow.topic", shadowTopic))) {
            awaitTrue(scorer::isReady, Duration.ofSeconds(60), "scorer running");
            final CliRun run = cli("retrain", "--config", configFile(env, end, Map.of()).toString(), "--shadow");
            assertEquals(0, run.exit(), run.out() + run.err());
            final String candidate;
            try (ModelRegistry registry = registry(env)) {
                final ModelRegistry.Snapshot s = registry.read();
                assertEquals(v1, s.current(), "a shadow does not serve");
                candidate = s.shadow();
                assertNotEquals(null, candidate);
            }
            awaitTrue(() -> scorer.models().shadow() != null && candidate.equals(scorer.models().shadow().version()),
                    Duration.ofSeconds(30), "the scorer loads the shadow");
            final String config = configFile(env, end, Map.of()).toString();
            final CliRun models = cli("models", "--config", config);
            assertTrue(models.out().contains(candidate + "  shadow") && models.out().contains(v1 + "  current"), models.out());

            // live events are scored by both: the champion to the scores topic, the shadow to the shadow topic
            final int live = 300;
            produceLive(env.events(), "sl-", live);
            final List<ConsumerRecord<byte[], byte[]>> shadowOut = KafkaTestClients.readCommitted(List.of(shadowTopic),
                    Duration.ofSeconds(60), l -> l.size() >= live);
            assertEquals(live, shadowOut.size());
            for (final ConsumerRecord<byte[], byte[]> r : shadowOut) {
                assertEquals(candidate, new String(r.headers().lastHeader(Topics.MODEL_VERSION_HEADER).value(), StandardCharsets.UTF_8));
                assertTrue(Json.EVENTS.readTree(r.value()).get("event_id").asText().startsWith("sl-"));
            }

            final CliRun promote = cli("promote", "--config", config);
            assertEquals(0, promote.exit(), promote.err());
            try (ModelRegistry registry = registry(env)) {
                final ModelRegistry.Snapshot s = registry.read();
                assertEquals(candidate, s.current());
                assertEquals(null, s.shadow());
            }
            awaitTrue(() -> candidate.equals(version(scorer)) && scorer.models().shadow() == null, Duration.ofSeconds(30),
                    "the scorer serves the promoted model and stops shadow scoring");
            assertEquals(1, cli("promote", "--config", config).exit(), "nothing left to promote");
            final CliRun unknown = cli("rollback", "--to", "19700101T000000Z-deadbeef", "--config", config);
            assertEquals(1, unknown.exit());
            assertTrue(unknown.err().contains("19700101T000000Z-deadbeef") && unknown.err().contains(candidate), unknown.err());
        }
    }

    // ---- helpers

    private static String version(final ScorerService s) {
        return s.models().currentVersion().orElse(null);
    }

    @Test
    @SuppressWarnings("try")
    void a_fresh_install_waits_for_a_first_model_and_retrain_with_no_champion_trains_and_publishes_it() throws Exception {
        final Instant end = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        final Env fresh = emptyEnv("fresh", 1);
        produceWindow(fresh.events(), end, "f-", Corrupt.NONE);
        try (ScorerService waiting = scorer(fresh, SharedBroker.uniqueName("fresh-app"))) {
            assertEquals("waiting_for_model", waiting.readiness().code(), waiting.readiness().reason());
            assertTrue(waiting.readiness().reason().contains(fresh.registry()), waiting.readiness().reason());
            final CliRun first = retrain(fresh, end, Map.of());
            assertEquals(0, first.exit(), first.out() + first.err());
            assertTrue(first.out().contains("champion: none"), first.out());
            assertTrue(first.out().contains("gate on the mean score against the champion was skipped"), first.out());
            final JsonNode report = Json.DOCUMENTS.readTree(dir.resolve("report-" + fresh.events() + ".json").toFile());
            assertEquals("published", report.get("decision").asText());
            final String v1;
            try (ModelRegistry registry = registry(fresh)) {
                v1 = registry.read().current();
            }
            assertEquals(v1, report.get("challenger").asText());
            awaitTrue(waiting::isReady, Duration.ofSeconds(60), "the waiting scorer serves the first model");
            assertEquals(v1, waiting.models().currentVersion().orElseThrow());
            // the window's events, produced before any model existed, are scored now
            assertTrue(KafkaTestClients.readCommitted(List.of(fresh.scores()), Duration.ofSeconds(60),
                    l -> l.size() >= WINDOW_EVENTS).size() >= WINDOW_EVENTS);
        }
    }

    @Test
    void retrain_publishes_nothing_when_the_current_model_moves_during_its_run() throws Exception {
        final Instant end = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        final Env moved = env("moved", 1);
        produceWindow(moved.events(), end, "m-", Corrupt.NONE);
        final Path other = dir.resolve("other");
        final VaeConfig vae = new VaeConfig(List.of(8), 2, Activation.ELU, false, 2, 64, 3e-3f, 1f, 1, 0.1f, 0.2f, 2, 5f,
                -12f, 8f, 9L);
        final Path data = dir.resolve("champion.jsonl");
        final String otherVersion = TrainingPipeline.run(new TrainSettings(data, other, dir.resolve("spec.json"), null, 100_000,
                0.01, vae, 0.01, 4), new PrintWriter(new StringWriter())).modelVersion();
        final java.util.concurrent.CountDownLatch training = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch published = new java.util.concurrent.CountDownLatch(1);
        // the run pauses when it starts training until the operator has published: "during its run", deterministically
        final PrintWriter watch = new PrintWriter(new java.io.Writer() {
            @Override
            public void write(final char[] buf, final int off, final int len) {
                if (new String(buf, off, len).contains("training the challenger")) {
                    training.countDown();
                    try {
                        published.await(60, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        final RetrainConfig config = RetrainConfig.load(configFile(moved, end, Map.of()), Map.of(),
                Map.of("nelbo.retrain.work.dir", dir.resolve("work-" + moved.events()).toString()));
        final java.util.concurrent.CompletableFuture<RetrainOutcome> run = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> RetrainJob.run(config, end, watch));
        assertTrue(training.await(60, java.util.concurrent.TimeUnit.SECONDS), "retrain started training");
        // an operator publishes while the challenger trains
        try (ModelRegistry registry = registry(moved)) {
            registry.publish(other, championManifest.modelVersion());
        }
        published.countDown();
        final RetrainOutcome outcome = run.get(120, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(RetrainOutcome.Decision.CURRENT_MOVED, outcome.decision(), outcome.text());
        assertEquals(5, outcome.decision().exitCode());
        try (ModelRegistry registry = registry(moved)) {
            final ModelRegistry.Snapshot s = registry.read();
            assertEquals(otherVersion, s.current(), "the operator's publish stands");
            assertTrue(!s.bundles().containsKey(outcome.challenger()), "the challenger was not stored");
        }
    }

    @Test
    void with_trusted_keys_retrain_refuses_an_unsigned_champion_and_signs_what_it_publishes() throws Exception {
        final Instant end = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        final java.security.KeyPair key = dev.nelbo.schemas.bundle.BundleSignature.generate();
        final Path priv = Files.writeString(dir.resolve("retrain-signing.pem"), dev.nelbo.schemas.bundle.BundleSignature.pem(key.getPrivate()));
        final Path pub = Files.writeString(dir.resolve("retrain-signing.pub"), dev.nelbo.schemas.bundle.BundleSignature.pem(key.getPublic()));
        final Map<String, String> signing = Map.of("nelbo.bundle.signing.key", priv.toString(), "nelbo.bundle.trusted.keys", pub.toString());

        final Env unsigned = env("unsigned", 1);
        produceWindow(unsigned.events(), end, "u-", Corrupt.NONE);
        final CliRun refused = retrain(unsigned, end, signing);
        assertEquals(1, refused.exit(), refused.out() + refused.err());
        assertTrue(refused.err().contains("not signed"), refused.err());

        // the same champion, signed by the trusted key
        final Path signedChampion = dir.resolve("champion-signed");
        dev.nelbo.schemas.bundle.Directories.deleteTree(signedChampion);
        Files.createDirectories(signedChampion);
        try (var files = Files.list(champion)) {
            for (final Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, signedChampion.resolve(f.getFileName()));
            }
        }
        Files.createDirectories(signedChampion.resolve("report"));
        try (var files = Files.list(champion.resolve("report"))) {
            for (final Path f : files.toList()) {
                Files.copy(f, signedChampion.resolve("report").resolve(f.getFileName()));
            }
        }
        dev.nelbo.schemas.bundle.BundleSignature.sign(signedChampion, key.getPrivate());
        final Env signed = emptyEnv("signed", 1);
        try (ModelRegistry r = registry(signed)) {
            r.publish(signedChampion, null);
        }
        produceWindow(signed.events(), end, "s-", Corrupt.NONE);
        final CliRun published = retrain(signed, end, signing);
        assertEquals(0, published.exit(), published.out() + published.err());
        try (ModelRegistry r = registry(signed)) {
            final ModelRegistry.Snapshot s = r.read();
            final Path unpacked = dir.resolve("published-" + s.current());
            s.unpack(s.current(), unpacked, dev.nelbo.schemas.bundle.BundleTrust.of(List.of(key.getPublic())));
            assertEquals(s.current(), dev.nelbo.schemas.bundle.ModelBundle.load(unpacked, List.of(key.getPublic())).version(),
                    "the published challenger carries a signature by the trusted key");
        }
    }

    /** Topics and an empty registry, as on a fresh install. */
    /**
     * What a producer with write access to the events topic can do to the nightly run is bounded: junk events larger
     * than an event may be are left out before they are held, a burst under one key holds at most its share of the
     * sample, and a fixed reference set of normal events gates the challenger too: a window poisoned from end to end
     * passes the window's own gates, and the challenger it trains fails on the reference set.
     */
    @Test
    void junk_and_a_burst_under_one_key_are_bounded_and_a_reference_set_gates_the_challenger() throws Exception {
        final Instant end = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        final Env e = env("bounded", 1);
        produceWindow(e.events(), end, "b-", Corrupt.ALL);
        final RetrainWindow w = RetrainWindow.of(end.minus(WINDOW), end, 0.1);
        final Random rnd = new Random(11);
        final List<ProducerRecord<byte[], byte[]>> extra = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            extra.add(new ProducerRecord<>(e.events(), null, w.start().toEpochMilli() + 1000 + i,
                    "junk".getBytes(StandardCharsets.UTF_8), new byte[300 * 1024]));
        }
        for (int i = 0; i < 3000; i++) {
            // just before the held-back slice, all under one key
            final ObjectNode ev = TestData.event(rnd, i).put("event_id", "burst-" + i).put("key", "burst");
            extra.add(new ProducerRecord<>(e.events(), null, w.holdoutStart().toEpochMilli() - 60_000 + i,
                    "burst".getBytes(StandardCharsets.UTF_8), Json.EVENTS.writeValueAsBytes(ev)));
        }
        KafkaTestClients.send(extra);
        // normal events as curated before the window was poisoned from end to end (so the window alone cannot tell)
        final Path reference = dir.resolve("reference.jsonl");
        final StringBuilder b = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            b.append(Json.EVENTS.writeValueAsString(TestData.event(rnd, i).put("event_id", "ref-" + i))).append('\n');
        }
        Files.writeString(reference, b);
        final CliRun run = retrain(e, end, Map.of("nelbo.retrain.max.rows", "1000", "nelbo.retrain.max.key.share", "0.1",
                "nelbo.retrain.reference", reference.toString()));
        assertEquals(3, run.exit(), run.out() + run.err());
        final JsonNode report = Json.DOCUMENTS.readTree(dir.resolve("report-" + e.events() + ".json").toFile());
        final JsonNode counts = report.get("counts");
        assertEquals(30, counts.get("left out as too large").asLong(), counts.toString());
        assertTrue(counts.get("left out over their key's share").asLong() > 0, counts.toString());
        assertTrue(counts.get("training sample").asLong() <= 1000, counts.toString());
        assertTrue(report.get("comparison").get("failures").isEmpty(), "the window alone passes: " + report);
        assertTrue(report.get("reason").asText().contains("on the reference set"), report.get("reason").asText());
        assertTrue(report.get("reference_comparison").get("challenger_alert_rate").asDouble() > 0.03, report.toString());
        try (ModelRegistry registry = registry(e)) {
            assertEquals(championManifest.modelVersion(), registry.read().current(), "the champion stays");
        }
    }

    @Test
    void operators_labels_train_the_challenger_and_a_challenger_that_reflags_labelled_false_positives_is_refused()
            throws Exception {
        final Instant end = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        final Env e = env("feedback", 1);
        produceWindow(e.events(), end, "n-", Corrupt.NONE);
        // in the training part: a new, benign pattern (a batch job's slow, large, retried calls) and a few incidents;
        // the champion flags both, and the operators label them
        final RetrainWindow w = RetrainWindow.of(end.minus(WINDOW), end, 0.1);
        final Random rnd = new Random(8);
        final List<byte[][]> events = new ArrayList<>();
        final List<Long> times = new ArrayList<>();
        final List<byte[][]> labels = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            final boolean incident = i % 8 == 7;
            final ObjectNode event = TestData.event(rnd, 100_000 + i);
            event.put("event_id", (incident ? "tp-" : "fp-") + i);
            ((ObjectNode) event.get("http")).put("latency_ms", incident ? 1e6 : Math.exp(8.3 + 0.05 * rnd.nextGaussian()));
            event.put("bytes", incident ? 1e6 : 5000 + 50 * rnd.nextGaussian());
            event.put("region", "eu");
            event.put("retried", true);
            events.add(new byte[][] {event.get("key").asText().getBytes(StandardCharsets.UTF_8), Json.EVENTS.writeValueAsBytes(event)});
            times.add(w.start().toEpochMilli() + (i + 1) * (w.holdoutStart().toEpochMilli() - w.start().toEpochMilli()) / 42);
            labels.add(new byte[][] {event.get("event_id").asText().getBytes(StandardCharsets.UTF_8),
                    ("{\"label\":\"" + (incident ? "true_positive" : "false_positive") + "\",\"model_version\":\""
                            + championManifest.modelVersion() + "\"}").getBytes(StandardCharsets.UTF_8)});
        }
        try (KafkaProducer<byte[], byte[]> p = KafkaTestClients.producer()) {
            for (int i = 0; i < events.size(); i++) {
                p.send(new ProducerRecord<>(e.events(), null, times.get(i), events.get(i)[0], events.get(i)[1])).get();
            }
        }
        final String feedbackTopic = SharedBroker.uniqueName("feedback-labels");
        SharedBroker.get().createCompactedTopic(feedbackTopic);
        KafkaTestClients.produce(feedbackTopic, labels);
        // a withdrawn label and a record that is not one: neither counts
        KafkaTestClients.produce(feedbackTopic, List.<byte[][]>of(new byte[][] {"n-5".getBytes(StandardCharsets.UTF_8),
                "{\"label\":\"true_positive\"}".getBytes(StandardCharsets.UTF_8)}, new byte[][] {"n-5".getBytes(
                StandardCharsets.UTF_8), null}, new byte[][] {"n-6".getBytes(StandardCharsets.UTF_8),
                "junk".getBytes(StandardCharsets.UTF_8)}));

        // judged on the labels but not trained on them: the challenger re-flags the false alarms and is refused
        final CliRun untaught = retrain(e, end, Map.of("nelbo.topic.feedback", feedbackTopic,
                "nelbo.retrain.feedback.false.positive.copies", "0"));
        assertEquals(3, untaught.exit(), untaught.out() + untaught.err());
        final JsonNode refused = Json.DOCUMENTS.readTree(dir.resolve("report-" + e.events() + ".json").toFile());
        assertEquals(35, refused.get("counts").get("labelled false positive").asLong(), refused.toString());
        assertEquals(5, refused.get("counts").get("labelled true positive (left out)").asLong(), refused.toString());
        assertEquals(WINDOW_EVENTS - 240, refused.get("counts").get("training sample").asLong(),
                "the labelled events are in neither sample: " + refused.get("counts"));
        final JsonNode untaughtCheck = refused.get("feedback");
        assertEquals(35, untaughtCheck.get("false_positives").asInt());
        assertEquals(35, untaughtCheck.get("champion_reflagged").asInt(), "the champion flags the new pattern");
        assertTrue(untaughtCheck.get("challenger_reflagged").asInt() > 17, untaughtCheck.toString());
        assertEquals(5, untaughtCheck.get("champion_flagged").asInt());
        assertEquals(0, untaughtCheck.get("challenger_missed").asInt(), "incidents are still flagged");
        assertTrue(untaught.out().contains("on the labelled alerts: re-flags"), untaught.out());
        assertEquals(40, untaughtCheck.get("events").size());

        // trained on the labelled false positives (the default): the pattern is learnt, the incidents still flagged
        final CliRun taught = retrain(e, end, Map.of("nelbo.topic.feedback", feedbackTopic));
        final JsonNode published = Json.DOCUMENTS.readTree(dir.resolve("report-" + e.events() + ".json").toFile());
        assertEquals(0, taught.exit(), taught.out() + taught.err());
        assertEquals(WINDOW_EVENTS - 240 + 10 * 35, published.get("counts").get("training rows").asLong(),
                published.get("counts").toString());
        final JsonNode taughtCheck = published.get("feedback");
        assertTrue(taughtCheck.get("challenger_reflagged").asInt() <= 17, taughtCheck.toString());
        assertEquals(0, taughtCheck.get("challenger_missed").asInt(), taughtCheck.toString());
        assertTrue(taught.out().contains("feedback gates: passed"), taught.out());
        try (ModelRegistry registry = registry(e)) {
            assertEquals(published.get("challenger").asText(), registry.read().current());
        }
    }

    private static Env emptyEnv(final String prefix, final int partitions) {
        final Env e = new Env(SharedBroker.uniqueName(prefix + "-events"), SharedBroker.uniqueName(prefix + "-alerts"),
                SharedBroker.uniqueName(prefix + "-models"), SharedBroker.uniqueName(prefix + "-scores"),
                SharedBroker.uniqueName(prefix + "-dlq"));
        SharedBroker.get().createTopics(partitions, e.events(), e.scores(), e.dlq());
        SharedBroker.get().createTopics(1, e.alerts());
        ModelRegistry.ensureTopic(SharedBroker.get().admin(), e.registry());
        return e;
    }

    /** Topics and a registry whose current model is the test champion. */
    private static Env env(final String prefix, final int partitions) {
        final Env e = emptyEnv(prefix, partitions);
        try (ModelRegistry r = registry(e)) {
            r.publish(champion, r.read().current());
        }
        return e;
    }

    private static ModelRegistry registry(final Env e) {
        return new ModelRegistry(Map.of("bootstrap.servers", SharedBroker.get().bootstrapServers()), e.registry());
    }

    /** Which part of a test window is broken. */
    private enum Corrupt { NONE, TRAINING, ALL }

    /** Writes one event in the topic's wire format. */
    @FunctionalInterface
    private interface Encoder {
        byte[] encode(ObjectNode event) throws Exception;
    }

    /** Events spread evenly over the window, the part {@code corrupt} names broken. */
    private static void produceWindow(final String topic, final Instant end, final String idPrefix, final Corrupt corrupt)
            throws Exception {
        produceWindow(topic, end, idPrefix, corrupt, Json.EVENTS::writeValueAsBytes);
    }

    private static void produceWindow(final String topic, final Instant end, final String idPrefix, final Corrupt corrupt,
                                      final Encoder encoder) throws Exception {
        final RetrainWindow w = RetrainWindow.of(end.minus(WINDOW), end, 0.1);
        final Random rnd = new Random(idPrefix.hashCode());
        final long step = WINDOW.toMillis() / WINDOW_EVENTS;
        final List<Future<RecordMetadata>> acks = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> p = KafkaTestClients.producer()) {
            for (int i = 0; i < WINDOW_EVENTS; i++) {
                final long ts = w.start().toEpochMilli() + i * step;
                final ObjectNode e = TestData.event(rnd, i);
                e.put("event_id", idPrefix + i);
                if (corrupt == Corrupt.ALL || corrupt == Corrupt.TRAINING && !w.inHoldout(ts)) {
                    ((ObjectNode) e.get("http")).put("latency_ms", Math.exp(9 + 2 * rnd.nextGaussian()));
                    e.put("bytes", 50_000 * rnd.nextDouble());
                    e.put("region", "eu");
                    e.put("retried", true);
                }
                acks.add(p.send(new ProducerRecord<>(topic, null, ts, e.get("key").asText().getBytes(StandardCharsets.UTF_8),
                        encoder.encode(e))));
            }
            p.flush();
            for (final Future<RecordMetadata> f : acks) {
                f.get();
            }
        }
    }

    /** Alerts (as the scorer writes them: the event's record timestamp) on the first {@code n} window events. */
    private static void produceAlerts(final String topic, final Instant end, final String idPrefix, final int n) throws Exception {
        final long step = WINDOW.toMillis() / WINDOW_EVENTS;
        final long start = end.minus(WINDOW).toEpochMilli();
        final List<Future<RecordMetadata>> acks = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> p = KafkaTestClients.producer()) {
            for (int i = 0; i < n; i++) {
                final ObjectNode alert = Json.EVENTS.createObjectNode().put("event_id", idPrefix + i).put("score", 99.0);
                acks.add(p.send(new ProducerRecord<>(topic, null, start + i * step, null, Json.EVENTS.writeValueAsBytes(alert))));
            }
            p.flush();
            for (final Future<RecordMetadata> f : acks) {
                f.get();
            }
        }
    }

    private static void produceLive(final String topic, final String idPrefix, final int n) throws Exception {
        final Random rnd = new Random(idPrefix.hashCode());
        final List<Future<RecordMetadata>> acks = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> p = KafkaTestClients.producer()) {
            for (int i = 0; i < n; i++) {
                final ObjectNode e = TestData.event(rnd, i);
                e.put("event_id", idPrefix + i);
                acks.add(p.send(new ProducerRecord<>(topic, e.get("key").asText().getBytes(StandardCharsets.UTF_8),
                        Json.EVENTS.writeValueAsBytes(e))));
            }
            p.flush();
            for (final Future<RecordMetadata> f : acks) {
                f.get();
            }
        }
    }

    private static Path configFile(final Env e, final Instant end, final Map<String, String> extra) throws IOException {
        final Properties p = new Properties();
        p.setProperty("bootstrap.servers", SharedBroker.get().bootstrapServers());
        p.setProperty("nelbo.topic.events", e.events());
        p.setProperty("nelbo.topic.alerts", e.alerts());
        p.setProperty("nelbo.topic.registry", e.registry());
        p.setProperty("nelbo.retrain.window", "2h");
        p.setProperty("nelbo.retrain.window.end", end.toString());
        p.setProperty("nelbo.retrain.gate.min.holdout.rows", "100");
        // the test champion is calibrated for a 1% false-positive rate and 240 rows are held back:
        // 3x the target keeps binomial noise (6 of 240 = 2.5%) from failing a sound challenger
        p.setProperty("nelbo.retrain.gate.max.alert.rate", "0.03");
        p.setProperty("nelbo.retrain.report", dir.resolve("report-" + e.events() + ".json").toString());
        extra.forEach(p::setProperty);
        final Path file = dir.resolve("retrain-" + e.events() + ".properties");
        try (var w = Files.newBufferedWriter(file)) {
            p.store(w, null);
        }
        return file;
    }

    private static CliRun retrain(final Env e, final Instant end, final Map<String, String> extra) throws IOException {
        return cli("retrain", "--config", configFile(e, end, extra).toString(), "--work-dir", dir.resolve("work-" + e.events()).toString());
    }

    private static CliRun cli(final String... args) {
        final long start = System.nanoTime();
        final CliRun run = CliRun.execute(NelboTrainer.commandLine(), args);
        final int decision = run.out().lastIndexOf("window: [");
        System.out.printf("%s exited %d after %.1f s%n%s", args[0], run.exit(), (System.nanoTime() - start) / 1e9,
                decision >= 0 ? run.out().substring(decision) : run.out());
        return run;
    }

    private static ScorerService scorer(final Env e, final String appId) {
        return scorer(e, appId, Map.of());
    }

    private static ScorerService scorer(final Env e, final String appId, final Map<String, String> extra) {
        final Map<String, String> s = new HashMap<>(extra);
        s.putIfAbsent("nelbo.engine.samples", "4");
        return ScorerService.start(ScorerConfig.of(TestScorers.settings(appId,
                new Topics(e.events(), e.scores(), e.alerts(), e.dlq(), e.registry()), null, s)), new PrometheusRegistry(), false);
    }

    private static void awaitTrue(final Supplier<Boolean> condition, final Duration timeout, final String what)
            throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }

    /** Steady traffic (about 1000 events/s, current timestamps, after the window) until stopped. */
    private static final class Load implements Runnable {
        private final String topic;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger sent = new AtomicInteger();

        Load(final String topic) {
            this.topic = topic;
        }

        @Override
        public void run() {
            final Random rnd = new Random(99);
            final List<Future<RecordMetadata>> acks = new ArrayList<>();
            try (KafkaProducer<byte[], byte[]> p = KafkaTestClients.producer()) {
                while (running.get()) {
                    for (int k = 0; k < 50; k++) {
                        final int i = sent.get();
                        final ObjectNode e = TestData.event(rnd, i);
                        e.put("event_id", "live-" + i);
                        acks.add(p.send(new ProducerRecord<>(topic, e.get("key").asText().getBytes(StandardCharsets.UTF_8),
                                Json.EVENTS.writeValueAsBytes(e))));
                        sent.incrementAndGet();
                    }
                    Thread.sleep(50);
                }
                p.flush();
                for (final Future<RecordMetadata> f : acks) {
                    f.get();
                }
            } catch (final Exception e) {
                throw new IllegalStateException("load producer failed", e);
            }
        }
    }
}
