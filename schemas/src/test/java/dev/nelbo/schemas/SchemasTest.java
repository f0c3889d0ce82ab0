package dev.nelbo.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.event.EventEnvelope;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.output.Alert;
import dev.nelbo.schemas.output.Clamped;
import dev.nelbo.schemas.output.DeadLetter;
import dev.nelbo.schemas.output.ScoreRecord;
import dev.nelbo.schemas.output.SourceRef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.testing.TestBundles;
import dev.nelbo.schemas.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every Java type of the contract round-trips through JSON and validates; broken documents name the failing path. */
class SchemasTest {

    private static <T> T roundTrip(final SchemaDocument schema, final T value, final Class<T> type) throws Exception {
        final JsonNode json = Json.DOCUMENTS.valueToTree(value);
        assertEquals(List.of(), Schemas.validate(schema, json), () -> "document: " + json);
        final T back = Json.DOCUMENTS.treeToValue(json, type);
        assertEquals(json, Json.DOCUMENTS.valueToTree(back));
        return back;
    }

    private static void assertRejected(final SchemaDocument schema, final JsonNode doc, final String path) {
        final List<String> problems = Schemas.validate(schema, doc);
        assertFalse(problems.isEmpty(), "expected " + schema + " to reject " + doc);
        assertTrue(problems.stream().anyMatch(p -> p.contains(path)), "expected a problem at " + path + " but got " + problems);
    }

    private static ObjectNode tree(final Object value) {
        return Json.DOCUMENTS.valueToTree(value);
    }

    private final ScoreRecord score = new ScoreRecord("e-1", "svc-1", 1_700_000_000_000L, "v1", 12.5, 10.0, 2.5, 12.1,
            0.02, 40.0, false, Map.of("latency_ms", 6.0, "bytes", 4.0), null, SourceRef.kafka("events", 3, 42L), 12L, 3.5, false);
    private final Alert alert = new Alert("event", "e-2", null, null, "v1", 99.0, 40.0, 1e-5,
            List.of(new Alert.TopFeature("latency_ms", 80.0, 9000.0, 55.2), new Alert.TopFeature("region", 5.0, "mars", "us")),
            3, 60_000, null, null, null, null, null, List.of(new Clamped("bytes", "Infinity")), 2L, true);
    private final Alert entityAlert = new Alert("entity", "e-9", "host-3", 1_700_000_000_000L, "v1", 9.0, 40.0, 0.004,
            List.of(new Alert.TopFeature("latency_ms", 31.5, 420.0, 95.0)), 0, 0, 8.1, 7.2, "e-7", 1_699_999_990_000L, 3,
            null, null, null);
    private final DeadLetter dead = DeadLetter.of(FailureReason.WRONG_TYPE, "latency_ms", "feature 'latency_ms' should be a number",
            SourceRef.kafka("events", 0, 7L), "{\"x\":1}".getBytes(StandardCharsets.UTF_8), "v1");

    @Test
    void score_round_trip_and_rejections() throws Exception {
        roundTrip(SchemaDocument.SCORE, score, ScoreRecord.class);
        roundTrip(SchemaDocument.SCORE, new ScoreRecord("e-1", null, null, "v1", 1e12, 1e12, 2.5, 1e12, 0.0, 40.0, true, null,
                List.of(new Clamped("bytes", 1e300)), SourceRef.kafka("events", 3, 42L), null, null, null), ScoreRecord.class);
        final ObjectNode half = tree(score);
        half.remove("entity_anomalous");
        assertRejected(SchemaDocument.SCORE, half, "entity_anomalous");
        final ObjectNode bad = tree(score);
        bad.put("tail_probability", 1.5);
        assertRejected(SchemaDocument.SCORE, bad, "$.tail_probability");
        final ObjectNode missing = tree(score);
        missing.remove("model_version");
        assertRejected(SchemaDocument.SCORE, missing, "model_version");
    }

    @Test
    void alert_round_trip_and_rejections() throws Exception {
        roundTrip(SchemaDocument.ALERT, alert, Alert.class);
        roundTrip(SchemaDocument.ALERT, entityAlert, Alert.class);
        final ObjectNode noOnset = tree(entityAlert);
        noOnset.remove("onset_event_id");
        assertRejected(SchemaDocument.ALERT, noOnset, "onset_event_id");
        final ObjectNode unknownKind = tree(alert);
        unknownKind.put("kind", "storm");
        assertRejected(SchemaDocument.ALERT, unknownKind, "$.kind");
        // a silence alert names a key and its cadence, no event
        final ObjectNode silence = Json.DOCUMENTS.createObjectNode().put("kind", "silence").put("key", "host-3")
                .put("model_version", "v1").put("last_seen", 1_700_000_000_000L).put("usual_interval_ms", 1000.0)
                .put("overdue_at", 1_700_000_012_000L).put("detected_at", 1_700_000_012_050L);
        assertEquals(List.of(), Schemas.validate(SchemaDocument.ALERT, silence));
        final ObjectNode noLastSeen = silence.deepCopy();
        noLastSeen.remove("last_seen");
        assertRejected(SchemaDocument.ALERT, noLastSeen, "last_seen");
        final ObjectNode eventAsSilence = tree(alert);
        eventAsSilence.put("kind", "silence");
        assertRejected(SchemaDocument.ALERT, eventAsSilence, "last_seen");
        // without a kind (or with kind event) an alert is an event's: the event fields are required
        final ObjectNode noKind = silence.deepCopy();
        noKind.remove("kind");
        assertRejected(SchemaDocument.ALERT, noKind, "event_id");
        final ObjectNode bad = tree(alert);
        ((ObjectNode) bad.get("top_features").get(1)).remove("expected");
        assertRejected(SchemaDocument.ALERT, bad, "$.top_features[1]");
        final ObjectNode neg = tree(alert);
        neg.put("suppressed_since_last", -1);
        assertRejected(SchemaDocument.ALERT, neg, "$.suppressed_since_last");
    }

    @Test
    void dead_letter_round_trip_keeps_the_original_bytes() throws Exception {
        final DeadLetter back = roundTrip(SchemaDocument.DEAD_LETTER, dead, DeadLetter.class);
        assertArrayEquals("{\"x\":1}".getBytes(StandardCharsets.UTF_8), back.payload());
        final ObjectNode bad = tree(dead);
        bad.put("reason", "boom");
        assertRejected(SchemaDocument.DEAD_LETTER, bad, "$.reason");
        final ObjectNode src = tree(dead);
        ((ObjectNode) src.get("source")).remove("offset");
        assertRejected(SchemaDocument.DEAD_LETTER, src, "$.source");
        roundTrip(SchemaDocument.DEAD_LETTER, DeadLetter.of(FailureReason.MALFORMED, null, "bad line",
                SourceRef.fileLine("data.csv", 17), new byte[] {1, 2}, null), DeadLetter.class);
    }

    @Test
    void a_dead_letter_is_bounded_whatever_the_payload_and_message() throws Exception {
        final byte[] huge = new byte[900 * 1024];
        new java.util.Random(1).nextBytes(huge);
        final DeadLetter letter = DeadLetter.of(FailureReason.TOO_LARGE, "f".repeat(5000), "m".repeat(100_000),
                SourceRef.kafka("events", 0, 1L), huge, "v1");
        final byte[] json = Json.DOCUMENTS.writeValueAsBytes(letter);
        assertTrue(json.length < 8 * 1024, "dead letter of " + json.length + " bytes");
        final DeadLetter back = roundTrip(SchemaDocument.DEAD_LETTER, letter, DeadLetter.class);
        assertTrue(back.payloadTruncated());
        assertEquals(huge.length, back.payloadBytes());
        assertArrayEquals(java.util.Arrays.copyOf(huge, DeadLetter.PAYLOAD_PREFIX_BYTES), back.payload());
        assertEquals(DeadLetter.sha256(huge), back.payloadSha256());
        assertEquals(DeadLetter.MAX_MESSAGE_CHARS, back.message().length());
        assertFalse(dead.payloadTruncated());
    }

    @Test
    void feature_spec_round_trip_and_rejections() throws Exception {
        roundTrip(SchemaDocument.FEATURE_SPEC, TestData.spec(), FeatureSpec.class);
        final ObjectNode bad = tree(TestData.spec());
        ((ObjectNode) bad.get("features").get(2)).put("type", "boolean");
        assertRejected(SchemaDocument.FEATURE_SPEC, bad, "$.features[2].type");
        final ObjectNode transform = tree(TestData.spec());
        ((ObjectNode) transform.get("features").get(3)).put("transform", "log1p");
        assertRejected(SchemaDocument.FEATURE_SPEC, transform, "$.features[3].transform");
        final ObjectNode typo = tree(TestData.spec());
        typo.put("max_categorys", 3);
        assertRejected(SchemaDocument.FEATURE_SPEC, typo, "max_categorys");
    }

    @Test
    void history_features_with_half_lives_in_events_or_time_validate_and_both_at_once_do_not() throws Exception {
        roundTrip(SchemaDocument.FEATURE_SPEC, TestData.historySpec(), FeatureSpec.class);
        final ObjectNode timed = tree(TestData.historySpec());
        final int recent = TestData.spec().features().size();
        final ObjectNode history = (ObjectNode) timed.get("features").get(recent).get("history");
        history.remove("half_life");
        history.put("half_life_time", "PT5M");
        assertEquals(List.of(), Schemas.validate(SchemaDocument.FEATURE_SPEC, timed));
        final FeatureSpec read = Json.DOCUMENTS.treeToValue(timed, FeatureSpec.class);
        assertEquals(300_000L, read.features().get(recent).history().halfLifeMillis());
        history.put("half_life", 5);
        assertRejected(SchemaDocument.FEATURE_SPEC, timed, "$.features[" + recent + "].history");
    }

    @Test
    void manifest_round_trip_and_rejections(@TempDir final Path dir) throws Exception {
        final Manifest m = TestBundles.writeRandom(dir, TestData.fittedEncoder(1, 500), 3);
        roundTrip(SchemaDocument.MANIFEST, m, Manifest.class);
        final ObjectNode bad = tree(m);
        ((ObjectNode) bad.get("architecture")).put("latent_dim", 0);
        assertRejected(SchemaDocument.MANIFEST, bad, "$.architecture.latent_dim");
        final ObjectNode sum = tree(m);
        ((ObjectNode) sum.get("files")).put("decoder.onnx", "abc");
        assertRejected(SchemaDocument.MANIFEST, sum, "$.files.decoder.onnx");
    }

    @Test
    void event_envelope_round_trip_and_rejections() throws Exception {
        final EventEnvelope e = new EventEnvelope((ObjectNode) Json.EVENTS.readTree("{\"event_id\":\"a\",\"ts\":1,\"x\":{\"y\":2}}"));
        roundTrip(SchemaDocument.EVENT, e, EventEnvelope.class);
        assertRejected(SchemaDocument.EVENT, Json.EVENTS.readTree("[1]"), "$");
        assertRejected(SchemaDocument.EVENT, Json.EVENTS.readTree("{\"ts\":true}"), "$.ts");
    }
}
