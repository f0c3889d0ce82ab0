package dev.nelbo.schemas.event;

import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;

import java.util.List;
import java.util.function.Predicate;

/**
 * What a schema-based parser (Avro, Protobuf) reads for a spec: per slot of an {@link EventFields} (the features, then
 * the id, key and time), the path's segments and whether the value is also kept as text (categories, ids, keys), each
 * path checked against the schema when the parser is made, so a spec the schema cannot serve fails before any record.
 */
final class SpecPaths {

    /** The spec's features (slots {@code 0..features-1}). */
    final int features;
    /** Per slot, the path's segments, or null when the slot reads nothing. */
    final String[][] paths;
    /** Per slot, whether a number is also kept as its text. */
    final boolean[] needsText;

    /**
     * @param spec      the feature spec
     * @param reachable whether the schema has a path (its segments)
     * @param schema    the schema, described for the error (e.g. {@code the Avro schema shop.Event})
     * @param fields    the schema's top-level field names, for the error
     * @throws IllegalArgumentException naming the first path the schema does not have
     */
    SpecPaths(final FeatureSpec spec, final Predicate<String[]> reachable, final String schema, final List<String> fields) {
        final List<FeatureDef> defs = spec.features();
        this.features = defs.size();
        this.paths = new String[features + 3][];
        this.needsText = new boolean[features + 3];
        for (int f = 0; f < features; f++) {
            final FeatureDef d = defs.get(f);
            // history features read no path: their values come from the entity's past events
            set(f, d.derivedFromHistory() ? null : d.path(), "feature '" + d.name() + "'", reachable, schema, fields);
            needsText[f] = d.type() == FeatureType.CATEGORICAL;
        }
        set(EventFields.idSlot(features), spec.idPath(), "id_path", reachable, schema, fields);
        set(EventFields.keySlot(features), spec.keyPath(), "key_path", reachable, schema, fields);
        set(EventFields.timeSlot(features), spec.timestampPath(), "timestamp_path", reachable, schema, fields);
        needsText[EventFields.idSlot(features)] = true;
        needsText[EventFields.keySlot(features)] = true;
    }

    private void set(final int slot, final String path, final String what, final Predicate<String[]> reachable,
                     final String schema, final List<String> fields) {
        if (path == null) {
            return;
        }
        final String[] segments = EventReader.splitPath(path);
        if (!reachable.test(segments)) {
            throw new IllegalArgumentException(what + " reads '" + path + "', which " + schema + " does not have (its"
                    + " fields: " + fields + ")");
        }
        paths[slot] = segments;
    }

    /** @return a holder sized for these slots */
    EventFields newFields() {
        return new EventFields(features, 0);
    }

    /**
     * @param bytes  a record value
     * @param limits what an event may be
     * @throws EncodingException ({@code too_large}) when the value exceeds the record limit
     */
    static void checkSize(final byte[] bytes, final DecodeLimits limits) {
        if (bytes.length > limits.maxBytes()) {
            throw new EncodingException(FailureReason.TOO_LARGE, null, "record of " + bytes.length
                    + " bytes exceeds the limit of " + limits.maxBytes() + " bytes");
        }
    }
}
