package dev.nelbo.scorer.pipeline;

import dev.nelbo.schemas.event.EventFormat;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.schemas.state.BoundedKeyedStore;
import dev.nelbo.schemas.state.MapKeyedStore;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.rules.AlertRule;
import dev.nelbo.scorer.rules.AlertRules;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.scorer.testkit.TestScorers;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The entity test in the per-record path: a key's evidence adds up over its events, one entity alert per run, the
 * state survives a restart and a replay gives the same outputs; forged times, other keys and model swaps cannot mute it.
 */
class EntityEvidencePipelineTest {

    /** Two anomalies reach it (each adds at most half of it), one does not. */
    private static final double THRESHOLD = 7.2;

    @TempDir
    Path dir;

    private ModelManager models;
    private PrometheusRegistry registry;
    private ScorerMetrics metrics;
    private final long now = System.currentTimeMillis();

    @BeforeEach
    void setUp() {
        registry = new PrometheusRegistry();
        metrics = new ScorerMetrics(registry, false);
        models = new ModelManager(EngineOptions.defaults().withMaxBatch(32), metrics);
        ScorerFixtures.writeEntityModel(dir.resolve("e1"), 1, THRESHOLD);
        assertTrue(models.offer(dir.resolve("e1"), "test"));
    }

    @AfterEach
    void tearDown() {
        models.close();
    }

    @Test
    void evidence_adds_up_per_key_raises_one_entity_alert_per_run_and_clears_with_normal_events() {
        final List<JsonNode> out = new ArrayList<>();
        final MapKeyedStore<byte[]> store = new MapKeyedStore<>();
        try (ScoringPipeline p = pipeline(store, out)) {
            int offset = 0;
            // db-1: normal, anomaly, normal of another key in between, anomaly, anomaly, then normal events
            p.accept(ScorerFixtures.normal(0, "db-1"), origin(offset++, "db-1"));
            p.accept(ScorerFixtures.anomaly(1, "db-1", now), origin(offset++, "db-1"));
            p.accept(ScorerFixtures.normal(2, "db-2"), origin(offset++, "db-2"));
            p.accept(ScorerFixtures.anomaly(3, "db-1", now), origin(offset++, "db-1"));
            p.accept(ScorerFixtures.anomaly(4, "db-1", now), origin(offset++, "db-1"));
            for (int i = 5; i < 15; i++) {
                p.accept(ScorerFixtures.normal(i, "db-1"), origin(offset++, "db-1"));
            }
            // a second run of the same key: a second entity alert
            p.accept(ScorerFixtures.anomaly(15, "db-1", now), origin(offset++, "db-1"));
            p.accept(ScorerFixtures.anomaly(16, "db-1", now), origin(offset++, "db-1"));
            p.flush();
            assertEquals(1, p.purgeEntities().keys(), "db-1 is in a run; db-2 never was and holds no state");
        }
        final List<JsonNode> scores = of(out, "score");
        final List<JsonNode> entityAlerts = out.stream().filter(o -> "entity".equals(o.path("kind").asText())).toList();
        final List<JsonNode> eventAlerts = out.stream().filter(o -> "event".equals(o.path("kind").asText())).toList();
        out.forEach(o -> assertTrue(Schemas.validate(o.has("kind") ? SchemaDocument.ALERT : SchemaDocument.SCORE, o).isEmpty(),
                o + ": " + Schemas.validate(o.has("kind") ? SchemaDocument.ALERT : SchemaDocument.SCORE, o)));
        assertEquals(0, scores.get(0).get("entity_evidence").asDouble(), "a normal event carries no evidence");
        assertEquals(THRESHOLD / 2, scores.get(1).get("entity_evidence").asDouble(), 1e-9, "one anomaly: half the threshold");
        assertFalse(scores.get(1).get("entity_anomalous").asBoolean());
        assertEquals(0, scores.get(2).get("entity_evidence").asDouble(), "db-2 has its own evidence");
        assertTrue(scores.get(3).get("entity_anomalous").asBoolean(), "db-1's second anomaly reaches the threshold");
        assertTrue(scores.get(4).get("entity_anomalous").asBoolean());
        assertEquals(THRESHOLD + 1, scores.get(4).get("entity_evidence").asDouble(), 1e-9, "capped at threshold + drift / 2");
        assertFalse(scores.get(5).get("entity_anomalous").asBoolean(), "the first normal event ends the anomalous state");
        assertEquals(0, scores.get(14).get("entity_evidence").asDouble(), "normal events bring the evidence back to 0");
        assertEquals(2, entityAlerts.size(), "one entity alert per run: " + entityAlerts);
        final JsonNode first = entityAlerts.get(0);
        assertEquals("db-1", first.get("key").asText());
        assertEquals("e-3", first.get("event_id").asText(), "raised by the event that reached the threshold");
        assertEquals("e-1", first.get("onset_event_id").asText(), "the run began with the first anomaly");
        assertEquals(2, first.get("entity_events").asInt());
        assertEquals(THRESHOLD, first.get("entity_threshold").asDouble());
        assertEquals("e-15", entityAlerts.get(1).get("onset_event_id").asText());
        assertEquals(3 + 2, eventAlerts.size(), "each anomaly is also an event alert (suppression off)");
        assertEquals(2.0, TestScorers.metric(registry, "nelbo_entity_alerts"));
    }

    @Test
    void a_restart_continues_each_keys_run_and_a_replay_writes_the_same_bytes() {
        final byte[][] input = {ScorerFixtures.normal(0, "db-1"), ScorerFixtures.anomaly(1, "db-1", now),
            ScorerFixtures.normal(2, "db-2"), ScorerFixtures.anomaly(3, "db-1", now), ScorerFixtures.anomaly(4, "db-2", now),
            ScorerFixtures.anomaly(5, "db-2", now), ScorerFixtures.normal(6, "db-1")};
        final String[] keys = {"db-1", "db-1", "db-2", "db-1", "db-2", "db-2", "db-1"};
        final List<JsonNode> uninterrupted = new ArrayList<>();
        try (ScoringPipeline p = pipeline(new MapKeyedStore<>(), uninterrupted)) {
            for (int i = 0; i < input.length; i++) {
                p.accept(input[i], origin(i, keys[i]));
            }
            p.flush();
        }
        // stopped after the fourth record (its outputs written and state stored, as before a commit), then restarted
        final MapKeyedStore<byte[]> store = new MapKeyedStore<>();
        final List<JsonNode> restarted = new ArrayList<>();
        try (ScoringPipeline p = pipeline(store, restarted)) {
            for (int i = 0; i < 2; i++) {
                p.accept(input[i], origin(i, keys[i]));
            }
            p.flush();
        }
        try (ScoringPipeline p = pipeline(store, restarted)) {
            for (int i = 2; i < input.length; i++) {
                p.accept(input[i], origin(i, keys[i]));
            }
            p.flush();
        }
        assertEquals(uninterrupted, restarted);
        assertEquals(2, uninterrupted.stream().filter(o -> "entity".equals(o.path("kind").asText())).count());
    }

    @Test
    void forged_times_a_flood_of_other_keys_and_a_model_swap_cannot_mute_a_keys_evidence() {
        ScorerFixtures.writeEntityModel(dir.resolve("e2"), 2, THRESHOLD);
        final List<JsonNode> out = new ArrayList<>();
        final PipelineSettings d = PipelineSettings.defaults(0);
        // room for 3 keys with a run: the flood below evicts, least recently seen first
        final PipelineSettings bounded = new PipelineSettings(true, false, 3, 0, d.suppressionRetentionMs(), d.suppressionBound(),
                d.maxEventTimeSkewMs(), d.limits(), d.maxOutputBytes(), d.historyRetentionMs(), d.historyBound(),
                new PipelineSettings.Entity(true, 60_000, new BoundedKeyedStore.Bound(3, Long.MAX_VALUE),
                        PipelineSettings.Silence.DEFAULTS), EventFormat.JSON);
        try (ScoringPipeline p = new ScoringPipeline(models, metrics, bounded, new MapKeyedStore<>(), new MapKeyedStore<>(),
                new MapKeyedStore<>(), new MapKeyedStore<>(), collect(out), false, "0_0", () -> now, () -> dev.nelbo.scorer.rules.AlertRules.NONE)) {
            int offset = 0;
            // db-1's first anomaly, stamped a day ahead (record and event time)
            p.accept(ScorerFixtures.anomaly(1, "db-1", now + 86_400_000L), new Origin("events", 0, offset++,
                    now + 86_400_000L, "db-1".getBytes(StandardCharsets.UTF_8), null));
            // a thousand normal events of fresh keys: they carry no evidence and take no room
            for (int i = 0; i < 1000; i++) {
                p.accept(ScorerFixtures.normal(100 + i, "flood-" + i), origin(offset++, "flood-" + i));
            }
            p.flush();
            assertTrue(models.offer(dir.resolve("e2"), "test"), "a new model between the anomalies");
            // db-1's second anomaly, stamped a day in the past
            p.accept(ScorerFixtures.anomaly(2, "db-1", now - 86_400_000L), new Origin("events", 0, offset++,
                    now - 86_400_000L, "db-1".getBytes(StandardCharsets.UTF_8), null));
            p.flush();
            assertEquals(0, p.purgeEntities().expired(), "db-1 was last seen now (the clock caps its forged time)");
            assertEquals(1.0, TestScorers.metric(registry, "nelbo_entities_anomalous"), "db-1");
        }
        final List<JsonNode> entityAlerts = out.stream().filter(o -> "entity".equals(o.path("kind").asText())).toList();
        assertEquals(1, entityAlerts.size());
        assertEquals("e-1", entityAlerts.get(0).get("onset_event_id").asText());
        assertEquals(0.0, TestScorers.metric(registry, "nelbo_entity_evicted"));
        assertEquals(0.0, TestScorers.metric(registry, "nelbo_entities_anomalous"), "the closed task's gauge is gone");
    }

    @Test
    void without_an_entity_test_in_the_bundle_or_with_it_switched_off_score_records_have_no_entity_fields() {
        final List<JsonNode> out = new ArrayList<>();
        final PipelineSettings off = PipelineSettings.defaults(0);
        final PipelineSettings switchedOff = new PipelineSettings(true, false, 3, 0, off.suppressionRetentionMs(),
                off.suppressionBound(), off.maxEventTimeSkewMs(), off.limits(), off.maxOutputBytes(), off.historyRetentionMs(),
                off.historyBound(), new PipelineSettings.Entity(false, 60_000, PipelineSettings.Entity.DEFAULTS.bound(),
                PipelineSettings.Silence.DEFAULTS), EventFormat.JSON);
        try (ScoringPipeline p = new ScoringPipeline(models, metrics, switchedOff, new MapKeyedStore<>(), new MapKeyedStore<>(),
                new MapKeyedStore<>(), new MapKeyedStore<>(), collect(out), false, "0_0", () -> now, () -> dev.nelbo.scorer.rules.AlertRules.NONE)) {
            p.accept(ScorerFixtures.anomaly(1, "db-1", now), origin(0, "db-1"));
            p.accept(ScorerFixtures.anomaly(2, "db-1", now), origin(1, "db-1"));
            p.flush();
        }
        ScorerFixtures.writeModel(dir.resolve("plain"), 3);
        assertTrue(models.offer(dir.resolve("plain"), "test"));
        try (ScoringPipeline p = pipeline(new MapKeyedStore<>(), out)) {
            p.accept(ScorerFixtures.anomaly(3, "db-1", now), origin(2, "db-1"));
            p.accept(ScorerFixtures.anomaly(4, "db-1", now), origin(3, "db-1"));
            p.flush();
        }
        assertEquals(4, of(out, "score").size());
        of(out, "score").forEach(s -> assertFalse(s.has("entity_evidence"), s.toString()));
        assertEquals(0, out.stream().filter(o -> "entity".equals(o.path("kind").asText())).count());
    }

    private ScoringPipeline pipeline(final MapKeyedStore<byte[]> entities, final List<JsonNode> out) {
        return pipeline(entities, out, AlertRules.NONE);
    }

    private ScoringPipeline pipeline(final MapKeyedStore<byte[]> entities, final List<JsonNode> out, final AlertRules rules) {
        return new ScoringPipeline(models, metrics, PipelineSettings.defaults(0), new MapKeyedStore<>(), new MapKeyedStore<>(),
                entities, new MapKeyedStore<>(), collect(out), false, "0_0", () -> now, () -> rules);
    }

    @Test
    void a_mute_of_the_key_drops_its_entity_alerts_and_event_alerts_and_keeps_its_scores() {
        final AlertRules mute = AlertRules.of(List.of(new AlertRule("db-1-maintenance", AlertRule.MUTE, null, null, null, null,
                "db-1", null, null, java.time.Instant.ofEpochMilli(now + 60_000).toString(), "index rebuild")));
        final List<JsonNode> out = new ArrayList<>();
        try (ScoringPipeline p = pipeline(new MapKeyedStore<>(), out, mute)) {
            for (int i = 0; i < 4; i++) {
                p.accept(ScorerFixtures.anomaly(i, "db-1", now), origin(i, "db-1"));
            }
            p.flush();
        }
        assertEquals(0, of(out, "alert").size(), "muted: " + of(out, "alert"));
        assertEquals(4, of(out, "score").size(), "scores are never muted");
        assertTrue(of(out, "score").stream().anyMatch(s -> s.path("entity_anomalous").asBoolean()),
                "the entity test still ran: its state is in the scores");
        assertTrue(TestScorers.metric(registry, "nelbo_alerts_dropped") >= 5, "four event alerts and an entity alert");
        assertEquals(0.0, TestScorers.metric(registry, "nelbo_entity_alerts"));
    }

    private static Outputs collect(final List<JsonNode> out) {
        final BiConsumer<Outputs.Kind, byte[]> add = (kind, value) -> out.add(ScorerFixtures.parse(value));
        return (kind, origin, key, value, version) -> add.accept(kind, value);
    }

    private static List<JsonNode> of(final List<JsonNode> out, final String what) {
        return out.stream().filter(o -> what.equals("score") ? o.has("recon_nll") : o.has("kind")).toList();
    }

    private Origin origin(final long offset, final String key) {
        return new Origin("events", 0, offset, now, key.getBytes(StandardCharsets.UTF_8), null);
    }
}
