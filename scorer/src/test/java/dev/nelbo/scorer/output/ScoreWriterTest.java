package dev.nelbo.scorer.output;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.engine.ScoringBatch;
import dev.nelbo.engine.ScoringEngine;
import dev.nelbo.engine.ScoringResults;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.event.DecodeLimits;
import dev.nelbo.schemas.event.DecodedEvent;
import dev.nelbo.schemas.event.EventDecoder;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.output.Alert;
import dev.nelbo.schemas.output.Clamped;
import dev.nelbo.schemas.output.DeadLetter;
import dev.nelbo.schemas.output.ScoreRecord;
import dev.nelbo.schemas.output.SourceRef;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The hand-rolled writer writes exactly the documents the contract's Java types serialize to. */
class ScoreWriterTest {

    @TempDir
    Path dir;

    @Test
    void scores_alerts_and_dead_letters_equal_the_contract_types_serialized_by_jackson() throws Exception {
        ScorerFixtures.writeModel(dir, 3);
        final ModelBundle bundle = ModelBundle.load(dir);
        final EventDecoder decoder = new EventDecoder(bundle.encoder(), DecodeLimits.defaults());
        final List<String> names = bundle.encoder().spec().features().stream().map(f -> f.name()).toList();
        try (ScoringEngine engine = ScoringEngine.open(bundle, EngineOptions.defaults().withMaxBatch(8))) {
            final ScoringBatch batch = engine.newBatch();
            final ScoringResults results = engine.newResults();
            final List<byte[]> values = List.of(ScorerFixtures.normal(1), ScorerFixtures.anomaly(2, "db-\u00e9\u2603", 5L),
                    ScorerFixtures.extremes(3).get(2).value(), ScorerFixtures.extremes(4).get(1).value());
            final List<DecodedEvent> events = new ArrayList<>();
            for (final byte[] v : values) {
                final DecodedEvent e = decoder.newEvent();
                decoder.decode(v, batch.x(), batch.mask(), batch.nextRow(), e);
                batch.commitRow(e.fields().id());
                events.add(e);
            }
            engine.score(batch, results);
            final ScoreWriter writer = new ScoreWriter(bundle.encoder(), bundle.version(), true, 3);
            for (int i = 0; i < values.size(); i++) {
                final DecodedEvent e = events.get(i);
                final SourceRef src = SourceRef.kafka("events", 2, 40L + i);
                final byte[] written = writer.score(results, i, e.fields().id(), e.fields().key(), e.fields().timeMillis(), src,
                        e.clampedCount() > 0 ? e : null, -1);
                final Map<String, Double> contributions = new LinkedHashMap<>();
                for (int f = 0; f < names.size(); f++) {
                    contributions.put(names.get(f), results.contribution(i, f));
                }
                final ScoreRecord expected = new ScoreRecord(e.fields().id(), e.fields().key(), e.fields().timeMillis(),
                        bundle.version(), results.nelbo(i), results.reconNll(i), results.kl(i), results.iwNll(i),
                        results.tailProbability(i), results.threshold(i), ScoreWriter.anomaly(results, i, e), contributions, clamped(e, names), src,
                        null, null, null);
                assertSame(SchemaDocument.SCORE, expected, written);

                final byte[] alert = writer.alert(results, i, e, e.fields().id(), e.fields().key(), e.fields().timeMillis(), 7,
                        60_000, -1);
                final int[] top = new int[3];
                results.topFeatures(i, top);
                final List<Alert.TopFeature> features = new ArrayList<>();
                final JsonNode parsed = ScorerFixtures.parse(alert);
                for (int j = 0; j < 3; j++) {
                    features.add(new Alert.TopFeature(names.get(top[j]), results.contribution(i, top[j]),
                            ScoreWriter.observed(e.fields().feature(top[j])), Json.DOCUMENTS.treeToValue(
                                    parsed.at("/top_features/" + j + "/expected"), Object.class)));
                }
                assertSame(SchemaDocument.ALERT, new Alert("event", e.fields().id(), e.fields().key(), e.fields().timeMillis(),
                        bundle.version(), results.nelbo(i), results.threshold(i), results.tailProbability(i), features, 7, 60_000,
                        null, null, null, null, null, clamped(e, names), null, null), alert);
            }
        }
        final DeadLetter letter = DeadLetter.of(FailureReason.MALFORMED, "f\"\n\t\u0001", "m\u00e9\ud83d\ude00\ud800x",
                SourceRef.fileLine("a \"b\".jsonl", 9), new byte[] {1, 2, 3}, "v");
        assertSame(SchemaDocument.DEAD_LETTER, letter, ScoreWriter.deadLetter(letter));
    }

    @Test
    void strings_of_any_characters_and_doubles_read_back_exactly() throws Exception {
        final Random rnd = new Random(5);
        for (int n = 0; n < 2000; n++) {
            final StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 20; i++) {
                sb.append((char) (rnd.nextInt(4) == 0 ? rnd.nextInt(0x10000) : rnd.nextInt(0x80)));
            }
            final double d = Double.longBitsToDouble(rnd.nextLong());
            final byte[] json = new JsonBytes().beginObject().name(JsonBytes.encodeName(sb.toString())).value(sb.toString())
                    .name(JsonBytes.encodeName("d")).value(d).endObject().toBytes();
            final JsonNode back = Json.EVENTS.readTree(json);
            assertEquals(sb.toString(), back.get(sb.toString()).textValue());
            if (Double.isFinite(d)) {
                assertEquals(Double.doubleToLongBits(d), Double.doubleToLongBits(back.get("d").doubleValue()));
            } else {
                assertEquals(Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity", back.get("d").textValue());
            }
        }
    }

    private static List<Clamped> clamped(final DecodedEvent e, final List<String> names) {
        if (e.clampedCount() == 0) {
            return null;
        }
        final List<Clamped> out = new ArrayList<>();
        for (int i = 0; i < e.clampedCount(); i++) {
            out.add(new Clamped(names.get(e.clamped(i)), ScoreWriter.observed(e.fields().feature(e.clamped(i)))));
        }
        return out;
    }

    private static void assertSame(final SchemaDocument schema, final Object expected, final byte[] written) throws Exception {
        final JsonNode actual = Json.DOCUMENTS.readTree(written);
        assertEquals(List.of(), Schemas.validate(schema, actual), actual.toString());
        assertEquals(Json.DOCUMENTS.readTree(Json.DOCUMENTS.writeValueAsBytes(expected)), actual);
    }
}
