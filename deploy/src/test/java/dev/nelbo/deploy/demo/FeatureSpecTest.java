package dev.nelbo.deploy.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.deploy.DeployFiles;
import dev.nelbo.deploy.generator.AnomalyKind;
import dev.nelbo.deploy.generator.EventJson;
import dev.nelbo.deploy.generator.LabelledEvent;
import dev.nelbo.deploy.generator.TelemetryGenerator;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.event.DecodeLimits;
import dev.nelbo.schemas.event.EventFields;
import dev.nelbo.schemas.event.EventReader;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import dev.nelbo.schemas.history.HistoryTracker;
import org.junit.jupiter.api.Test;

/** deploy/demo/feature-spec.json against the schema and the shared encoder, on generated events. */
class FeatureSpecTest {

    private static List<JsonNode> events(final double anomalyRate, final int count) throws Exception {
        final TelemetryGenerator generator = new TelemetryGenerator(17, anomalyRate, EnumSet.allOf(AnomalyKind.class));
        final List<JsonNode> events = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            final LabelledEvent e = generator.next(Instant.parse("2026-01-05T00:00:00Z").plusSeconds(i * 30L));
            events.add(Json.EVENTS.readTree(EventJson.event(e, Optional.empty())));
        }
        return events;
    }

    /**
     * Fits the spec's encoder on events as the trainer does, history features built over them in order, then
     * encodes other events as the scorer does: every one must encode.
     */
    private static FeatureEncoder fitThenEncode(final FeatureSpec spec, final List<JsonNode> fit, final List<JsonNode> encode)
            throws Exception {
        final EventReader reader = EventReader.forSpec(spec, DecodeLimits.defaults());
        final EventFields fields = reader.newFields();
        final FeatureEncoder.Fitter fitter = new FeatureEncoder.Fitter(spec);
        final HistoryTracker fitting = HistoryTracker.forTraining(spec, null);
        for (final JsonNode event : fit) {
            reader.read(Json.EVENTS.writeValueAsBytes(event), fields);
            fitter.accept(fields.withHistory(fitting, fields.timeOrMin()));
            fitting.commit();
        }
        final FeatureEncoder encoder = fitter.finish().encoder();
        final HistoryTracker scoring = HistoryTracker.inMemory(encoder);
        final float[] x = new float[encoder.width()];
        final float[] mask = new float[encoder.width()];
        for (final JsonNode event : encode) {
            reader.read(Json.EVENTS.writeValueAsBytes(event), fields);
            encoder.encode(fields.withHistory(scoring, fields.timeOrMin()), x, mask, 0);
            scoring.commit();
        }
        return encoder;
    }

    @Test
    void spec_is_valid_and_encodes_every_generated_event_including_planted_anomalies() throws Exception {
        final JsonNode json = Json.DOCUMENTS.readTree(DeployFiles.resolve("demo/feature-spec.json").toFile());
        assertEquals(List.of(), Schemas.validate(SchemaDocument.FEATURE_SPEC, json));
        final FeatureSpec spec = Json.DOCUMENTS.treeToValue(json, FeatureSpec.class);

        final List<JsonNode> normal = events(0, 3000);
        final Set<String> fields = new HashSet<>();
        normal.get(0).fieldNames().forEachRemaining(fields::add);
        for (final FeatureDef f : spec.features()) {
            assertTrue(f.derivedFromHistory() || fields.contains(f.path()), "feature " + f.name() + " reads a field generated events lack");
        }
        // the id is never a feature; the time only through time features (derived, context)
        assertFalse(spec.features().stream().filter(f -> f.type() != dev.nelbo.schemas.spec.FeatureType.TIME)
                .anyMatch(f -> Set.of("event_id", "ts").contains(f.path())));
        assertTrue(spec.features().stream().anyMatch(f -> f.type() == dev.nelbo.schemas.spec.FeatureType.TIME && f.contextual()));

        final FeatureEncoder encoder = fitThenEncode(spec, normal, events(0.3, 2000));
        assertTrue(spec.hasHistory(), "the demo's spec has history features");
        assertTrue(encoder.stats().features().stream().allMatch(f -> f.count() > 0));
    }
}
