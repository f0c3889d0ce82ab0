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
import dev.nelbo.schemas.encoding.RecordSource;
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

    /** The events as the trainer and the scorer read them (one holder per event, since the fitter keeps none). */
    private static List<RecordSource> sources(final FeatureSpec spec, final List<JsonNode> events) throws Exception {
        final EventReader reader = EventReader.forSpec(spec, DecodeLimits.defaults());
        final List<RecordSource> sources = new ArrayList<>();
        for (final JsonNode event : events) {
            final EventFields fields = reader.newFields();
            reader.read(Json.EVENTS.writeValueAsBytes(event), fields);
            sources.add(fields);
        }
        return sources;
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
            assertTrue(fields.contains(f.path()), "feature " + f.name() + " reads a field generated events lack");
        }
        // the id is never a feature; the time only through time features (derived, context)
        assertFalse(spec.features().stream().filter(f -> f.type() != dev.nelbo.schemas.spec.FeatureType.TIME)
                .anyMatch(f -> Set.of("event_id", "ts").contains(f.path())));
        assertTrue(spec.features().stream().anyMatch(f -> f.type() == dev.nelbo.schemas.spec.FeatureType.TIME && f.contextual()));

        final FeatureEncoder encoder = FeatureEncoder.fit(spec, sources(spec, normal)).encoder();
        final List<JsonNode> mixed = events(0.3, 2000);
        final float[] x = new float[encoder.width()];
        final float[] mask = new float[encoder.width()];
        for (final RecordSource source : sources(spec, mixed)) {
            encoder.encode(source, x, mask, 0);
        }
    }
}
