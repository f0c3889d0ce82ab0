package dev.nelbo.scorer.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.engine.ScoringResults;
import dev.nelbo.schemas.encoding.ColumnBlock;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.encoding.JsonRecordSource;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.output.Alert;
import dev.nelbo.schemas.output.ScoreRecord;
import dev.nelbo.schemas.output.SourceRef;
import dev.nelbo.schemas.spec.FeatureDef;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one row of engine results into the contract's output documents. The streaming scorer and the
 * offline {@code score} command both use it, so a record scores to the same document either way.
 */
public final class ScoreMapper {

    /**
     * The contract's document mapper with Jackson's Schubfach double writer: formatting full-precision
     * doubles with the JDK 17 algorithm was the largest single cost of writing a score record.
     */
    private static final ObjectWriter WRITER = writer();

    private final FeatureEncoder encoder;
    private final String modelVersion;
    private final double threshold;
    private final String[] names;
    private final String[][] paths;

    /**
     * @param encoder      the model's feature encoder
     * @param modelVersion the model version
     * @param threshold    the model's alert threshold
     */
    public ScoreMapper(final FeatureEncoder encoder, final String modelVersion, final double threshold) {
        this.encoder = encoder;
        this.modelVersion = modelVersion;
        this.threshold = threshold;
        final List<FeatureDef> defs = encoder.spec().features();
        names = defs.stream().map(FeatureDef::name).toArray(String[]::new);
        paths = defs.stream().map(f -> JsonRecordSource.splitPath(f.path())).toArray(String[][]::new);
    }

    /** @return the model version this mapper writes */
    public String modelVersion() {
        return modelVersion;
    }

    /**
     * @param r         engine results
     * @param row       row in the results
     * @param eventId   event id
     * @param key       entity key, or null
     * @param eventTime event time, or null
     * @param source    input coordinates
     * @return the score record
     */
    public ScoreRecord scoreRecord(final ScoringResults r, final int row, final String eventId, final String key,
                                   final Long eventTime, final SourceRef source) {
        final Map<String, Double> contributions = new LinkedHashMap<>();
        for (int f = 0; f < names.length; f++) {
            contributions.put(names[f], r.contribution(row, f));
        }
        return new ScoreRecord(eventId, key, eventTime, modelVersion, r.nelbo(row), r.reconNll(row), r.kl(row),
                r.iwNll(row), r.tailProbability(row), threshold, r.anomaly(row), contributions, source);
    }

    /**
     * @param r          engine results
     * @param row        row in the results
     * @param event      the parsed event (observed values are read from it)
     * @param eventId    event id
     * @param key        entity key, or null
     * @param eventTime  event time, or null
     * @param top        how many features to list
     * @param suppressed alerts suppressed for this key since the last one sent
     * @param windowMs   suppression window
     * @return the alert
     */
    public Alert alert(final ScoringResults r, final int row, final JsonNode event, final String eventId, final String key,
                       final Long eventTime, final int top, final long suppressed, final long windowMs) {
        final Integer[] order = new Integer[names.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingDouble((Integer f) -> r.contribution(row, f)).reversed());
        final List<Alert.TopFeature> features = new ArrayList<>();
        for (int i = 0; i < Math.min(top, order.length); i++) {
            final int f = order[i];
            features.add(new Alert.TopFeature(names[f], r.contribution(row, f), observed(event, f), expected(r, row, f)));
        }
        return new Alert(eventId, key, eventTime, modelVersion, r.nelbo(row), threshold, r.tailProbability(row), features,
                suppressed, windowMs);
    }

    private Object observed(final JsonNode event, final int feature) {
        final JsonNode n = event == null ? null : JsonRecordSource.lookup(event, paths[feature]);
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isNumber()) {
            return n.isIntegralNumber() && n.canConvertToLong() ? (Object) n.longValue() : (Object) n.doubleValue();
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        return n.isTextual() ? n.textValue() : n.toString();
    }

    private Object expected(final ScoringResults r, final int row, final int feature) {
        final double e = r.expected(row, feature);
        final ColumnBlock block = encoder.layout().get(feature);
        return switch (block.likelihood()) {
            case GAUSSIAN -> encoder.decodeContinuous(feature, e);
            case BERNOULLI -> e;
            case CATEGORICAL -> encoder.category(feature, (int) e);
        };
    }

    private static ObjectWriter writer() {
        final ObjectMapper mapper = Json.DOCUMENTS.copy();
        mapper.getFactory().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER.mappedFeature());
        return mapper.writer();
    }

    /**
     * @param document an output record
     * @return its JSON bytes
     * @throws IllegalStateException when the document cannot be written (a bug)
     */
    public static byte[] toJson(final Object document) {
        try {
            return WRITER.writeValueAsBytes(document);
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + document.getClass().getSimpleName() + " as JSON", e);
        }
    }
}
