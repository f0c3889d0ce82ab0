package dev.nelbo.schemas.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.event.DecodeLimits;
import dev.nelbo.schemas.event.EventFields;
import dev.nelbo.schemas.event.EventReader;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.history.HistoryTracker;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.HistoryDef;
import dev.nelbo.schemas.spec.HistoryStat;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;
import dev.nelbo.schemas.spec.MissingPolicy;
import dev.nelbo.schemas.spec.Transform;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A small mixed-type event domain for tests in every module. */
public final class TestData {

    /** Regions in the categorical feature. */
    public static final String[] REGIONS = {"eu", "us", "ap"};

    private TestData() {
    }

    /** @return spec: latency (continuous, log1p), bytes (continuous, impute), retried (binary), region (categorical) */
    public static FeatureSpec spec() {
        return new FeatureSpec("event_id", "key", "ts", 8, List.of(
                new FeatureDef("latency_ms", "http.latency_ms", FeatureType.CONTINUOUS, Transform.LOG1P, MissingPolicy.REJECT),
                new FeatureDef("bytes", "bytes", FeatureType.CONTINUOUS, Transform.NONE, MissingPolicy.IMPUTE),
                new FeatureDef("retried", "retried", FeatureType.BINARY, Transform.NONE, MissingPolicy.REJECT),
                new FeatureDef("region", "region", FeatureType.CATEGORICAL, Transform.NONE, MissingPolicy.REJECT)));
    }

    /** @return a normal event */
    public static ObjectNode event(final Random rnd, final int i) {
        final ObjectNode e = Json.EVENTS.createObjectNode();
        e.put("event_id", "e-" + i);
        e.put("key", "svc-" + (i % 5));
        e.put("ts", 1_700_000_000_000L + i * 1000L);
        e.putObject("http").put("latency_ms", Math.exp(4 + 0.3 * rnd.nextGaussian()));
        e.put("bytes", 1000 + 100 * rnd.nextGaussian());
        e.put("retried", rnd.nextDouble() < 0.1);
        e.put("region", REGIONS[rnd.nextInt(REGIONS.length)]);
        return e;
    }

    /** @return n normal events */
    public static List<JsonNode> events(final long seed, final int n) {
        final Random rnd = new Random(seed);
        final List<JsonNode> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(event(rnd, i));
        }
        return out;
    }

    /** @return an encoder fitted on n normal events, read as the trainer reads them */
    public static FeatureEncoder fittedEncoder(final long seed, final int n) {
        return fittedEncoder(spec(), seed, n);
    }

    /**
     * @return {@link #spec()} with history context: the key's weighted mean and spread of the latency (half-life
     *         5 events) and its number of past events
     */
    public static FeatureSpec historySpec() {
        final List<FeatureDef> features = new ArrayList<>(spec().features());
        features.add(new FeatureDef("latency_recent", null, FeatureType.CONTINUOUS, null, null, true, null,
                new HistoryDef("latency_ms", HistoryStat.EWM_MEAN, 5)));
        features.add(new FeatureDef("latency_spread", null, FeatureType.CONTINUOUS, null, null, true, null,
                new HistoryDef("latency_ms", HistoryStat.EWM_STD, 5)));
        features.add(new FeatureDef("key_events", null, FeatureType.CONTINUOUS, null, null, true, null,
                new HistoryDef(null, HistoryStat.EVENTS, null)));
        return new FeatureSpec("event_id", "key", "ts", 8, features);
    }

    /**
     * @param spec a spec for {@link #event} (history features are built over the events in order)
     * @return an encoder fitted on n normal events, read as the trainer reads them
     */
    public static FeatureEncoder fittedEncoder(final FeatureSpec spec, final long seed, final int n) {
        final EventReader reader = EventReader.forSpec(spec, DecodeLimits.defaults());
        final FeatureEncoder.Fitter fitter = new FeatureEncoder.Fitter(spec);
        final EventFields fields = reader.newFields();
        final HistoryTracker history = HistoryTracker.forTraining(spec, null);
        for (JsonNode e : events(seed, n)) {
            reader.read(bytes(e), fields);
            fitter.accept(fields.withHistory(history, fields.timeOrMin()));
            if (history != null) {
                history.commit();
            }
        }
        return fitter.finish().encoder();
    }

    /**
     * @param spec  a spec
     * @param event an event
     * @return the event's fields as the reader finds them
     */
    public static EventFields fields(final FeatureSpec spec, final JsonNode event) {
        final EventReader reader = EventReader.forSpec(spec, DecodeLimits.defaults());
        final EventFields fields = reader.newFields();
        reader.read(bytes(event), fields);
        return fields;
    }

    /**
     * @param node a JSON tree
     * @return its UTF-8 bytes
     */
    public static byte[] bytes(final JsonNode node) {
        try {
            return Json.EVENTS.writeValueAsBytes(node);
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
