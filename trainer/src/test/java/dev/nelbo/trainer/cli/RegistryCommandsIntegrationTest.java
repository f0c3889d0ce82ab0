package dev.nelbo.trainer.cli;

import dev.nelbo.registry.FleetStatus;
import dev.nelbo.registry.InstanceStatus;
import dev.nelbo.registry.ModelRegistry;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.schemas.bundle.BundleSignature;
import dev.nelbo.schemas.bundle.BundleWriter;
import dev.nelbo.schemas.bundle.MlpWeights;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.testing.TestBundles;
import dev.nelbo.schemas.testing.TestData;
import dev.nelbo.scorer.app.ScorerService;
import dev.nelbo.scorer.config.ScorerConfig;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.scorer.testkit.TestScorers;
import dev.nelbo.testkit.CliRun;
import dev.nelbo.testkit.SharedBroker;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry commands against a real broker and a real scorer instance: they check a version as the fleet will
 * before writing, then report what each live instance did with it; with trusted keys they publish only signed
 * bundles.
 */
class RegistryCommandsIntegrationTest {

    @TempDir
    Path dir;

    private static CliRun cli(final String... args) {
        return CliRun.execute(NelboTrainer.commandLine(), args);
    }

    /** A bundle whose feature spec reads the event id from another field: no instance reading TestData events takes it. */
    private Path config(final Topics t, final String status, final Map<String, String> extra) throws Exception {
        final Properties p = new Properties();
        p.setProperty("bootstrap.servers", SharedBroker.get().bootstrapServers());
        p.setProperty("nelbo.topic.registry", t.registry());
        p.setProperty("nelbo.topic.status", status);
        extra.forEach(p::setProperty);
        final Path file = Files.createTempFile(dir, "registry-", ".properties");
        try (var w = Files.newBufferedWriter(file)) {
            p.store(w, null);
        }
        return file;
    }

    @Test
    void rollback_checks_what_the_live_instances_serve_and_reports_the_instances_that_refused() throws Exception {
        final Topics t = TestScorers.freshTopics("fleet", 1);
        final String status = SharedBroker.uniqueName("status");
        final String v1 = ScorerFixtures.writeModel(dir.resolve("v1"), 1);
        final String v2 = ScorerFixtures.writeModel(dir.resolve("v2"), 2);
        final String v3 = ScorerFixtures.writeIncompatibleModel(dir.resolve("v3"));
        try (ModelRegistry r = new ModelRegistry(Map.of("bootstrap.servers", SharedBroker.get().bootstrapServers()), t.registry())) {
            r.publish(dir.resolve("v1"), null);
            r.store(dir.resolve("v2"));
            r.store(dir.resolve("v3"));
        }
        final String cfg = config(t, status, Map.of()).toString();
        try (ScorerService scorer = ScorerService.start(ScorerConfig.of(TestScorers.settings(SharedBroker.uniqueName("fleet-app"), t,
                null, Map.of("nelbo.topic.status", status, "nelbo.instance.id", "pod-a"))), new PrometheusRegistry(), false)) {
            awaitTrue(() -> cli("models", "--config", cfg).out().contains("pod-a: serving " + v1), "the instance reports v1");

            // its reports are the documented contract
            final InstanceStatus report = FleetStatus.read(Map.of("bootstrap.servers", SharedBroker.get().bootstrapServers()), status)
                    .values().stream().filter(s -> s.instance().equals("pod-a")).findFirst().orElseThrow();
            assertEquals(List.of(), Schemas.validate(SchemaDocument.INSTANCE_STATUS, Json.DOCUMENTS.valueToTree(report)));
            assertEquals(t.registry(), report.registry());
            assertEquals(v1, report.registryCurrent());

            // the brokers as Kafka's own tools take them, the rest as --set: no file needed
            final CliRun listed = cli("models", "--bootstrap-server", SharedBroker.get().bootstrapServers(),
                    "--set", "nelbo.topic.registry=" + t.registry(), "--set", "nelbo.topic.status=" + status);
            assertEquals(0, listed.exit(), listed.err());
            assertTrue(listed.out().contains(v3) && listed.out().contains("pod-a: serving " + v1), listed.out());
            final CliRun refused = cli("rollback", "--to", v3, "--config", cfg);
            assertEquals(1, refused.exit(), refused.out() + refused.err());
            assertTrue(refused.err().contains("the scorers would refuse " + v3) && refused.err().contains("id path")
                    && refused.err().contains("served by 1 live instance(s)"), refused.err());
            assertEquals(v1, scorer.models().currentVersion().orElseThrow(), "nothing was written");

            final CliRun forced = cli("rollback", "--to", v3, "--force", "--wait", "30s", "--config", cfg);
            assertEquals(NelboTrainer.EXIT_FLEET_REFUSED, forced.exit(), forced.out() + forced.err());
            assertTrue(forced.out().contains("0 of 1 live scorer instance(s) serve " + v3)
                    && forced.out().contains("pod-a") && forced.out().contains("REFUSED " + v3)
                    && forced.out().contains("feature spec incompatible"), forced.out());
            assertEquals(v1, scorer.models().currentVersion().orElseThrow());

            final CliRun back = cli("rollback", "--to", v2, "--wait", "30s", "--config", cfg);
            assertEquals(0, back.exit(), back.out() + back.err());
            assertTrue(back.out().contains("1 of 1 live scorer instance(s) serve " + v2), back.out());
            assertEquals(v2, scorer.models().currentVersion().orElseThrow());
        }
        // a stopped instance removes its report: nobody is left to wait for
        final CliRun after = cli("rollback", "--to", v1, "--config", cfg);
        assertEquals(0, after.exit(), after.out() + after.err());
        assertTrue(after.out().contains("no scorer instance following " + t.registry()), after.out());
    }

    @Test
    void with_trusted_keys_the_commands_publish_only_bundles_signed_by_one_of_them() throws Exception {
        final Topics t = TestScorers.freshTopics("signed", 1);
        final KeyPair trainer = BundleSignature.generate();
        final Path pub = Files.writeString(dir.resolve("trainer.pub"), BundleSignature.pem(trainer.getPublic()));
        final String cfg = config(t, SharedBroker.uniqueName("status"), Map.of("nelbo.bundle.trusted.keys", pub.toString())).toString();
        ScorerFixtures.writeModel(dir.resolve("unsigned"), 1);
        final CliRun unsigned = cli("publish", "--model", dir.resolve("unsigned").toString(), "--config", cfg);
        assertEquals(1, unsigned.exit(), unsigned.out() + unsigned.err());
        assertTrue(unsigned.err().contains("not signed") && unsigned.err().contains("nothing written"), unsigned.err());

        final String v2 = ScorerFixtures.writeModel(dir.resolve("signed"), 2);
        BundleSignature.sign(dir.resolve("signed"), trainer.getPrivate());
        final CliRun signed = cli("publish", "--model", dir.resolve("signed").toString(), "--wait", "0s", "--config", cfg);
        assertEquals(0, signed.exit(), signed.out() + signed.err());
        assertTrue(signed.out().contains("published " + v2 + " as current (was none)"), signed.out());
    }

    /** With a signing key, rollback signs the version again as a rollback, for the configured audience. */
    @Test
    void with_a_signing_key_rollback_signs_the_version_again_as_a_rollback() throws Exception {
        final Topics t = TestScorers.freshTopics("signed-rollback", 1);
        final KeyPair trainer = BundleSignature.generate();
        final Path pub = Files.writeString(dir.resolve("trainer.pub"), BundleSignature.pem(trainer.getPublic()));
        final Path key = Files.writeString(dir.resolve("trainer.key"), BundleSignature.pem(trainer.getPrivate()));
        final String cfg = config(t, SharedBroker.uniqueName("status"), Map.of("nelbo.bundle.trusted.keys", pub.toString(),
                "nelbo.bundle.signing.key", key.toString(), "nelbo.bundle.signing.audience", "prod")).toString();
        final String v1 = ScorerFixtures.writeModel(dir.resolve("v1"), 1, "2026-11-01T00:00:00Z");
        final String v2 = ScorerFixtures.writeModel(dir.resolve("v2"), 2, "2026-12-01T00:00:00Z");
        for (final String v : List.of("v1", "v2")) {
            BundleSignature.sign(dir.resolve(v), trainer.getPrivate(), "prod", null);
            final CliRun published = cli("publish", "--model", dir.resolve(v).toString(), "--wait", "0s", "--config", cfg);
            assertEquals(0, published.exit(), published.out() + published.err());
        }
        final java.time.Instant before = java.time.Instant.now();
        final CliRun back = cli("rollback", "--to", v1, "--wait", "0s", "--config", cfg);
        assertEquals(0, back.exit(), back.out() + back.err());
        assertTrue(back.out().contains("signed as a rollback"), back.out());
        try (ModelRegistry r = new ModelRegistry(Map.of("bootstrap.servers", SharedBroker.get().bootstrapServers()), t.registry())) {
            final ModelRegistry.Snapshot s = r.read();
            assertEquals(v1, s.current());
            s.unpack(v1, dir.resolve("stored"), new dev.nelbo.schemas.bundle.BundleTrust(List.of(trainer.getPublic()), "prod"));
            final dev.nelbo.schemas.bundle.ModelBundle stored = dev.nelbo.schemas.bundle.ModelBundle.load(dir.resolve("stored"),
                    new dev.nelbo.schemas.bundle.BundleTrust(List.of(trainer.getPublic()), "prod"));
            assertTrue(!stored.signed().rollbackAt().isBefore(before.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)),
                    "signed as a rollback now: " + stored.signed());
            assertTrue(stored.orderedAt().isAfter(java.time.Instant.parse("2026-12-01T00:00:00Z")), "so it orders after " + v2);
        }
    }

    private static void awaitTrue(final Supplier<Boolean> condition, final String what) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(200);
        }
    }
}
