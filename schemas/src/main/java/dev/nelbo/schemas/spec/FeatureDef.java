package dev.nelbo.schemas.spec;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.Objects;

/**
 * One feature of the spec.
 *
 * @param name      unique name (used in scores, alerts and reports)
 * @param path      dotted path into the event ("http.latency_ms"); for CSV input, the column name
 * @param type      feature type
 * @param transform transform for continuous features ({@link Transform#NONE} for the others)
 * @param missing   missing-value policy
 * @param context   whether the feature is context: it conditions the encoder and the decoder and is not
 *                  reconstructed, so the model scores the other features given it (null: not context)
 * @param period    the time cycle of a {@code time} feature (null for the other types)
 * @param history   how a history feature is derived from its entity's past events (null: read from the event);
 *                  a history feature is continuous context, reads no path of the event and is missing (imputed)
 *                  while its entity has too little history
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FeatureDef(String name, String path, FeatureType type, Transform transform, MissingPolicy missing,
                         Boolean context, TimePeriod period, HistoryDef history) {

    /**
     * Fills defaults (path = name, transform none, missing reject, impute for history features) and checks
     * consistency.
     *
     * @throws IllegalArgumentException for a blank name, a transform on a non-continuous feature, or a history
     *                                  feature that is not continuous context
     */
    public FeatureDef {
        if (history != null) {
            if (type != FeatureType.CONTINUOUS || !Boolean.TRUE.equals(context) || (transform != null && transform != Transform.NONE)
                    || missing == MissingPolicy.REJECT) {
                throw new IllegalArgumentException("history feature '" + name + "' must be continuous context (\"type\":"
                        + " \"continuous\", \"context\": true) without a transform and with missing impute: it conditions"
                        + " the model and is missing for an entity without history");
            }
            missing = MissingPolicy.IMPUTE;
        }
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("feature name must not be blank");
        }
        Objects.requireNonNull(type, () -> "feature '" + name + "': type is required");
        path = path == null || path.isBlank() ? name : path;
        transform = transform == null ? Transform.NONE : transform;
        missing = missing == null ? MissingPolicy.REJECT : missing;
        if (type != FeatureType.CONTINUOUS && transform != Transform.NONE) {
            throw new IllegalArgumentException("feature '" + name + "': transform " + transform.wireName()
                    + " only applies to continuous features");
        }
        if (Boolean.FALSE.equals(context)) {
            context = null;
        }
        if (type == FeatureType.TIME) {
            if (period == null) {
                throw new IllegalArgumentException("time feature '" + name + "' needs a period (hour_of_day or day_of_week)");
            }
            if (context == null) {
                throw new IllegalArgumentException("time feature '" + name + "' must be context (\"context\": true): the time"
                        + " of an event conditions the model, it is not reconstructed");
            }
        } else if (period != null) {
            throw new IllegalArgumentException("feature '" + name + "': a period only applies to time features");
        }
    }

    /**
     * A feature that is not context.
     *
     * @param name      unique name
     * @param path      dotted path into the event
     * @param type      feature type
     * @param transform transform for continuous features
     * @param missing   missing-value policy
     */
    public FeatureDef(final String name, final String path, final FeatureType type, final Transform transform,
                      final MissingPolicy missing) {
        this(name, path, type, transform, missing, null, null, null);
    }

    /**
     * A feature read from the event.
     *
     * @param name      unique name
     * @param path      dotted path into the event
     * @param type      feature type
     * @param transform transform for continuous features
     * @param missing   missing-value policy
     * @param context   whether the feature is context
     * @param period    the time cycle of a {@code time} feature
     */
    public FeatureDef(final String name, final String path, final FeatureType type, final Transform transform,
                      final MissingPolicy missing, final Boolean context, final TimePeriod period) {
        this(name, path, type, transform, missing, context, period, null);
    }

    /** @return whether the feature is derived from its entity's past events rather than read from the event */
    public boolean derivedFromHistory() {
        return history != null;
    }

    /** @return whether the feature is context */
    public boolean contextual() {
        return context != null && context;
    }

    /**
     * @param newPath the path to read
     * @return this feature reading another path
     */
    public FeatureDef withPath(final String newPath) {
        return new FeatureDef(name, newPath, type, transform, missing, context, period, history);
    }
}
