package dev.nelbo.schemas.encoding;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;

import java.util.List;

/**
 * Reads features from a parsed JSON event by the spec's dotted paths. Paths are split once; a
 * source is re-pointed at each event with {@link #reset(JsonNode)}, so reading allocates nothing.
 */
public final class JsonRecordSource implements RecordSource {

    private final String[][] paths;
    private final boolean[] categorical;
    private JsonNode event;

    /** @param spec the feature spec whose paths are read */
    public JsonRecordSource(final FeatureSpec spec) {
        final List<FeatureDef> features = spec.features();
        paths = new String[features.size()][];
        categorical = new boolean[features.size()];
        for (int i = 0; i < paths.length; i++) {
            paths[i] = splitPath(features.get(i).path());
            categorical[i] = features.get(i).type() == FeatureType.CATEGORICAL;
        }
    }

    /**
     * @param event the event to read next (a JSON object)
     * @return this
     */
    public JsonRecordSource reset(final JsonNode event) {
        this.event = event;
        return this;
    }

    @Override
    public void read(final int feature, final RawValue into) {
        final JsonNode node = lookup(event, paths[feature]);
        if (categorical[feature] && node != null && node.isNumber()) {
            // Numeric category codes keep their text; only categorical features pay for it.
            into.setNumber(node.doubleValue(), node.asText());
        } else {
            fill(node, into);
        }
    }

    /** @return the dotted path split into segments */
    public static String[] splitPath(final String path) {
        return path.split("\\.", -1);
    }

    /**
     * @param root     event
     * @param segments path segments
     * @return the node at the path, or null when absent
     */
    public static JsonNode lookup(final JsonNode root, final String[] segments) {
        JsonNode node = root;
        for (String s : segments) {
            if (node == null || !node.isObject()) {
                return null;
            }
            node = node.get(s);
        }
        return node;
    }

    /**
     * Fills a raw value from a JSON node.
     *
     * @param node node, or null when absent
     * @param into holder
     */
    public static void fill(final JsonNode node, final RawValue into) {
        if (node == null || node.isMissingNode()) {
            into.setAbsent();
        } else if (node.isNull()) {
            into.setNull();
        } else if (node.isNumber()) {
            into.setNumber(node.doubleValue(), null);
        } else if (node.isBoolean()) {
            into.setBoolean(node.booleanValue());
        } else if (node.isTextual()) {
            into.setText(node.textValue());
        } else {
            into.setStructure();
        }
    }
}
