package dev.nelbo.contract.output;

import java.util.Locale;

/** What an alert is about: the {@code kind} field of {@code alert.schema.json} (absent in alerts written before it: event). */
public enum AlertKind {
    /** One event over its threshold. */
    EVENT,
    /** An entity whose recent events, together, are more surprising than normal behaviour allows (the entity test). */
    ENTITY,
    /** An entity that stopped sending for much longer than its own usual interval (the silence test). */
    SILENCE;

    /** @return the value in the JSON */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
