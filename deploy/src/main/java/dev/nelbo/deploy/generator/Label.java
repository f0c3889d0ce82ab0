package dev.nelbo.deploy.generator;

import java.util.Optional;

/**
 * Ground truth for one generated event.
 *
 * @param eventId the event it belongs to
 * @param kind the planted anomaly, empty for a normal event
 * @param detail what was changed, human-readable (empty for a normal event)
 */
public record Label(String eventId, Optional<AnomalyKind> kind, String detail) {

    /** @return true when an anomaly was planted in the event */
    public boolean anomaly() {
        return kind.isPresent();
    }
}
