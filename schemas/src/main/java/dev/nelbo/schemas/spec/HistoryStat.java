package dev.nelbo.schemas.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.nelbo.schemas.json.WireEnum;

/** What a history feature says about its entity's recent past (see {@link HistoryDef}). */
public enum HistoryStat {
    /** Exponentially weighted mean of the source feature over the key's past events. */
    EWM_MEAN,
    /** Exponentially weighted standard deviation of the source feature (needs two past values). */
    EWM_STD,
    /** The source feature's value in the key's previous event that had one. */
    PREVIOUS,
    /** Seconds since the key's previous event, by event time (0 when events arrive out of order). */
    SINCE_PREVIOUS,
    /**
     * {@code log(1 + n)} for the key's n past events: never missing, so the model can tell an entity without
     * history (n = 0, the other history features imputed) from one whose history is average.
     */
    EVENTS;

    /** @return whether this statistic reads a source feature ({@code of}) */
    public boolean readsSource() {
        return this == EWM_MEAN || this == EWM_STD || this == PREVIOUS;
    }

    /** @return whether this statistic has a half-life */
    public boolean weighted() {
        return this == EWM_MEAN || this == EWM_STD;
    }

    /** @return wire name */
    @JsonValue
    public String wireName() {
        return WireEnum.wireName(this);
    }

    /** @return the constant for a wire name */
    @JsonCreator
    public static HistoryStat fromWire(final String text) {
        return WireEnum.parse(HistoryStat.class, text, "history statistic");
    }
}
