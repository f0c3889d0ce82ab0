package dev.nelbo.scorer.model;

import dev.nelbo.schemas.event.EventFormat;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.schemas.bundle.BundleSignature;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.scorer.testkit.TestScorers;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelManagerTest {

    @TempDir
    Path dir;

    @Test
    void should_keep_the_serving_model_when_a_candidate_is_tampered_or_missing() throws Exception {
        final PrometheusRegistry registry = new PrometheusRegistry();
        try (ModelManager models = new ModelManager(EngineOptions.defaults().withMaxBatch(16), new ScorerMetrics(registry, false))) {
            final String v1 = ScorerFixtures.writeModel(dir.resolve("v1"), 1);
            assertTrue(models.offer(dir.resolve("v1"), "test"));
            ScorerFixtures.writeModel(dir.resolve("v2"), 2);
            Files.writeString(dir.resolve("v2").resolve("encoder.onnx"), "not a graph");
            assertFalse(models.offer(dir.resolve("v2"), "test"));
            assertFalse(models.offer(dir.resolve("missing"), "test"));
            assertEquals(v1, models.currentVersion().orElseThrow());
            assertEquals(2.0, TestScorers.metric(registry, "nelbo_model_rejected"));
        }
    }

    @Test
    void should_delete_an_owned_directory_once_no_model_needs_it_and_never_a_users_and_lend_nothing_once_retired()
            throws Exception {
        final Path user = dir.resolve("user");
        final String u = ScorerFixtures.writeModel(user, 1);
        final Path copy = dir.resolve("copy");
        final String v2 = ScorerFixtures.writeModel(copy, 2);
        final Path sameAgain = dir.resolve("same-again");
        ScorerFixtures.writeModel(sameAgain, 2);
        final Path tampered = dir.resolve("tampered");
        ScorerFixtures.writeModel(tampered, 3);
        Files.writeString(tampered.resolve("encoder.onnx"), "not a graph");
        final Path shadowCopy = dir.resolve("shadow");
        ScorerFixtures.writeModel(shadowCopy, 4);
        try (ModelManager models = new ModelManager(EngineOptions.defaults().withMaxBatch(16),
                new ScorerMetrics(new PrometheusRegistry(), false))) {
            assertTrue(models.offer(user, "nelbo.model.dir"));
            final LoadedModel first = models.current();
            assertEquals(u, first.version());

            assertTrue(models.offer(copy, "registry", true));
            assertTrue(Files.isRegularFile(user.resolve("encoder.onnx")), "the user's directory outlives its model");
            assertNull(first.borrow(), "a retired model lends nothing: its files may be gone");
            final ModelManager.Lease lease = models.borrowCurrent(first);
            assertEquals(v2, lease.model().version());
            assertNull(models.borrowCurrent(lease.model()), "nothing newer to move to");
            lease.model().giveBack(lease.engine());

            assertTrue(models.offer(sameAgain, "registry", true), "the version in place");
            assertFalse(Files.exists(sameAgain), "a second copy of the version in place is not needed");
            assertFalse(models.offer(tampered, "registry", true));
            assertFalse(Files.exists(tampered), "a refused copy is deleted at once");
            assertTrue(models.offerShadow(shadowCopy, "registry", true));
            assertTrue(Files.isDirectory(shadowCopy));
            models.clearShadow();
            assertFalse(Files.exists(shadowCopy), "a cleared shadow's copy is deleted");
            assertTrue(Files.isDirectory(copy), "the serving model's copy stays");

            models.close();
            assertFalse(Files.exists(copy), "closing deletes the serving model's copy");
            assertNull(models.borrowCurrent(null), "a closed manager lends nothing");
            assertFalse(models.offer(user, "nelbo.model.dir"), "a closed manager loads nothing");
        }
        assertEquals(u, ModelBundle.load(user).version(), "the user's directory is intact");
    }

    private static ModelManager manager(final ModelPolicy policy) {
        return new ModelManager(EngineOptions.defaults().withMaxBatch(16), new ScorerMetrics(new PrometheusRegistry(), false), policy);
    }

    @Test
    void with_trusted_keys_only_bundles_signed_by_one_of_them_serve() throws Exception {
        final KeyPair trainer = BundleSignature.generate();
        final KeyPair stranger = BundleSignature.generate();
        ScorerFixtures.writeModel(dir.resolve("unsigned"), 1);
        final String signed = ScorerFixtures.writeModel(dir.resolve("signed"), 2);
        BundleSignature.sign(dir.resolve("signed"), trainer.getPrivate());
        ScorerFixtures.writeModel(dir.resolve("forged"), 3);
        BundleSignature.sign(dir.resolve("forged"), stranger.getPrivate());
        try (ModelManager models = manager(new ModelPolicy(dev.nelbo.schemas.bundle.BundleTrust.of(List.of(trainer.getPublic())), ModelPolicy.DEFAULT_MAX_GRAPH_BYTES,
                ModelPolicy.DEFAULT_WARMUP_TIMEOUT, EventFormat.JSON))) {
            assertFalse(models.offer(dir.resolve("unsigned"), "test"));
            assertTrue(models.lastRefusal().contains("not signed"), models.lastRefusal());
            assertFalse(models.offer(dir.resolve("forged"), "test"));
            assertTrue(models.lastRefusal().contains("not a valid signature"), models.lastRefusal());
            assertTrue(models.offer(dir.resolve("signed"), "test"));
            assertEquals(signed, models.currentVersion().orElseThrow());
        }
        try (ModelManager open = manager(ModelPolicy.defaults())) {
            assertTrue(open.offer(dir.resolve("unsigned"), "test"), "without trusted keys an unsigned bundle serves");
        }
    }

    /**
     * With trusted keys, whoever can write the registry cannot bring back an old signed model: one created before a
     * model this instance served is refused, unless signed again as a rollback (which orders it after them); a shadow
     * is not held to this, and without trusted keys nothing is.
     */
    @Test
    void with_trusted_keys_an_older_model_serves_again_only_when_signed_as_a_rollback() throws Exception {
        final KeyPair trainer = BundleSignature.generate();
        final String old = ScorerFixtures.writeModel(dir.resolve("old"), 1, "2026-11-01T00:00:00Z");
        final String newer = ScorerFixtures.writeModel(dir.resolve("new"), 2, "2026-12-01T00:00:00Z");
        BundleSignature.sign(dir.resolve("old"), trainer.getPrivate(), "prod", null);
        BundleSignature.sign(dir.resolve("new"), trainer.getPrivate(), "prod", null);
        final ModelPolicy policy = new ModelPolicy(new dev.nelbo.schemas.bundle.BundleTrust(List.of(trainer.getPublic()),
                "prod"), ModelPolicy.DEFAULT_MAX_GRAPH_BYTES, ModelPolicy.DEFAULT_WARMUP_TIMEOUT,
                EventFormat.JSON);
        try (ModelManager models = manager(policy)) {
            assertTrue(models.offer(dir.resolve("old"), "test"), "the first model has nothing to be older than");
            assertTrue(models.offer(dir.resolve("new"), "test"));
            assertFalse(models.offer(dir.resolve("old"), "test"));
            assertTrue(models.lastRefusal().contains("older than a model this instance served")
                    && models.lastRefusal().contains("rollback"), models.lastRefusal());
            assertEquals(newer, models.currentVersion().orElseThrow());
            assertTrue(models.offerShadow(dir.resolve("old"), "test", false), "a shadow only scores beside");
            models.clearShadow();

            BundleSignature.sign(dir.resolve("old"), trainer.getPrivate(), "prod", java.time.Instant.now());
            assertTrue(models.offer(dir.resolve("old"), "test"), "signed as a rollback");
            assertEquals(old, models.currentVersion().orElseThrow());
            assertFalse(models.offer(dir.resolve("new"), "test"), "the rollback now orders after the newer model");
        }
        try (ModelManager open = manager(ModelPolicy.defaults())) {
            assertTrue(open.offer(dir.resolve("new"), "test"));
            assertTrue(open.offer(dir.resolve("old"), "test"), "without trusted keys there is no signed order");
        }
    }

    @Test
    void a_threshold_its_calibration_does_not_support_an_oversized_graph_and_a_slow_warm_up_are_refused() throws Exception {
        final Path silent = dir.resolve("silent");
        ScorerFixtures.writeModel(silent, 1);
        // the manifest is not among the files it checksums: without a signature, only the calibration check catches this
        final Path manifest = silent.resolve("manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replaceFirst("\"threshold\"\\s*:\\s*[0-9.eE+-]+", "\"threshold\" : 1.0E308"));
        ScorerFixtures.writeModel(dir.resolve("ok"), 2);
        try (ModelManager models = manager(ModelPolicy.defaults())) {
            assertFalse(models.offer(silent, "test"), "a threshold of 1e308 never alerts");
            assertTrue(models.lastRefusal().contains("not near its target false-positive rate"), models.lastRefusal());
        }
        try (ModelManager models = manager(new ModelPolicy(dev.nelbo.schemas.bundle.BundleTrust.NONE, 1024, ModelPolicy.DEFAULT_WARMUP_TIMEOUT, EventFormat.JSON))) {
            assertFalse(models.offer(dir.resolve("ok"), "test"));
            assertTrue(models.lastRefusal().contains("over the limit of 1024"), models.lastRefusal());
        }
        // Avro input whose schema lacks a path of the model's spec: refused before it is served, saying which
        final org.apache.avro.Schema narrow = dev.nelbo.schemas.event.AvroEventReader.parseSchema(
                dev.nelbo.schemas.testing.TestAvro.SCHEMA_JSON.replace("\"latency_ms\"", "\"latency\""));
        try (ModelManager models = manager(new ModelPolicy(dev.nelbo.schemas.bundle.BundleTrust.NONE,
                ModelPolicy.DEFAULT_MAX_GRAPH_BYTES, ModelPolicy.DEFAULT_WARMUP_TIMEOUT,
                dev.nelbo.schemas.event.AvroEventReader.format(narrow)))) {
            assertFalse(models.offer(dir.resolve("ok"), "test"));
            assertTrue(models.lastRefusal().contains("the input events cannot serve its feature spec: feature 'latency_ms'"
                    + " reads 'http.latency_ms'"), models.lastRefusal());
        }
        try (ModelManager models = manager(new ModelPolicy(dev.nelbo.schemas.bundle.BundleTrust.NONE,
                ModelPolicy.DEFAULT_MAX_GRAPH_BYTES, ModelPolicy.DEFAULT_WARMUP_TIMEOUT,
                dev.nelbo.schemas.event.AvroEventReader.format(dev.nelbo.schemas.testing.TestAvro.SCHEMA)))) {
            assertTrue(models.offer(dir.resolve("ok"), "test"), "a schema with every path serves it: " + models.lastRefusal());
        }
        // one nanosecond: no machine starts a thread and an ONNX Runtime session in that (1 ms was met on a fast CI host)
        try (ModelManager models = manager(new ModelPolicy(dev.nelbo.schemas.bundle.BundleTrust.NONE, ModelPolicy.DEFAULT_MAX_GRAPH_BYTES, Duration.ofNanos(1), EventFormat.JSON))) {
            assertFalse(models.offer(dir.resolve("ok"), "test"));
            assertTrue(models.lastRefusal().contains("took longer than 0 ms"), models.lastRefusal());
            assertTrue(models.currentVersion().isEmpty());
        }
    }
}
