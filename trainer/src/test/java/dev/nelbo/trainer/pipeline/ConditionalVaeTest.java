package dev.nelbo.trainer.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.engine.sample.ModelSampler;
import dev.nelbo.schemas.bundle.Activation;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.pipeline.Origin;
import dev.nelbo.scorer.pipeline.Outputs;
import dev.nelbo.scorer.pipeline.PipelineSettings;
import dev.nelbo.scorer.pipeline.ScoringPipeline;
import dev.nelbo.schemas.state.MapKeyedStore;
import dev.nelbo.trainer.vae.VaeConfig;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A conditional VAE on time and entity context, trained for real and scored through the scorer's pipeline: a
 * latency that is normal overall (and normal for its service at night) is an anomaly at noon, and its alert names
 * the latency with the value the model expects for that service and hour; the same latency at 03:00 is not.
 */
class ConditionalVaeTest {

    private static final String[] SERVICES = {"checkout", "search", "login"};
    private static final double[] BASE = {100, 200, 300};
    private static final Instant START = Instant.parse("2026-11-02T00:00:00Z");

    @TempDir
    static Path dir;

    private static Manifest conditional;
    private static String trainingOutput;

    /** Latency: the service's level by day (08:00-20:00 UTC), 40% of it at night; bytes unrelated to both. */
    private static ObjectNode event(final Random rnd, final int i, final long ts, final int service, final Double latency) {
        final ObjectNode e = Json.EVENTS.createObjectNode();
        e.put("event_id", "e-" + i);
        e.put("ts", ts);
        e.put("service", SERVICES[service]);
        final int hour = (int) ((ts / 3_600_000L) % 24);
        final double level = BASE[service] * (hour >= 8 && hour < 20 ? 1.0 : 0.4);
        e.put("latency_ms", latency != null ? latency : level * Math.exp(0.05 * rnd.nextGaussian()));
        e.put("bytes", 1000 + 100 * rnd.nextGaussian());
        return e;
    }

    @BeforeAll
    static void train() throws Exception {
        final Random rnd = new Random(5);
        final StringBuilder lines = new StringBuilder();
        final long span = 14L * 86_400_000L;
        for (int i = 0; i < 6000; i++) {
            final long ts = START.toEpochMilli() + (long) (rnd.nextDouble() * span);
            lines.append(Json.EVENTS.writeValueAsString(event(rnd, i, ts, rnd.nextInt(3), null))).append('\n');
        }
        final Path data = Files.writeString(dir.resolve("events.jsonl"), lines);
        final Path spec = Files.writeString(dir.resolve("spec.json"), """
                {"id_path": "event_id", "timestamp_path": "ts", "features": [
                  {"name": "latency_ms", "type": "continuous", "transform": "log1p"},
                  {"name": "bytes", "type": "continuous"},
                  {"name": "service", "type": "categorical", "context": true},
                  {"name": "hour", "type": "time", "period": "hour_of_day", "context": true}]}
                """);
        final VaeConfig vae = new VaeConfig(List.of(32, 32), 2, Activation.ELU, false, 60, 128, 3e-3f, 1f, 5, 0.1f, 0.1f,
                60, 5f, -12f, 8f, 3L);
        final StringWriter log = new StringWriter();
        conditional = TrainingPipeline.run(new TrainSettings(data, dir.resolve("cvae"), spec, null, 100_000, 0.01, vae, 0.001, 8),
                new PrintWriter(log));
        trainingOutput = log.toString();
    }

    @Test
    void the_manifest_says_which_features_are_context_and_the_decoder_reconstructs_only_the_others() {
        final ModelBundle bundle = ModelBundle.load(dir.resolve("cvae"));
        final List<String> context = bundle.manifest().architecture().layout().stream().filter(b -> b.contextual())
                .map(b -> b.feature()).toList();
        assertEquals(List.of("service", "hour"), context);
        // 2 reconstructed columns, then the service's one-hot (3 + other) and the hour's sine and cosine
        assertEquals(2, bundle.encoder().reconstructedWidth());
        assertEquals(2 + 4 + 2, bundle.encoder().width());
        assertEquals(java.util.Set.of("latency_ms", "bytes"), bundle.manifest().calibration().typicalContributions().keySet());
        // the alert rate per service on the validation rows is reported (one threshold has to fit every context)
        final String rates = trainingOutput.lines().filter(l -> l.startsWith("context 'service'")).findFirst().orElseThrow(
                () -> new AssertionError("no per-context rates in:\n" + trainingOutput));
        for (final String service : SERVICES) {
            assertTrue(rates.matches(".* " + service + " [0-9.]+ \\(\\d+/\\d+\\);.*"), rates);
        }
    }

    @Test
    void a_latency_normal_overall_but_wrong_for_its_service_and_hour_alerts_naming_it_and_at_its_usual_hour_does_not()
            throws Exception {
        final Random rnd = new Random(77);
        final long noon = START.toEpochMilli() + 20L * 86_400_000L + 12 * 3_600_000L;
        final long night = noon - 9 * 3_600_000L;
        // 40 ms: checkout's night-time level (and far below every service by day): normal overall, wrong at noon
        final Map<String, byte[]> events = new LinkedHashMap<>();
        events.put("noon", bytes(event(rnd, 900_001, noon, 0, 40.0)));
        events.put("night", bytes(event(rnd, 900_002, night, 0, 40.0)));
        events.put("usual-noon", bytes(event(rnd, 900_003, noon, 0, 100.0)));
        final List<JsonNode> scores = new ArrayList<>();
        final List<JsonNode> alerts = new ArrayList<>();
        final ScorerMetrics metrics = new ScorerMetrics(new PrometheusRegistry(), false);
        try (ModelManager models = new ModelManager(EngineOptions.defaults().withMaxBatch(16), metrics)) {
            assertTrue(models.offer(dir.resolve("cvae"), "test"), "the conditional bundle serves");
            final PipelineSettings settings = PipelineSettings.defaults(0);
            final Outputs outputs = (kind, origin, key, value, version) -> {
                try {
                    (kind == Outputs.Kind.ALERT ? alerts : scores).add(Json.EVENTS.readTree(value));
                } catch (final java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            try (ScoringPipeline p = new ScoringPipeline(models, metrics, settings, new MapKeyedStore<>(), new MapKeyedStore<>(),
                    new MapKeyedStore<>(), new MapKeyedStore<>(), outputs, false, "0_0",
                    System::currentTimeMillis, () -> dev.nelbo.scorer.rules.AlertRules.NONE)) {
                long offset = 0;
                for (final byte[] e : events.values()) {
                    p.accept(e, new Origin("events", 0, offset++, Json.EVENTS.readTree(e).get("ts").asLong(), null, null));
                }
                p.flush();
            }
        }
        assertEquals(3, scores.size());
        final double threshold = conditional.calibration().threshold();
        final JsonNode atNoon = scores.get(0);
        assertTrue(atNoon.get("anomaly").asBoolean(), "40 ms at noon for checkout: " + atNoon + ", threshold " + threshold);
        assertFalse(scores.get(1).get("anomaly").asBoolean(), "40 ms at 03:00 is checkout's usual night: " + scores.get(1));
        assertFalse(scores.get(2).get("anomaly").asBoolean(), "100 ms at noon is checkout's usual day: " + scores.get(2));
        assertEquals(1, alerts.size(), alerts.toString());
        final JsonNode top = alerts.get(0).get("top_features").get(0);
        assertEquals("latency_ms", top.get("feature").asText(), alerts.get(0).toString());
        assertEquals(40.0, top.get("observed").asDouble(), 1e-9);
        // the decoder's mean given checkout at noon: about its day-time level of 100 ms
        assertTrue(top.get("expected").asDouble() > 70 && top.get("expected").asDouble() < 140, top.toString());
    }

    @Test
    void sampling_given_a_context_draws_that_context_s_values_and_without_one_draws_the_contexts_as_trained() {
        final Instant noon = Instant.parse("2026-12-01T12:00:00Z");
        final Instant night = Instant.parse("2026-12-01T03:00:00Z");
        try (ModelSampler sampler = ModelSampler.open(ModelBundle.load(dir.resolve("cvae")))) {
            final double day = medianLatency(sampler.sample(new ModelSampler.Request(2000, 1, Map.of("service", "checkout"),
                    noon, noon, 1)));
            final double atNight = medianLatency(sampler.sample(new ModelSampler.Request(2000, 1,
                    Map.of("service", "checkout"), night, night, 1)));
            final double search = medianLatency(sampler.sample(new ModelSampler.Request(2000, 1, Map.of("service", "search"),
                    noon, noon, 1)));
            assertTrue(day > 80 && day < 125, "checkout by day: " + day);
            assertTrue(atNight > 32 && atNight < 50, "checkout at night: " + atNight);
            assertTrue(search > 160 && search < 250, "search by day: " + search);

            final List<ObjectNode> drawn = sampler.sample(new ModelSampler.Request(3000, 2, Map.of(), null,
                    START, 14L * 86_400_000L));
            for (final String service : SERVICES) {
                final long n = drawn.stream().filter(e -> e.get("service").asText().equals(service)).count();
                assertEquals(1000, n, 150, service + " drawn as often as in training");
            }
            for (final ObjectNode e : drawn) {
                final Instant t = Instant.parse(e.get("ts").asText());
                assertFalse(t.isBefore(START) || !t.isBefore(START.plusMillis(14L * 86_400_000L)), e.toString());
            }
        }
    }

    private static double medianLatency(final List<ObjectNode> events) {
        final double[] v = events.stream().mapToDouble(e -> e.get("latency_ms").asDouble()).sorted().toArray();
        return v[v.length / 2];
    }

    private static byte[] bytes(final ObjectNode e) throws Exception {
        return Json.EVENTS.writeValueAsBytes(e);
    }
}
