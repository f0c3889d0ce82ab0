package dev.nelbo.schemas.spec;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Which fields of an event are features and how to read them, plus where the event id, the entity
 * key and the timestamp live. Identical on both sides: the trainer stores it in the manifest and the
 * scorer encodes with the manifest's copy.
 *
 * @param idPath         dotted path of the event id (seeds the deterministic sampling; null: none)
 * @param keyPath        dotted path of the entity key (alert suppression; null: the Kafka key)
 * @param timestampPath  dotted path of the event time, epoch millis or ISO-8601 (null: record time)
 * @param maxCategories  vocabulary size K for categorical features (top-K training values)
 * @param features       features, in encoding order
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FeatureSpec(String idPath, String keyPath, String timestampPath, Integer maxCategories,
                          List<FeatureDef> features) {

    /** Vocabulary size when the spec does not say. */
    public static final int DEFAULT_MAX_CATEGORIES = 32;

    /**
     * @throws IllegalArgumentException for no features, duplicate names, or a bad vocabulary size
     */
    public FeatureSpec {
        if (features == null || features.isEmpty()) {
            throw new IllegalArgumentException("a feature spec needs at least one feature");
        }
        features = List.copyOf(features);
        maxCategories = maxCategories == null ? DEFAULT_MAX_CATEGORIES : maxCategories;
        if (maxCategories < 1) {
            throw new IllegalArgumentException("max_categories must be at least 1, got " + maxCategories);
        }
        final Set<String> names = new HashSet<>();
        for (FeatureDef f : features) {
            if (!names.add(f.name())) {
                throw new IllegalArgumentException("duplicate feature name '" + f.name() + "'");
            }
        }
    }

    /** @return the feature with this name */
    public FeatureDef feature(final String name) {
        return features.stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no feature named '" + name + "'"));
    }

    /**
     * Lists why this spec cannot read the events that {@code serving} reads (the rule every scorer applies
     * before it switches models, and the registry commands apply before they point the fleet at a version):
     * both must take id, key and time from the same places, and every feature of this spec must read a path
     * the serving spec reads, as the same type.
     *
     * @param serving spec of the model in use
     * @return problems, empty when compatible
     */
    public List<String> incompatibilitiesWith(final FeatureSpec serving) {
        final List<String> problems = new ArrayList<>();
        if (!Objects.equals(serving.idPath(), idPath)) {
            problems.add("id path " + idPath + " != " + serving.idPath());
        }
        if (!Objects.equals(serving.keyPath(), keyPath)) {
            problems.add("key path " + keyPath + " != " + serving.keyPath());
        }
        if (!Objects.equals(serving.timestampPath(), timestampPath)) {
            problems.add("timestamp path " + timestampPath + " != " + serving.timestampPath());
        }
        for (final FeatureDef f : features) {
            final Optional<FeatureDef> same = serving.features().stream().filter(s -> s.path().equals(f.path())).findFirst();
            if (same.isEmpty()) {
                problems.add("feature '" + f.name() + "' reads " + f.path() + ", which the input is not known to carry");
            } else if (same.get().type() != f.type()) {
                problems.add("feature '" + f.name() + "' reads " + f.path() + " as " + f.type().wireName()
                        + " but the input carries " + same.get().type().wireName());
            }
        }
        return problems;
    }
}
