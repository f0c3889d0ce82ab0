package dev.nelbo.scorer.model;

import dev.nelbo.registry.ModelRegistry;
import dev.nelbo.schemas.bundle.BundleSignature;
import dev.nelbo.scorer.app.ScorerService;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.scorer.testkit.TestScorers;
import dev.nelbo.testkit.KafkaTestClients;
import dev.nelbo.testkit.SharedBroker;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whoever can write the registry topic cannot choose the model of a deployment that trusts signing keys for an
 * audience: on a real broker, a bundle signed with the right key for another deployment and an older signed bundle
 * pinned again are refused while the serving model keeps scoring; the older one serves once signed as a rollback.
 */
class BundleTrustIntegrationTest {

    @TempDir
    Path dir;

    @Test
    void a_bundle_for_another_audience_and_an_old_signed_bundle_are_refused_until_signed_as_a_rollback() throws Exception {
        final Topics topics = TestScorers.freshTopics("trust", 1);
        final KeyPair trainer = BundleSignature.generate();
        final Path keyFile = Files.writeString(dir.resolve("trainer.pub"), BundleSignature.pem(trainer.getPublic()));
        final String older = ScorerFixtures.writeModel(dir.resolve("older"), 1, "2026-11-01T00:00:00Z");
        final String newer = ScorerFixtures.writeModel(dir.resolve("newer"), 2, "2026-12-01T00:00:00Z");
        final String staging = ScorerFixtures.writeModel(dir.resolve("staging"), 3, "2026-12-02T00:00:00Z");
        BundleSignature.sign(dir.resolve("older"), trainer.getPrivate(), "prod", null);
        BundleSignature.sign(dir.resolve("newer"), trainer.getPrivate(), "prod", null);
        BundleSignature.sign(dir.resolve("staging"), trainer.getPrivate(), "staging", null);
        final Map<String, String> settings = TestScorers.settings(SharedBroker.uniqueName("trust-app"), topics, null,
                Map.of("nelbo.bundle.trusted.keys", keyFile.toString(), "nelbo.bundle.audience", "prod",
                        "nelbo.model.last.good.dir", dir.resolve("last-good").toString()));
        final PrometheusRegistry metrics = new PrometheusRegistry();
        try (ModelRegistry registry = new ModelRegistry(Map.of("bootstrap.servers", SharedBroker.get().bootstrapServers()),
                topics.registry())) {
            registry.store(dir.resolve("older"));
            registry.publish(dir.resolve("newer"), null);
            try (ScorerService service = ScorerService.start(TestScorers.config(settings), metrics, false)) {
                LiveSwapIntegrationTest.awaitReady(service);
                final ModelManager models = service.models();
                assertEquals(newer, models.currentVersion().orElseThrow());
                sendEvents(topics, 0);

                registry.publish(dir.resolve("staging"), newer);
                LiveSwapIntegrationTest.awaitTrue(() -> String.valueOf(models.lastRefusal()).contains("audience 'staging'"),
                        "the staging bundle refused");
                registry.pin(older, staging);
                LiveSwapIntegrationTest.awaitTrue(() -> String.valueOf(models.lastRefusal()).contains("older than a model"),
                        "the older bundle refused");
                assertEquals(newer, models.currentVersion().orElseThrow(), "the serving model keeps serving");
                sendEvents(topics, 10);

                BundleSignature.sign(dir.resolve("older"), trainer.getPrivate(), "prod", Instant.now());
                registry.publish(dir.resolve("older"), older);
                LiveSwapIntegrationTest.awaitCurrent(models, older);
                sendEvents(topics, 20);
                final List<ConsumerRecord<byte[], byte[]>> scores = KafkaTestClients.readCommitted(List.of(topics.scores()),
                        Duration.ofSeconds(60), l -> l.size() >= 30);
                assertEquals(30, scores.size(), "every event scored, before, during and after the refusals");
                final List<String> versions = scores.stream().map(r -> new String(r.headers()
                        .lastHeader(Topics.MODEL_VERSION_HEADER).value(), StandardCharsets.UTF_8)).toList();
                assertEquals(20, versions.stream().filter(newer::equals).count(), versions.toString());
                assertEquals(10, versions.stream().filter(older::equals).count(), "the rollback serves");
                assertTrue(TestScorers.metric(metrics, "nelbo_model_rejected") >= 2);
            }
        }
    }

    /** Ten events, each scored before the next batch is sent (so each batch meets the model serving at the time). */
    private static void sendEvents(final Topics topics, final int from) throws Exception {
        final List<byte[][]> events = new ArrayList<>();
        for (int i = from; i < from + 10; i++) {
            events.add(new byte[][] {("k" + i).getBytes(StandardCharsets.UTF_8), ScorerFixtures.normal(i)});
        }
        KafkaTestClients.produce(topics.events(), events);
        KafkaTestClients.readCommitted(List.of(topics.scores()), Duration.ofSeconds(60), l -> l.size() >= from + 10);
    }
}
