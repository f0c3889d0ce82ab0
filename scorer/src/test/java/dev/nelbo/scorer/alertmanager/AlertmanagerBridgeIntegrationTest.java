package dev.nelbo.scorer.alertmanager;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.state.MapKeyedStore;
import dev.nelbo.scorer.config.ScorerConfig;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.pipeline.Origin;
import dev.nelbo.scorer.pipeline.Outputs;
import dev.nelbo.scorer.pipeline.PipelineSettings;
import dev.nelbo.scorer.pipeline.ScoringPipeline;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.scorer.testkit.TestScorers;
import dev.nelbo.testkit.KafkaTestClients;
import dev.nelbo.testkit.SharedBroker;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The bridge against a real Alertmanager (Debian's prometheus-alertmanager, skipped where it is not installed; CI
 * installs it) and the shared broker, with alerts the scoring pipeline wrote. Notifications are counted at a webhook
 * receiver: an alert must reach it once, across a restart of the bridge that sends everything again, across an
 * outage of Alertmanager, and not at all while an Alertmanager silence matches it.
 */
class AlertmanagerBridgeIntegrationTest {

    @TempDir
    static Path dir;

    private static LocalAlertmanager alertmanager;
    private static HttpServer webhook;
    /** Every alert of every notification the webhook received. */
    private static final Queue<JsonNode> NOTIFIED = new ConcurrentLinkedQueue<>();
    /** Event numbers, so that every test's events (and alerts) have ids of their own. */
    private static final java.util.concurrent.atomic.AtomicInteger NEXT_EVENT = new java.util.concurrent.atomic.AtomicInteger();

    @BeforeAll
    static void start() throws IOException {
        final java.util.Optional<Path> binary = LocalAlertmanager.binary();
        assumeTrue(binary.isPresent(), "prometheus-alertmanager not on PATH (Debian package 'prometheus-alertmanager'):"
                + " the Alertmanager bridge is NOT tested");
        webhook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        webhook.createContext("/hook", exchange -> {
            Json.DOCUMENTS.readTree(exchange.getRequestBody().readAllBytes()).path("alerts").forEach(NOTIFIED::add);
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        webhook.start();
        final Path amDir = Files.createDirectories(dir.resolve("alertmanager"));
        alertmanager = LocalAlertmanager.start(binary.get(), amDir, "http://127.0.0.1:" + webhook.getAddress().getPort()
                + "/hook");
    }

    @AfterAll
    static void stop() {
        if (alertmanager != null) {
            alertmanager.close();
        }
        if (webhook != null) {
            webhook.stop(0);
        }
    }

    /** Real alerts: the scoring pipeline's, one per key, for anomalous events of the given keys. */
    private static List<byte[]> alertsFor(final List<String> keys) {
        final PrometheusRegistry registry = new PrometheusRegistry();
        final ScorerMetrics metrics = new ScorerMetrics(registry, false);
        final List<byte[]> alerts = new ArrayList<>();
        try (ModelManager models = new ModelManager(EngineOptions.defaults().withMaxBatch(32), metrics)) {
            final Path model = dir.resolve("model");
            if (!Files.exists(model)) {
                ScorerFixtures.writeModel(model, 3);
            }
            assertTrue(models.offer(model, "test"));
            final long now = System.currentTimeMillis();
            try (ScoringPipeline p = new ScoringPipeline(models, metrics, PipelineSettings.defaults(0), new MapKeyedStore<>(),
                    new MapKeyedStore<>(), new MapKeyedStore<>(), new MapKeyedStore<>(), (kind, origin, key, value, version) -> {
                        if (kind == Outputs.Kind.ALERT) {
                            alerts.add(value);
                        }
                    }, false, "0_0", () -> now, () -> dev.nelbo.scorer.rules.AlertRules.NONE)) {
                for (int i = 0; i < keys.size(); i++) {
                    final String key = keys.get(i);
                    p.accept(ScorerFixtures.anomaly(NEXT_EVENT.getAndIncrement(), key, now - 1000), new Origin("events", 0, i,
                            now - 1000, key.getBytes(StandardCharsets.UTF_8), null));
                }
                p.flush();
            }
        }
        assertEquals(keys.size(), alerts.size(), "one alert per anomalous event");
        for (final byte[] a : alerts) {
            assertEquals(List.of(), Schemas.validate(SchemaDocument.ALERT, ScorerFixtures.parse(a)));
        }
        return alerts;
    }

    /** A bridge on its own thread. */
    private static final class Running implements AutoCloseable {
        final PrometheusRegistry registry = new PrometheusRegistry();
        final AlertmanagerBridge bridge;
        final Thread thread;

        Running(final String topic, final String group) {
            final ScorerConfig cfg = ScorerConfig.of(Map.of("bootstrap.servers", SharedBroker.get().bootstrapServers(),
                    "nelbo.topic.alerts", topic, "nelbo.alertmanager.url", alertmanager.url(),
                    "nelbo.alertmanager.group.id", group, "nelbo.alertmanager.offset.reset", "earliest",
                    "nelbo.alertmanager.labels", "env=test,team=sre", "nelbo.alertmanager.retry.max.ms", "1000"));
            bridge = new AlertmanagerBridge(cfg.alertmanagerSettings(), cfg.clientProperties(), topic, registry);
            thread = new Thread(() -> {
                try {
                    bridge.run();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "bridge-" + group);
            thread.start();
        }

        double metric(final String name) {
            return TestScorers.metric(registry, name);
        }

        @Override
        public void close() throws InterruptedException {
            bridge.close();
            thread.join(20_000);
            assertFalse(thread.isAlive(), "the bridge stops when closed");
        }
    }

    private static String topicWith(final List<byte[]> alerts, final List<String> keys) {
        final String topic = SharedBroker.uniqueName("am-alerts");
        SharedBroker.get().createTopics(2, topic);
        final List<byte[][]> records = new ArrayList<>();
        for (int i = 0; i < alerts.size(); i++) {
            records.add(new byte[][] {keys.get(i).getBytes(StandardCharsets.UTF_8), alerts.get(i)});
        }
        KafkaTestClients.produce(topic, records);
        return topic;
    }

    private static List<JsonNode> held(final String label, final String value) throws IOException, InterruptedException {
        return StreamSupport.stream(alertmanager.alerts().spliterator(), false)
                .filter(a -> value.equals(a.path("labels").path(label).asText())).toList();
    }

    private static long notified(final String eventId) {
        return NOTIFIED.stream().filter(a -> eventId.equals(a.path("labels").path("event_id").asText())).count();
    }

    private static void await(final String what, final BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(100);
        }
    }

    private static boolean committedAll(final String group, final String topic, final int records) {
        try {
            final Map<TopicPartition, OffsetAndMetadata> offsets = SharedBroker.get().admin()
                    .listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                    .mapToLong(e -> e.getValue().offset()).sum() == records;
        } catch (final Exception e) {
            return false;
        }
    }

    @Test
    void each_alert_reaches_alertmanager_once_with_its_labels_even_when_a_restarted_bridge_sends_it_again() throws Exception {
        final List<String> keys = List.of("web-1", "web-2", "web-3", "db-1", "db-2");
        final List<byte[]> alerts = alertsFor(keys);
        final String topic = topicWith(alerts, keys);
        final List<String> ids = alerts.stream().map(a -> ScorerFixtures.parse(a).path("event_id").asText()).toList();
        final String group = SharedBroker.uniqueName("am-bridge");
        try (Running bridge = new Running(topic, group)) {
            await("five notifications", () -> ids.stream().allMatch(id -> notified(id) == 1));
            await("the offsets committed", () -> committedAll(group, topic, keys.size()));
            assertEquals(keys.size(), bridge.metric("nelbo_alertmanager_alerts_sent"));
        }
        for (int i = 0; i < keys.size(); i++) {
            final JsonNode source = ScorerFixtures.parse(alerts.get(i));
            final List<JsonNode> inAm = held("event_id", ids.get(i));
            assertEquals(1, inAm.size(), ids.get(i));
            final JsonNode labels = inAm.get(0).path("labels");
            assertEquals("NelboAnomaly", labels.path("alertname").asText());
            assertEquals("event", labels.path("kind").asText());
            assertEquals(keys.get(i), labels.path("key").asText());
            assertEquals(source.path("model_version").asText(), labels.path("model_version").asText());
            assertEquals(source.path("top_features").get(0).path("feature").asText(), labels.path("top_feature").asText());
            assertEquals("test", labels.path("env").asText());
            assertEquals("sre", labels.path("team").asText());
            final JsonNode annotations = inAm.get(0).path("annotations");
            assertEquals(source.path("score").asText(), annotations.path("score").asText());
            assertTrue(annotations.path("top_features").asText().contains("observed "
                    + source.path("top_features").get(0).path("observed").asText()), annotations.toString());
            assertEquals("active", inAm.get(0).path("status").path("state").asText());
        }

        // a restart that lost its commits: the whole topic again
        final Map<TopicPartition, OffsetAndMetadata> zero = new HashMap<>();
        for (int p = 0; p < 2; p++) {
            zero.put(new TopicPartition(topic, p), new OffsetAndMetadata(0));
        }
        SharedBroker.get().admin().alterConsumerGroupOffsets(group, zero).all().get();
        try (Running again = new Running(topic, group)) {
            await("the alerts sent again", () -> again.metric("nelbo_alertmanager_alerts_sent") == keys.size());
            // three group intervals of the Alertmanager: time to notify again, were it going to
            Thread.sleep(3000);
        }
        for (final String id : ids) {
            assertEquals(1, notified(id), "notified once: " + id);
            assertEquals(1, held("event_id", id).size(), "one alert in Alertmanager: " + id);
        }
    }

    @Test
    void an_outage_of_alertmanager_holds_the_offsets_and_is_retried_until_it_accepts() throws Exception {
        final List<String> keys = List.of("cache-1", "cache-2");
        final List<byte[]> alerts = alertsFor(keys);
        final String topic = topicWith(alerts, keys);
        final String group = SharedBroker.uniqueName("am-outage");
        alertmanager.stop();
        try (Running bridge = new Running(topic, group)) {
            await("failures counted", () -> bridge.metric("nelbo_alertmanager_send_failures") >= 2);
            assertEquals(0.0, bridge.metric("nelbo_alertmanager_up"));
            assertTrue(bridge.bridge.joined() && !bridge.bridge.up(), "in its group, not delivering: /readyz says which");
            assertFalse(committedAll(group, topic, keys.size()), "nothing committed while Alertmanager is down");
            alertmanager.start();
            await("both alerts notified", () -> alerts.stream().allMatch(a -> notified(ScorerFixtures.parse(a)
                    .path("event_id").asText()) == 1));
            await("the offsets committed", () -> committedAll(group, topic, keys.size()));
            assertEquals(1.0, bridge.metric("nelbo_alertmanager_up"));
            assertEquals(2.0, bridge.metric("nelbo_alertmanager_alerts_sent"));
        }
    }

    @Test
    void two_bridges_that_share_the_topic_while_alertmanager_is_down_deliver_each_alert_once() throws Exception {
        final List<String> keys = List.of("queue-1", "queue-2", "queue-3", "queue-4", "queue-5", "queue-6");
        final List<byte[]> alerts = alertsFor(keys);
        final String topic = topicWith(alerts, keys);
        final String group = SharedBroker.uniqueName("am-pair");
        alertmanager.stop();
        try (Running first = new Running(topic, group)) {
            await("the first bridge retrying", () -> first.metric("nelbo_alertmanager_send_failures") >= 1);
            // the second member takes a partition from the first while it holds an undelivered batch
            try (Running second = new Running(topic, group)) {
                await("both bridges retrying", () -> second.metric("nelbo_alertmanager_send_failures") >= 1
                        && first.metric("nelbo_alertmanager_send_failures") >= 3);
                alertmanager.start();
                await("every alert notified", () -> alerts.stream().allMatch(a -> notified(ScorerFixtures.parse(a)
                        .path("event_id").asText()) >= 1));
                await("every offset committed", () -> committedAll(group, topic, keys.size()));
                Thread.sleep(2000);
            }
        }
        for (final byte[] a : alerts) {
            final String id = ScorerFixtures.parse(a).path("event_id").asText();
            assertEquals(1, notified(id), "notified once: " + id);
        }
    }

    @Test
    void an_alert_an_alertmanager_silence_matches_is_held_there_suppressed_and_not_notified() throws Exception {
        final List<String> keys = List.of("batch-7", "batch-8");
        final List<byte[]> alerts = alertsFor(keys);
        final String muted = ScorerFixtures.parse(alerts.get(0)).path("event_id").asText();
        final String loud = ScorerFixtures.parse(alerts.get(1)).path("event_id").asText();
        alertmanager.silence("key", "batch-7");
        final String topic = topicWith(alerts, keys);
        final String group = SharedBroker.uniqueName("am-silence");
        try (Running bridge = new Running(topic, group)) {
            await("the other alert notified", () -> notified(loud) == 1);
            await("the offsets committed", () -> committedAll(group, topic, keys.size()));
        }
        final List<JsonNode> mutedInAm = held("event_id", muted);
        assertEquals(1, mutedInAm.size());
        assertEquals("suppressed", mutedInAm.get(0).path("status").path("state").asText(), mutedInAm.toString());
        // two group intervals more: time enough to notify it, were it going to
        Thread.sleep(2000);
        assertEquals(0, notified(muted), "a silenced alert is not notified");
    }

    @Test
    void records_that_are_not_alerts_are_skipped_and_counted_and_the_alerts_after_them_delivered() throws Exception {
        final List<String> keys = List.of("edge-1");
        final List<byte[]> alerts = new ArrayList<>(alertsFor(keys));
        final String topic = SharedBroker.uniqueName("am-hostile");
        SharedBroker.get().createTopics(1, topic);
        final List<byte[][]> records = new ArrayList<>();
        for (final byte[] junk : List.of("not json".getBytes(StandardCharsets.UTF_8), "[1,2]".getBytes(StandardCharsets.UTF_8),
                "{\"model_version\":\"v\",\"kind\":\"meteor\"}".getBytes(StandardCharsets.UTF_8),
                "{\"model_version\":\"v\"}".getBytes(StandardCharsets.UTF_8), new byte[0])) {
            records.add(new byte[][] {null, junk});
        }
        records.add(new byte[][] {keys.get(0).getBytes(StandardCharsets.UTF_8), alerts.get(0)});
        KafkaTestClients.produce(topic, records);
        final String id = ScorerFixtures.parse(alerts.get(0)).path("event_id").asText();
        final String group = SharedBroker.uniqueName("am-hostile");
        try (Running bridge = new Running(topic, group)) {
            await("the alert after the junk notified", () -> notified(id) == 1);
            await("every offset committed", () -> committedAll(group, topic, records.size()));
            assertEquals(5.0, bridge.metric("nelbo_alertmanager_alerts_rejected"));
            assertEquals(1.0, bridge.metric("nelbo_alertmanager_alerts_sent"));
        }
    }
}
