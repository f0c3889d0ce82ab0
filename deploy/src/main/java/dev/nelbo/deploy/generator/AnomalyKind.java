package dev.nelbo.deploy.generator;

import java.util.Locale;

/** The kinds of anomaly the generator plants; each is labelled in the ground truth. */
public enum AnomalyKind {
    /** One numeric field far outside its usual range (latency, a payload size). */
    EXTREME_VALUE,
    /** Every value is individually plausible but their combination is not (e.g. a cache hit as slow as a miss). */
    BROKEN_CORRELATION,
    /** A category value that normal traffic never uses (an unknown region, a TRACE request, a 1xx status). */
    RARE_CATEGORY,
    /** A traffic level that is normal for some hour of the day but not for the event's hour. */
    CONTEXTUAL,
    /**
     * One host's latency level rises for its next events, to a level other hosts have all the time: abnormal only
     * against the host's own recent past (every shifted event is labelled).
     */
    LEVEL_SHIFT,
    /**
     * One host stops sending for its next {@code SILENCE_EVENTS} events (the load balancer sends them to another
     * instance of its service): no event carries it, so its label rides on the host's last event before the silence.
     */
    SILENCE;

    /** @return the lower-case name used in label files and on the command line */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a label name as written by {@link #label()}.
     *
     * @param label the name, case-insensitive
     * @return the kind
     * @throws IllegalArgumentException for an unknown name
     */
    public static AnomalyKind fromLabel(final String label) {
        for (final AnomalyKind kind : values()) {
            if (kind.label().equalsIgnoreCase(label.trim())) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown anomaly kind '" + label + "' (known: " + java.util.Arrays.stream(values())
                .map(AnomalyKind::label).collect(java.util.stream.Collectors.joining(", ")) + ")");
    }
}
