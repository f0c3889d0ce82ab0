package dev.nelbo.deploy.generator;

/**
 * A generated event with its ground truth.
 *
 * @param event the event as it goes on the wire
 * @param label whether (and how) it is anomalous
 */
public record LabelledEvent(TelemetryEvent event, Label label) {
}
