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
 * @param features       features, in encoding order (context features last)
 * @param timeZone       the zone whose local clock time features read (null: UTC)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FeatureSpec(String idPath, String keyPath, String timestampPath, Integer maxCategories,
                          List<FeatureDef> features, String timeZone) {

    /** Vocabulary size when the spec does not say. */
    public static final int DEFAULT_MAX_CATEGORIES = 32;

    /**
     * Time features read the timestamp path (their own path is set to it).
     *
     * @throws IllegalArgumentException for no features, duplicate names, a bad vocabulary size, context features
     *                                  before others or only context features, a time feature without a
     *                                  timestamp path, or an unknown time zone
     */
    public FeatureSpec {
        if (features == null || features.isEmpty()) {
            throw new IllegalArgumentException("a feature spec needs at least one feature");
        }
        final List<FeatureDef> normalised = new java.util.ArrayList<>(features.size());
        boolean seenContext = false;
        for (final FeatureDef f : features) {
            if (f.contextual()) {
                seenContext = true;
            } else if (seenContext) {
                throw new IllegalArgumentException("feature '" + f.name() + "' follows a context feature: list the context"
                        + " features (\"context\": true) after all the others");
            }
            if (f.type() == FeatureType.TIME) {
                if (timestampPath == null) {
                    throw new IllegalArgumentException("time feature '" + f.name() + "' needs the spec's timestamp_path");
                }
                normalised.add(f.withPath(timestampPath));
            } else {
                normalised.add(f);
            }
        }
        if (normalised.stream().allMatch(FeatureDef::contextual)) {
            throw new IllegalArgumentException("every feature is context: at least one feature must be modelled");
        }
        if (timeZone != null) {
            TimePeriod.rules(timeZone);
        }
        checkHistory(normalised, keyPath, timestampPath);
        features = List.copyOf(normalised);
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

    private static void checkHistory(final List<FeatureDef> features, final String keyPath, final String timestampPath) {
        final List<FeatureDef> history = features.stream().filter(FeatureDef::derivedFromHistory).toList();
        if (history.isEmpty()) {
            return;
        }
        if (keyPath == null) {
            throw new IllegalArgumentException("history feature '" + history.get(0).name() + "' needs the spec's key_path:"
                    + " the entity whose past events it summarises");
        }
        if (history.stream().noneMatch(f -> f.history().stat() == HistoryStat.EVENTS)) {
            throw new IllegalArgumentException("a spec with history features needs one with \"stat\": \"events\" (the"
                    + " number of past events), so the model can tell an entity without history from an average one");
        }
        for (final FeatureDef f : history) {
            if (f.history().timeWeighted() && timestampPath == null) {
                throw new IllegalArgumentException("history feature '" + f.name() + "' has a half_life_time, which needs"
                        + " the spec's timestamp_path: the event time its weights decay with");
            }
            final String of = f.history().of();
            if (of == null) {
                continue;
            }
            final FeatureDef source = features.stream().filter(s -> s.name().equals(of)).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("history feature '" + f.name() + "' summarises '" + of + "', which is not a feature"));
            if (source.type() != FeatureType.CONTINUOUS || source.derivedFromHistory()) {
                throw new IllegalArgumentException("history feature '" + f.name() + "' summarises '" + of
                        + "', which is not a continuous feature read from the event");
            }
        }
    }

    /** @return whether any feature is derived from its entity's past events */
    public boolean hasHistory() {
        return features.stream().anyMatch(FeatureDef::derivedFromHistory);
    }

    /**
     * A spec without time features' zone (UTC).
     *
     * @param idPath        dotted path of the event id
     * @param keyPath       dotted path of the entity key
     * @param timestampPath dotted path of the event time
     * @param maxCategories vocabulary size K
     * @param features      features, in encoding order
     */
    public FeatureSpec(final String idPath, final String keyPath, final String timestampPath, final Integer maxCategories,
                       final List<FeatureDef> features) {
        this(idPath, keyPath, timestampPath, maxCategories, features, null);
    }

    /** @return the zone rules time features use */
    public java.time.zone.ZoneRules zoneRules() {
        return TimePeriod.rules(timeZone == null ? "UTC" : timeZone);
    }

    /** @return whether any feature is context (the model is conditional) */
    public boolean conditional() {
        return features.stream().anyMatch(FeatureDef::contextual);
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
            if (f.type() == FeatureType.TIME || f.derivedFromHistory()) {
                // reads the timestamp path, compared above, or no path (its source feature is checked itself)
                continue;
            }
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
