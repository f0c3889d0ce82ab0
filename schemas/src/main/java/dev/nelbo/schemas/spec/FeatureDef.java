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
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FeatureDef(String name, String path, FeatureType type, Transform transform, MissingPolicy missing) {

    /**
     * Fills defaults (path = name, transform none, missing reject) and checks consistency.
     *
     * @throws IllegalArgumentException for a blank name or a transform on a non-continuous feature
     */
    public FeatureDef {
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
    }
}
