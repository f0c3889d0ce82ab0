package dev.nelbo.deploy.generator;

import java.time.Instant;
import java.util.Optional;

/**
 * Ground truth for one generated event.
 *
 * @param eventId the event it belongs to
 * @param kind the planted anomaly, empty for a normal event
 * @param detail what was changed, human-readable (empty for a normal event)
 * @param episode the anomaly this event is one event of (a level shift spans events), or null
 * @param silence the silence that begins after this event (the event itself is normal), or null
 */
public record Label(String eventId, Optional<AnomalyKind> kind, String detail, String episode, Silence silence) {

    /**
     * A planted silence.
     *
     * @param host  the host that stops sending
     * @param since its last event's time, the event this label belongs to
     */
    public record Silence(String host, Instant since) {
    }

    /**
     * A label of an event that may be one of an episode.
     *
     * @param eventId the event
     * @param kind    the planted anomaly, empty for a normal event
     * @param detail  what was changed
     * @param episode the episode, or null
     */
    public Label(final String eventId, final Optional<AnomalyKind> kind, final String detail, final String episode) {
        this(eventId, kind, detail, episode, null);
    }

    /**
     * A label of an event that is not part of a longer episode.
     *
     * @param eventId the event
     * @param kind    the planted anomaly, empty for a normal event
     * @param detail  what was changed
     */
    public Label(final String eventId, final Optional<AnomalyKind> kind, final String detail) {
        this(eventId, kind, detail, null);
    }

    /** @return true when an anomaly was planted in the event */
    public boolean anomaly() {
        return kind.isPresent();
    }
}
