package dev.nelbo.scorer.pipeline;

import dev.nelbo.schemas.event.EventFormat;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.rules.AlertRule;
import dev.nelbo.scorer.rules.AlertRules;
import dev.nelbo.schemas.state.MapKeyedStore;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The silence test in the per-record path: a key that stops is alerted once, keyed by itself, in the contract. */
class SilencePipelineTest {

    @TempDir
    Path dir;

    private ModelManager models;
    private PrometheusRegistry registry;
    private ScorerMetrics metrics;
    private final long now = System.currentTimeMillis();

    /** An output with its Kafka key. */
    private record Out(Outputs.Kind kind, String key, JsonNode value) {
    }

    @BeforeEach
    void setUp() {
        registry = new PrometheusRegistry();
        metrics = new ScorerMetrics(registry, false);
        models = new ModelManager(EngineOptions.defaults().withMaxBatch(32), metrics);
    }

    @AfterEach
    void tearDown() {
        models.close();
    }

    /** Keys k0..k3 send every second for 80 s (behind the clock); k3 stops after 45 s. */
    private List<Out> run(final PipelineSettings settings) {
        return run(settings, AlertRules.NONE);
    }

    private List<Out> run(final PipelineSettings settings, final AlertRules rules) {
        final List<Out> out = new ArrayList<>();
        try (ScoringPipeline p = new ScoringPipeline(models, metrics, settings, new MapKeyedStore<>(), new MapKeyedStore<>(),
                new MapKeyedStore<>(), new MapKeyedStore<>(), (kind, origin, key, value, version) -> out.add(new Out(kind,
                key == null ? null : new String(key, StandardCharsets.UTF_8), ScorerFixtures.parse(value))), false, "0_0",
                () -> now, () -> rules)) {
            final long t0 = now - 120_000;
            int offset = 0;
            for (int s = 0; s < 80; s++) {
                for (int k = 0; k < 4; k++) {
                    if (k == 3 && s >= 45) {
                        continue;
                    }
                    final String key = "k" + k;
                    final long ts = t0 + s * 1000L + k * 10L;
                    p.accept(ScorerFixtures.normal(offset, key, ts), new Origin("events", 0, offset++, ts,
                            key.getBytes(StandardCharsets.UTF_8), null));
                }
            }
            p.flush();
        }
        return out;
    }

    @Test
    void a_key_that_stops_sending_gets_one_silence_alert_keyed_by_itself() {
        ScorerFixtures.writeSilenceModel(dir.resolve("s"), 1, 8.0);
        assertTrue(models.offer(dir.resolve("s"), "test"));
        final List<Out> silences = run(PipelineSettings.defaults(0)).stream()
                .filter(o -> "silence".equals(o.value().path("kind").asText())).toList();
        assertEquals(1, silences.size(), silences.toString());
        final Out alert = silences.get(0);
        assertEquals(Outputs.Kind.ALERT, alert.kind());
        assertEquals("k3", alert.key(), "keyed by the silent key, not the record that found it");
        assertEquals(List.of(), Schemas.validate(SchemaDocument.ALERT, alert.value()), alert.value().toString());
        final long lastSeen = alert.value().get("last_seen").asLong();
        assertEquals(now - 120_000 + 44_030, lastSeen);
        assertEquals(1000.0, alert.value().get("usual_interval_ms").asDouble(), 1e-9);
        assertEquals(lastSeen + 8000, alert.value().get("overdue_at").asLong());
        // found by the first record of the third key past the overdue time
        assertEquals(lastSeen + 8000 + 1000 - 30 + 20, alert.value().get("detected_at").asLong(), 1000);
        assertEquals(1.0, TestScorers.metric(registry, "nelbo_silence_alerts"));
    }

    @Test
    void a_mute_of_the_key_drops_its_silence_alert_and_counts_it() {
        ScorerFixtures.writeSilenceModel(dir.resolve("s"), 1, 8.0);
        assertTrue(models.offer(dir.resolve("s"), "test"));
        final AlertRules mute = AlertRules.of(List.of(new AlertRule("k3-away", AlertRule.MUTE, null, null, null, null, "k3",
                null, null, java.time.Instant.ofEpochMilli(now + 60_000).toString(), "moved")));
        assertEquals(0, run(PipelineSettings.defaults(0), mute).stream()
                .filter(o -> "silence".equals(o.value().path("kind").asText())).count());
        assertEquals(1.0, TestScorers.metric(registry, "nelbo_alerts_dropped"));
        assertEquals(0.0, TestScorers.metric(registry, "nelbo_silence_alerts"), "a dropped alert is not counted as written");
    }

    @Test
    void no_silence_alerts_without_the_test_in_the_bundle_or_with_it_switched_off() {
        ScorerFixtures.writeModel(dir.resolve("plain"), 2);
        assertTrue(models.offer(dir.resolve("plain"), "test"));
        assertEquals(0, run(PipelineSettings.defaults(0)).stream().filter(o -> o.value().has("kind")
                && "silence".equals(o.value().get("kind").asText())).count());
        ScorerFixtures.writeSilenceModel(dir.resolve("s"), 1, 8.0);
        assertTrue(models.offer(dir.resolve("s"), "test"));
        final PipelineSettings d = PipelineSettings.defaults(0);
        final PipelineSettings off = new PipelineSettings(true, false, 3, 0, d.suppressionRetentionMs(), d.suppressionBound(),
                d.maxEventTimeSkewMs(), d.limits(), d.maxOutputBytes(), d.historyRetentionMs(), d.historyBound(),
                d.entity().withSilence(new PipelineSettings.Silence(false, 1000, 60_000, d.entity().silence().bound())), EventFormat.JSON);
        assertEquals(0, run(off).stream().filter(o -> "silence".equals(o.value().path("kind").asText())).count());
        assertEquals(0.0, TestScorers.metric(registry, "nelbo_silence_alerts"));
    }
}
