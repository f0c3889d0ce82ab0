package dev.nelbo.schemas.output;

/**
 * A feature whose value was outside what the model can take and was clamped into range for it (an extreme
 * value: the event is an anomaly).
 *
 * @param feature  feature name
 * @param observed the raw value: a number, or the string {@code Infinity} / {@code -Infinity}
 */
public record Clamped(String feature, Object observed) {
}
