package dev.nelbo.schemas.spec;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.json.Json;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpecInferenceTest {

    @Test
    void mixed_csv_gives_binary_continuous_categorical_and_excludes_label_and_ids() throws Exception {
        final List<String> header = List.of("event_id", "flag", "amount", "size", "colour", "label", "note");
        final List<String[]> rows = new ArrayList<>();
        final Random rnd = new Random(1);
        for (int i = 0; i < 200; i++) {
            rows.add(new String[] {"id-" + i, rnd.nextBoolean() ? "1" : "0", Double.toString(rnd.nextGaussian()),
                    Double.toString(Math.exp(3 * rnd.nextGaussian())), i % 3 == 0 ? "red" : "blue", i % 50 == 0 ? "1" : "0",
                    i % 10 == 0 ? "" : "n" + i});
        }
        final SpecInference.Result r = SpecInference.fromCsv(header, rows,
                SpecInference.Options.defaults().withLabel("label"));
        final FeatureSpec spec = r.spec();
        assertEquals("event_id", spec.idPath());
        assertEquals(List.of("flag", "amount", "size", "colour"), spec.features().stream().map(FeatureDef::name).toList());
        assertEquals(FeatureType.BINARY, spec.feature("flag").type());
        assertEquals(FeatureType.CONTINUOUS, spec.feature("amount").type());
        assertEquals(Transform.NONE, spec.feature("amount").transform());
        assertEquals(Transform.LOG1P, spec.feature("size").transform());
        assertEquals(FeatureType.CATEGORICAL, spec.feature("colour").type());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("'note'") && n.contains("identifier")), r.notes().toString());
        // the inferred spec is a valid document of the contract
        final JsonNode json = Json.DOCUMENTS.valueToTree(spec);
        assertTrue(dev.nelbo.schemas.Schemas.validate(dev.nelbo.schemas.SchemaDocument.FEATURE_SPEC, json).isEmpty());
        assertEquals(spec, Json.DOCUMENTS.treeToValue(json, FeatureSpec.class));
    }

    @Test
    void jsonl_sample_is_flattened_and_missing_values_make_the_policy_impute() throws Exception {
        final List<JsonNode> sample = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            sample.add(Json.EVENTS.readTree("{\"event_id\":\"" + i + "\",\"ts\":" + i + ",\"http\":{\"status\":\""
                    + (i % 2 == 0 ? "2xx" : "5xx") + "\",\"latency\":" + (i * 1.5) + "},\"retry\":" + (i % 3 == 0)
                    + (i % 4 == 0 ? "" : ",\"opt\":" + i) + ",\"tags\":[1]}"));
        }
        final SpecInference.Result r = SpecInference.fromJson(sample, SpecInference.Options.defaults());
        final FeatureSpec spec = r.spec();
        assertEquals("ts", spec.timestampPath());
        assertEquals(FeatureType.CATEGORICAL, spec.feature("http.status").type());
        assertEquals(FeatureType.CONTINUOUS, spec.feature("http.latency").type());
        assertEquals(FeatureType.BINARY, spec.feature("retry").type());
        assertEquals(MissingPolicy.IMPUTE, spec.feature("opt").missing());
        assertEquals(MissingPolicy.REJECT, spec.feature("http.latency").missing());
        assertFalse(spec.features().stream().anyMatch(f -> f.name().equals("tags")));
    }

    @Test
    void unknown_label_column_is_a_clear_error() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SpecInference.fromCsv(
                List.of("a", "b"), List.<String[]>of(new String[] {"1", "2"}), SpecInference.Options.defaults().withLabel("y")));
        assertTrue(e.getMessage().contains("label column 'y'"), e.getMessage());
    }

    @Test
    void event_times_spanning_a_day_make_the_hour_context_and_two_weeks_the_weekday_too() {
        final java.util.function.IntFunction<List<com.fasterxml.jackson.databind.JsonNode>> events = days -> {
            final List<com.fasterxml.jackson.databind.JsonNode> out = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                // an event may carry a field named like a derived feature: the derived one gets another name
                out.add(Json.EVENTS.createObjectNode().put("ts", 1_700_000_000_000L + (long) i * days * 864_000L)
                        .put("latency", 10.0 + i % 7).put("ts_hour", i % 24));
            }
            return out;
        };
        final FeatureSpec hours = SpecInference.fromJson(events.apply(2), SpecInference.Options.defaults()).spec();
        assertEquals(List.of("latency", "ts_hour", "ts_hour_"), hours.features().stream().map(FeatureDef::name).toList());
        final FeatureDef hour = hours.feature("ts_hour_");
        assertEquals(FeatureType.TIME, hour.type());
        assertEquals(TimePeriod.HOUR_OF_DAY, hour.period());
        assertTrue(hour.contextual());
        assertEquals("ts", hour.path(), "a time feature reads the timestamp path");
        assertEquals(List.of(), dev.nelbo.schemas.Schemas.validate(dev.nelbo.schemas.SchemaDocument.FEATURE_SPEC,
                Json.DOCUMENTS.valueToTree(hours)));
        assertEquals(List.of("latency", "ts_hour", "ts_hour_", "ts_weekday"), SpecInference.fromJson(events.apply(20),
                SpecInference.Options.defaults()).spec().features().stream().map(FeatureDef::name).toList());
        assertEquals(List.of("latency", "ts_hour"), SpecInference.fromJson(events.apply(0), SpecInference.Options.defaults()).spec()
                .features().stream().map(FeatureDef::name).toList(), "events within one instant give the hour nothing to learn");
    }

    @Test
    void context_features_come_last_time_features_are_context_and_need_the_timestamp() {
        final FeatureDef latency = new FeatureDef("latency", null, FeatureType.CONTINUOUS, null, null);
        final FeatureDef service = new FeatureDef("service", null, FeatureType.CATEGORICAL, null, null, true, null);
        final FeatureDef hour = new FeatureDef("hour", null, FeatureType.TIME, null, null, true, TimePeriod.HOUR_OF_DAY);
        assertTrue(new FeatureSpec(null, null, "ts", 8, List.of(latency, service, hour)).conditional());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FeatureSpec(null, null, "ts", 8,
                List.of(service, latency))).getMessage().contains("after all the others"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FeatureSpec(null, null, "ts", 8,
                List.of(service, hour))).getMessage().contains("every feature is context"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FeatureSpec(null, null, null, 8,
                List.of(latency, hour))).getMessage().contains("timestamp_path"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FeatureDef("hour", null, FeatureType.TIME, null, null,
                null, TimePeriod.HOUR_OF_DAY)).getMessage().contains("must be context"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FeatureSpec(null, null, "ts", 8, List.of(latency, hour),
                "Mars/Olympus")).getMessage().contains("time_zone"));
    }
}
