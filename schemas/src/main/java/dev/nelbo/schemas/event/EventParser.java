package dev.nelbo.schemas.event;

/**
 * Reads the fields a feature spec names out of one record value into an {@link EventFields}: the one step that
 * depends on the events' wire format ({@link EventFormat}); everything after it (encoding, history, scoring) is the
 * same for every format. Implementations are immutable and thread-safe; use one {@link EventFields} per thread.
 */
public interface EventParser {

    /** @return a holder sized for this parser */
    EventFields newFields();

    /**
     * Reads one record into {@code into} (every slot is reset first).
     *
     * @param bytes the record value
     * @param into  receives the values at the spec's paths
     * @throws dev.nelbo.schemas.encoding.EncodingException with a typed reason when the bytes are not a readable event
     *                                                      within the limits; nothing else, whatever the bytes
     */
    void read(byte[] bytes, EventFields into);
}
