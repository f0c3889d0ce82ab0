package dev.nelbo.trainer.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.schemas.bundle.Activation;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.state.MapKeyedStore;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.pipeline.Origin;
import dev.nelbo.scorer.pipeline.Outputs;
import dev.nelbo.scorer.pipeline.PipelineSettings;
import dev.nelbo.scorer.pipeline.ScoringPipeline;
import dev.nelbo.trainer.retrain.HoldoutScores;
import dev.nelbo.trainer.retrain.WindowSample;
import dev.nelbo.trainer.vae.VaeConfig;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Entity history as context, trained for real and scored through the scorer's pipeline: many hosts, each with its
 * own latency level spread over a wide global range; one host's level rises by 60%, to a level other hosts have all
 * the time. A model of the event alone cannot see it; a model given the host's own recent mean and spread flags it
 * within a few events, and does not flag the other hosts.
 */
class EntityHistoryTest {

    private static final int HOSTS = 120;
    private static final double SHIFT = 1.6;
    private static final long START = 1_790_000_000_000L;

    @TempDir
    static Path dir;

    private static double[] levels;
    private static String trainingOutput;

    private static ObjectNode event(final Random rnd, final int host, final long seq, final double level) {
        final ObjectNode e = Json.EVENTS.createObjectNode();
        e.put("event_id", "h" + host + "-" + seq);
        e.put("host", "host-" + host);
        e.put("ts", START + seq * 1000L);
        e.put("latency_ms", level * Math.exp(0.04 * rnd.nextGaussian()));
        e.put("bytes", 1000 + 100 * rnd.nextGaussian());
        return e;
    }

    @BeforeAll
    static void train() throws Exception {
        final Random rnd = new Random(11);
        levels = new double[HOSTS];
        for (int h = 0; h < HOSTS; h++) {
            levels[h] = 50 * Math.exp(rnd.nextDouble() * Math.log(16));
        }
        // the shifted host starts at 150 ms: 240 ms after the shift is well inside the 50-800 ms global range
        levels[0] = 150;
        final StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 50 * HOSTS; i++) {
            final int h = rnd.nextInt(HOSTS);
            lines.append(Json.EVENTS.writeValueAsString(event(rnd, h, i, levels[h]))).append('\n');
        }
        final Path data = Files.writeString(dir.resolve("events.jsonl"), lines);
        final String features = """
                  {"name": "latency_ms", "type": "continuous", "transform": "log1p"},
                  {"name": "bytes", "type": "continuous"}""";
        final Path plain = Files.writeString(dir.resolve("plain.json"), """
                {"id_path": "event_id", "key_path": "host", "timestamp_path": "ts", "features": [%s]}
                """.formatted(features));
        final Path history = Files.writeString(dir.resolve("history.json"), """
                {"id_path": "event_id", "key_path": "host", "timestamp_path": "ts", "features": [%s,
                  {"name": "latency_recent", "type": "continuous", "context": true,
                   "history": {"of": "latency_ms", "stat": "ewm_mean", "half_life": 8}},
                  {"name": "latency_spread", "type": "continuous", "context": true,
                   "history": {"of": "latency_ms", "stat": "ewm_std", "half_life": 8}},
                  {"name": "host_events", "type": "continuous", "context": true, "history": {"stat": "events"}}]}
                """.formatted(features));
        // the same statistics over event time: a host sees an event every two minutes or so, 16 minutes is ~8 events
        final Path historyTime = Files.writeString(dir.resolve("history-time.json"), Files.readString(history)
                .replace("\"half_life\": 8", "\"half_life_time\": \"PT16M\""));
        final VaeConfig vae = new VaeConfig(List.of(32, 32), 2, Activation.ELU, false, 40, 128, 3e-3f, 1f, 5, 0.1f, 0.1f,
                40, 5f, -12f, 8f, 3L);
        final StringWriter log = new StringWriter();
        TrainingPipeline.run(new TrainSettings(data, dir.resolve("plain"), plain, null, 100_000, 0.01, vae, 0.001, 8),
                new PrintWriter(log));
        TrainingPipeline.run(new TrainSettings(data, dir.resolve("history"), history, null, 100_000, 0.01, vae, 0.001, 8),
                new PrintWriter(log));
        TrainingPipeline.run(new TrainSettings(data, dir.resolve("history-time"), historyTime, null, 100_000, 0.01, vae, 0.001,
                8), new PrintWriter(log));
        trainingOutput = log.toString();
    }

    /** Every host warms up with 20 events at its level, then 10 more: host 0's at 1.6 times its level. */
    private static List<byte[]> events() throws Exception {
        final Random rnd = new Random(99);
        final List<byte[]> events = new ArrayList<>();
        long seq = 1_000_000;
        for (int round = 0; round < 30; round++) {
            for (int h = 0; h < HOSTS; h++) {
                final double level = h == 0 && round >= 20 ? levels[h] * SHIFT : levels[h];
                events.add(Json.EVENTS.writeValueAsBytes(event(rnd, h, seq++, level)));
            }
        }
        return events;
    }

    private static List<JsonNode> score(final String model) throws Exception {
        final List<byte[]> events = events();
        final List<JsonNode> scores = new ArrayList<>();
        final ScorerMetrics metrics = new ScorerMetrics(new PrometheusRegistry(), false);
        try (ModelManager models = new ModelManager(EngineOptions.defaults().withMaxBatch(64), metrics)) {
            assertTrue(models.offer(dir.resolve(model), "test"), model + " serves");
            final PipelineSettings settings = PipelineSettings.defaults(0);
            final Outputs outputs = (kind, origin, key, value, version) -> {
                if (kind == Outputs.Kind.SCORE) {
                    try {
                        scores.add(Json.EVENTS.readTree(value));
                    } catch (final java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            };
            try (ScoringPipeline p = new ScoringPipeline(models, metrics, settings, new MapKeyedStore<>(), new MapKeyedStore<>(),
                    new MapKeyedStore<>(), new MapKeyedStore<>(), outputs,
                    false, "0_0", System::currentTimeMillis, () -> dev.nelbo.scorer.rules.AlertRules.NONE)) {
                long offset = 0;
                for (final byte[] e : events) {
                    final String host = Json.EVENTS.readTree(e).get("host").asText();
                    p.accept(e, new Origin("events", 0, offset, START + offset, host.getBytes(StandardCharsets.UTF_8), null));
                    offset++;
                }
                p.flush();
            }
        }
        assertEquals(30 * HOSTS, scores.size());
        return scores;
    }

    private static boolean shiftedEvent(final int index) {
        return index / HOSTS >= 20 && index % HOSTS == 0;
    }

    @Test
    void a_level_shift_inside_the_global_range_is_flagged_with_history_within_a_few_events_and_not_without() throws Exception {
        assertShiftFlagged("history");
    }

    @Test
    void with_half_lives_in_event_time_the_level_shift_is_flagged_too() throws Exception {
        assertTrue(Files.readString(dir.resolve("history-time.json")).contains("PT16M"));
        assertShiftFlagged("history-time");
    }

    private static void assertShiftFlagged(final String model) throws Exception {
        final List<JsonNode> plain = score("plain");
        final List<JsonNode> history = score(model);
        final List<Integer> shifted = new ArrayList<>();
        for (int i = 0; i < plain.size(); i++) {
            if (shiftedEvent(i)) {
                shifted.add(i);
            }
        }
        final long plainHits = shifted.stream().filter(i -> plain.get(i).get("anomaly").asBoolean()).count();
        assertTrue(plainHits <= 1, "without history the shifted host looks like any other host: " + plainHits + " of 10");
        final boolean early = shifted.subList(0, 3).stream().anyMatch(i -> history.get(i).get("anomaly").asBoolean());
        final long historyHits = shifted.stream().filter(i -> history.get(i).get("anomaly").asBoolean()).count();
        assertTrue(early, "with history one of the first 3 shifted events alerts: " + shifted.stream()
                .map(i -> history.get(i).get("score").asDouble() + "/" + history.get(i).get("threshold").asDouble()).toList()
                + "\n" + trainingOutput);
        long others = 0;
        long othersHit = 0;
        for (int i = 20 * HOSTS; i < history.size(); i++) {
            if (!shiftedEvent(i)) {
                others++;
                othersHit += history.get(i).get("anomaly").asBoolean() ? 1 : 0;
            }
        }
        assertTrue(othersHit <= others / 50, "the other hosts are not flagged: " + othersHit + " of " + others);
        // score records say how much history stood behind them: 0 for a host's first event, 20 at the shift
        assertEquals(0, history.get(0).get("history_events").asLong());
        assertEquals(20, history.get(shifted.get(0)).get("history_events").asLong());
        assertTrue(plain.get(0).get("history_events") == null, "no history field without history features");
        System.out.println("history test (" + model + "): shifted hits plain " + plainHits + "/10, history " + historyHits
                + "/10; other hosts " + othersHit + "/" + others);
    }

    /**
     * Retraining's champion/challenger comparison scores the held-back events with the history the records before
     * them built, so its scores are the scorer's: the last 10 rounds held back after the first 20.
     */
    @Test
    void the_retrain_holdout_scores_held_back_events_with_the_history_of_the_records_before_them() throws Exception {
        final List<byte[]> events = events();
        final List<JsonNode> scorer = score("history");
        final int split = 20 * HOSTS;
        final List<WindowSample.Held> held = new ArrayList<>();
        for (int i = split; i < events.size(); i++) {
            held.add(new WindowSample.Held(Json.EVENTS.readTree(events.get(i)).get("event_id").asText(), events.get(i), 0, i));
        }
        final ModelBundle bundle = ModelBundle.load(dir.resolve("history"));
        final double[] warm = HoldoutScores.score(events.subList(0, split), held, null, bundle, EngineOptions.defaults())
                .challenger();
        final double[] cold = HoldoutScores.score(List.of(), held, null, bundle, EngineOptions.defaults()).challenger();
        assertEquals(held.size(), warm.length);
        int differ = 0;
        for (int j = 0; j < warm.length; j++) {
            assertEquals(scorer.get(split + j).get("score").asDouble(), warm[j], 1e-9 * Math.max(1, Math.abs(warm[j])),
                    "held-back event " + held.get(j).id());
            differ += Math.abs(cold[j] - warm[j]) > 1e-6 ? 1 : 0;
        }
        assertTrue(differ > held.size() / 2, "without the records before them the history differs: " + differ);
    }
}
