package dev.nelbo.scorer.pipeline;

import dev.nelbo.schemas.event.EventFormat;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.testing.GeneratedInputs;
import dev.nelbo.schemas.testing.TestData;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.schemas.state.BoundedKeyedStore;
import dev.nelbo.schemas.state.MapKeyedStore;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-record path without Kafka: whatever the bytes, exactly one score or one dead letter per input. */
class ScoringPipelineTest {

    @TempDir
    Path dir;

    private ModelManager models;
    private PrometheusRegistry registry;
    private ScorerMetrics metrics;
    private final List<Output> out = new ArrayList<>();
    /** The scorer's wall clock, as the pipeline reads it. */
    private final AtomicLong clock = new AtomicLong(System.currentTimeMillis());

    /** One emitted output. */
    record Output(Outputs.Kind kind, long offset, byte[] key, byte[] value) {
    }

    @BeforeEach
    void setUp() {
        registry = new PrometheusRegistry();
        metrics = new ScorerMetrics(registry, false);
        models = new ModelManager(EngineOptions.defaults().withMaxBatch(32), metrics);
        ScorerFixtures.writeModel(dir.resolve("v1"), 1);
        assertTrue(models.offer(dir.resolve("v1"), "test"));
    }

    @AfterEach
    void tearDown() {
        models.close();
    }

    private ScoringPipeline pipeline(final PipelineSettings settings) {
        return pipeline(settings, new MapKeyedStore<>());
    }

    private ScoringPipeline pipeline(final PipelineSettings settings, final MapKeyedStore<byte[]> history) {
        return new ScoringPipeline(models, metrics, settings, new MapKeyedStore<>(), history, new MapKeyedStore<>(),
                new MapKeyedStore<>(), (kind, origin, key, value, version) -> out.add(new Output(kind, origin.offset(), key, value)), false, "0_0",
                clock::get, () -> dev.nelbo.scorer.rules.AlertRules.NONE);
    }

    private static Origin origin(final long offset, final byte[] key) {
        return new Origin("events", 0, offset, 1_700_000_000_000L + offset, key, null);
    }

    /**
     * With history features too: hostile keys, record timestamps, event times and values pass through each key's state
     * as well.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void generated_hostile_inputs_give_exactly_one_score_or_dead_letter_each_and_good_events_still_score(
            final boolean history) {
        if (history) {
            ScorerFixtures.writeHistoryModel(dir.resolve("h1"), 5);
            assertTrue(models.offer(dir.resolve("h1"), "test"));
        }
        final List<byte[]> inputs = new ArrayList<>();
        final List<Boolean> good = new ArrayList<>();
        final Random rnd = new Random(42);
        for (int i = 0; i < 3000; i++) {
            final byte[] value = switch (i % 6) {
                case 0 -> ScorerFixtures.normal(i);
                case 1 -> GeneratedInputs.arbitraryBytes(rnd, 400);
                case 2, 3 -> GeneratedInputs.mutate(rnd, ScorerFixtures.normal(i));
                case 4 -> ScorerFixtures.badRecords(i).get(rnd.nextInt(ScorerFixtures.badRecords(i).size())).value();
                default -> rnd.nextInt(10) == 0 ? null : ScorerFixtures.extremes(i).get(rnd.nextInt(4)).value();
            };
            inputs.add(value);
            good.add(i % 6 == 0);
        }
        try (ScoringPipeline p = pipeline(PipelineSettings.defaults(0))) {
            for (int i = 0; i < inputs.size(); i++) {
                p.accept(inputs.get(i), new Origin("events", 0, i, arbitraryTimestamp(rnd),
                        rnd.nextBoolean() ? null : GeneratedInputs.arbitraryBytes(rnd, 40), null));
                if (i % 97 == 0) {
                    p.onFlushInterval();
                }
            }
            p.flush();
        }
        final Map<Long, List<Output>> byInput = new HashMap<>();
        for (final Output o : out) {
            byInput.computeIfAbsent(o.offset(), k -> new ArrayList<>()).add(o);
        }
        for (int i = 0; i < inputs.size(); i++) {
            final List<Output> mine = byInput.getOrDefault((long) i, List.of());
            final long primary = mine.stream().filter(o -> o.kind() == Outputs.Kind.SCORE || o.kind() == Outputs.Kind.DEAD_LETTER)
                    .count();
            assertEquals(1, primary, "input " + i + " gave " + mine.stream().map(Output::kind).toList());
            if (good.get(i)) {
                assertEquals(Outputs.Kind.SCORE, mine.get(0).kind(), "good input " + i);
            }
            for (final Output o : mine) {
                final JsonNode doc = ScorerFixtures.parse(o.value());
                if (history && good.get(i) && o.kind() == Outputs.Kind.SCORE) {
                    assertTrue(doc.path("history_events").isIntegralNumber(), "input " + i + ": " + doc);
                }
                final SchemaDocument schema = switch (o.kind()) {
                    case SCORE, SHADOW -> SchemaDocument.SCORE;
                    case ALERT -> SchemaDocument.ALERT;
                    case DEAD_LETTER -> SchemaDocument.DEAD_LETTER;
                };
                assertEquals(List.of(), Schemas.validate(schema, doc), "input " + i + " " + o.kind() + ": " + doc);
            }
        }
    }

    /** Record timestamps a producer can write (the extractor has already replaced negative ones): any of them. */
    private long arbitraryTimestamp(final Random rnd) {
        return switch (rnd.nextInt(6)) {
            case 0 -> 0;
            case 1 -> Long.MAX_VALUE;
            case 2 -> clock.get() + rnd.nextInt(3_600_000);
            case 3 -> clock.get() - (rnd.nextLong() >>> 20);
            case 4 -> rnd.nextLong() >>> 1;
            default -> clock.get() - rnd.nextInt(10_000);
        };
    }

    @Test
    void an_output_that_does_not_fit_loses_its_key_and_a_score_that_still_does_not_fit_becomes_a_dead_letter() {
        final byte[] hugeKey = new byte[5000];
        final PipelineSettings defaults = PipelineSettings.defaults(0);
        final PipelineSettings limited = new PipelineSettings(true, false, 3, 0, 0, defaults.suppressionBound(), 3_600_000L,
                defaults.limits(), 2000, PipelineSettings.DEFAULT_HISTORY_RETENTION_MS, defaults.historyBound(),
                PipelineSettings.Entity.DEFAULTS, EventFormat.JSON);
        try (ScoringPipeline p = pipeline(limited)) {
            p.accept(ScorerFixtures.normal(1), origin(1, hugeKey));
            p.accept(ScorerFixtures.normal(2), origin(2, "k".getBytes(StandardCharsets.UTF_8)));
            p.flush();
        }
        assertEquals(2, out.size());
        assertNull(out.get(0).key(), "sent without the key that did not fit");
        assertEquals("k", new String(out.get(1).key(), StandardCharsets.UTF_8));
        out.clear();
        final PipelineSettings tiny = new PipelineSettings(true, true, 3, 0, 0, defaults.suppressionBound(), 3_600_000L,
                defaults.limits(), 420, PipelineSettings.DEFAULT_HISTORY_RETENTION_MS, defaults.historyBound(),
                PipelineSettings.Entity.DEFAULTS, EventFormat.JSON);
        try (ScoringPipeline p = pipeline(tiny)) {
            p.accept(ScorerFixtures.normal(3), origin(3, null));
            p.flush();
        }
        assertEquals(1, out.size());
        assertEquals(Outputs.Kind.DEAD_LETTER, out.get(0).kind());
        final JsonNode letter = ScorerFixtures.parse(out.get(0).value());
        assertEquals(FailureReason.OUTPUT_TOO_LARGE.wireName(), letter.get("reason").asText());
        assertEquals(List.of(), Schemas.validate(SchemaDocument.DEAD_LETTER, letter));
    }

    @Test
    void ids_and_keys_of_any_length_are_capped_in_the_outputs() {
        final com.fasterxml.jackson.databind.node.ObjectNode e = TestData.event(new Random(1), 1);
        e.put("event_id", "i".repeat(50_000));
        e.put("key", "k".repeat(50_000));
        try (ScoringPipeline p = pipeline(PipelineSettings.defaults(0))) {
            p.accept(ScorerFixtures.bytes(e), origin(1, null));
            p.flush();
        }
        final JsonNode score = ScorerFixtures.parse(out.get(0).value());
        assertEquals(256, score.get("event_id").asText().length());
        assertEquals(256, score.get("key").asText().length());
        assertFalse(score.get("event_id").asText().equals(score.get("key").asText()));
    }

    /**
     * History state is bounded and visible: beyond {@code nelbo.history.max.keys} the least recently seen keys are
     * evicted (counted), so a flood of fresh keys never displaces an entity that keeps sending; idle keys expire, and
     * events keyed other than by their entity are counted.
     */
    @Test
    void history_state_evicts_the_least_recently_seen_keys_expires_idle_ones_and_shows_in_the_metrics() {
        ScorerFixtures.writeHistoryModel(dir.resolve("h1"), 5);
        ScorerFixtures.writeHistoryModel(dir.resolve("h2"), 6);
        assertTrue(models.offer(dir.resolve("h1"), "test"));
        final PipelineSettings d = PipelineSettings.defaults(0);
        final PipelineSettings settings = new PipelineSettings(true, false, 3, 0, d.suppressionRetentionMs(),
                d.suppressionBound(), d.maxEventTimeSkewMs(), d.limits(), d.maxOutputBytes(), 10_000,
                new BoundedKeyedStore.Bound(3, Long.MAX_VALUE), PipelineSettings.Entity.DEFAULTS, EventFormat.JSON);
        final MapKeyedStore<byte[]> store = new MapKeyedStore<>();
        try (ScoringPipeline p = pipeline(settings, store)) {
            // svc-0 every other event, a fresh key in between: at 3 keys each fresh key evicts the least recently seen
            for (int i = 0; i < 10; i++) {
                final String key = i % 2 == 0 ? "svc-0" : "flood-" + i;
                p.accept(ScorerFixtures.normal(i, key), origin(i, key.getBytes(StandardCharsets.UTF_8)));
            }
            p.flush();
            assertEquals(3, store.size());
            assertTrue(models.offer(dir.resolve("h2"), "test"));
            // the next event follows the new model (same definitions: the state carries on); keyed by another key
            p.accept(ScorerFixtures.normal(10, "svc-0"), origin(20_000, "not-the-entity".getBytes(StandardCharsets.UTF_8)));
            p.flush();
            final dev.nelbo.schemas.state.BoundedKeyedStore.Figures f = p.purgeHistory();
            assertEquals(1, f.keys(), "flood-7 and flood-9 idle for over 10 s before the latest event: " + f);
            assertEquals(2, f.expired());
            assertEquals(1, store.size());
            assertTrue(store.get("svc-0") != null);
        }
        final List<JsonNode> scores = out.stream().map(o -> ScorerFixtures.parse(o.value())).toList();
        assertEquals(11, scores.size());
        assertEquals(4, scores.get(8).get("history_events").asLong(), "svc-0's fifth event, through the flood");
        assertEquals(0, scores.get(9).get("history_events").asLong(), "a fresh key");
        assertEquals(5, scores.get(10).get("history_events").asLong(), "svc-0 after the swap keeps its history");
        assertEquals(3.0, metric("nelbo_history_evicted"), "flood-1, -3 and -5 made room for -5, -7 and -9");
        assertEquals(1.0, metric("nelbo_history_key_mismatch"));
        assertTrue(Double.isNaN(metric("nelbo_history_keys")), "the closed task's figures are gone");
    }

    /** Record timestamps are a producer's: one stamped long ago must not make its key's history expire. */
    @Test
    void a_record_stamped_in_the_past_does_not_age_its_keys_history_towards_expiry() {
        ScorerFixtures.writeHistoryModel(dir.resolve("h1"), 5);
        assertTrue(models.offer(dir.resolve("h1"), "test"));
        final PipelineSettings d = PipelineSettings.defaults(0);
        final long week = 7L * 86_400_000L;
        final PipelineSettings settings = new PipelineSettings(true, false, 3, 0, d.suppressionRetentionMs(),
                d.suppressionBound(), d.maxEventTimeSkewMs(), d.limits(), d.maxOutputBytes(), week, d.historyBound(),
                PipelineSettings.Entity.DEFAULTS, EventFormat.JSON);
        final MapKeyedStore<byte[]> store = new MapKeyedStore<>();
        final long now = clock.get();
        try (ScoringPipeline p = pipeline(settings, store)) {
            // svc-0 (normal(0) and normal(5)) seen now, then once more stamped 40 days ago; svc-1 seen now
            p.accept(ScorerFixtures.normal(0), new Origin("events", 0, 0, now - 1000, "svc-0".getBytes(StandardCharsets.UTF_8), null));
            p.accept(ScorerFixtures.normal(5), new Origin("events", 0, 1, now - 40 * 86_400_000L,
                    "svc-0".getBytes(StandardCharsets.UTF_8), null));
            p.accept(ScorerFixtures.normal(1), new Origin("events", 0, 2, now, "svc-1".getBytes(StandardCharsets.UTF_8), null));
            p.flush();
            final dev.nelbo.schemas.state.BoundedKeyedStore.Figures f = p.purgeHistory();
            assertEquals(0, f.expired(), "svc-0 was seen a second ago");
            assertEquals(2, f.keys());
            // a record stamped ahead of the clock cannot move the purge's clock past the retention either
            p.accept(ScorerFixtures.normal(2), new Origin("events", 0, 3, now + 30 * 86_400_000L,
                    "svc-2".getBytes(StandardCharsets.UTF_8), null));
            p.flush();
            assertEquals(0, p.purgeHistory().expired(), "no key is a week older than the clock");
        }
    }

    /**
     * An anomaly stamped ahead (event time within the allowed skew of a record timestamp that is itself ahead) is
     * alerted, and its key's suppression counts from the scorer's clock, not from the forged time: the key's next real
     * anomaly after the window is alerted.
     */
    @Test
    void an_alert_stamped_ahead_of_the_clock_mutes_its_key_no_longer_than_the_window() {
        final long window = 60_000;
        final long c = clock.get();
        try (ScoringPipeline p = pipeline(PipelineSettings.defaults(window))) {
            p.accept(ScorerFixtures.anomaly(1, "db-1", c + 7_200_000), new Origin("events", 0, 0, c + 3_600_000,
                    "db-1".getBytes(StandardCharsets.UTF_8), null));
            p.flush();
            clock.set(c + window + 1000);
            p.accept(ScorerFixtures.anomaly(2, "db-1", c + window + 1000), new Origin("events", 0, 1, c + window + 1000,
                    "db-1".getBytes(StandardCharsets.UTF_8), null));
            p.flush();
        }
        assertEquals(List.of(0L, 1L), out.stream().filter(o -> o.kind() == Outputs.Kind.ALERT).map(Output::offset).toList());
        assertEquals(0.0, metric("nelbo_event_time_out_of_bounds"), "both within the allowed skew of their records");
        try (ScoringPipeline p = pipeline(PipelineSettings.defaults(window))) {
            p.accept(ScorerFixtures.anomaly(3, "db-2", c + 3 * 3_600_000), new Origin("events", 0, 2, c,
                    "db-2".getBytes(StandardCharsets.UTF_8), null));
            p.flush();
        }
        assertEquals(1.0, metric("nelbo_event_time_out_of_bounds"), "3 h from its record: counted once");
    }

    @Test
    void a_kafka_key_matches_an_entity_key_when_its_bytes_are_the_keys_utf8() {
        final Random rnd = new Random(5);
        final String alphabet = "az09-_.:/ \u00e9\u00df\u4e2d\ud83d\ude00";
        for (int i = 0; i < 2_000; i++) {
            final StringBuilder key = new StringBuilder();
            for (int j = rnd.nextInt(6); j > 0; j--) {
                final char c = alphabet.charAt(rnd.nextInt(alphabet.length()));
                key.append(Character.isSurrogate(c) ? "\ud83d\ude00" : String.valueOf(c));
            }
            final String k = key.toString();
            final byte[] utf8 = k.getBytes(StandardCharsets.UTF_8);
            assertTrue(ScoringPipeline.keyMatches(utf8, k), k);
            final byte[] other = utf8.length == 0 ? new byte[] {'x'} : java.util.Arrays.copyOf(utf8, utf8.length);
            if (utf8.length > 0) {
                other[rnd.nextInt(other.length)] ^= 1;
            }
            assertFalse(ScoringPipeline.keyMatches(other, k), k);
            assertFalse(ScoringPipeline.keyMatches(k.getBytes(StandardCharsets.ISO_8859_1), k + "x"), k);
        }
    }

    /** @return the sum of a metric's data points, NaN when it has none */
    private double metric(final String name) {
        final double[] sum = {Double.NaN};
        registry.scrape().stream().filter(s -> s.getMetadata().getName().equals(name))
                .flatMap(s -> s.getDataPoints().stream()).forEach(d -> {
                    final double v = d instanceof io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot c
                            ? c.getValue() : ((io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot) d).getValue();
                    sum[0] = Double.isNaN(sum[0]) ? v : sum[0] + v;
                });
        return sum[0];
    }
}
