package dev.nelbo.schemas.event;

import dev.nelbo.schemas.encoding.EncodingException;

/**
 * The outcome of {@link EventDecoder#decode} for one record, in a holder reused from record to record:
 * either the event's fields (id, key, time, raw feature values) and the features whose values were
 * clamped, or the typed failure.
 */
public final class DecodedEvent {

    private final EventFields fields;
    private final int[] clamped;
    private int clampedCount;
    private long pastEvents = -1;
    private boolean timeBounded;
    private EncodingException failure;

    DecodedEvent(final EventFields fields, final int features) {
        this.fields = fields;
        this.clamped = new int[features];
    }

    void succeeded(final int clamps, final long past, final boolean bounded) {
        this.clampedCount = clamps;
        this.timeBounded = bounded;
        this.pastEvents = past;
        this.failure = null;
    }

    void failed(final EncodingException e) {
        this.clampedCount = 0;
        this.timeBounded = false;
        this.pastEvents = -1;
        this.failure = e;
    }

    int[] clampedBuffer() {
        return clamped;
    }

    /**
     * @return whether a time feature of the record was further from its record timestamp than the decoder's skew and
     *         took the record timestamp instead
     */
    public boolean timeBounded() {
        return timeBounded;
    }

    /** @return whether the record was decoded and encoded */
    public boolean ok() {
        return failure == null;
    }

    /** @return why the record could not be used, or null when {@link #ok()} */
    public EncodingException failure() {
        return failure;
    }

    /** @return the fields read from the event (valid when {@link #ok()}, until the next decode into this holder) */
    public EventFields fields() {
        return fields;
    }

    /** @return how many past events of its entity the record's history features summarised, or -1 without history */
    public long pastEvents() {
        return pastEvents;
    }

    /** @return how many features were clamped into the model's range (extreme values) */
    public int clampedCount() {
        return clampedCount;
    }

    /**
     * @param i index below {@link #clampedCount()}
     * @return the feature index of the {@code i}-th clamped feature
     */
    public int clamped(final int i) {
        if (i < 0 || i >= clampedCount) {
            throw new IndexOutOfBoundsException("clamped feature " + i + " of " + clampedCount);
        }
        return clamped[i];
    }
}
