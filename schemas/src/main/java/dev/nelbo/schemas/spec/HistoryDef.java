package dev.nelbo.schemas.spec;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.Objects;

/**
 * How a history feature is derived from its entity's past events (the events with the same value at the spec's
 * {@code key_path}, in event order). History features are context: the model scores an event given its entity's
 * own recent behaviour.
 *
 * @param of       the continuous feature the statistic summarises (null for {@code events} and {@code since_previous})
 * @param stat     the statistic
 * @param halfLife for the weighted statistics, the number of events after which an event's weight halves
 *                 (null: {@link #DEFAULT_HALF_LIFE})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HistoryDef(String of, HistoryStat stat, Integer halfLife) {

    /** Half-life in events when the spec does not say. */
    public static final int DEFAULT_HALF_LIFE = 10;
    /** Longest half-life: beyond it the weight of the newest event underflows what a double resolves. */
    public static final int MAX_HALF_LIFE = 1_000_000;

    /** @throws IllegalArgumentException for a missing statistic or source, or a bad half-life */
    public HistoryDef {
        Objects.requireNonNull(stat, "history: stat is required (ewm_mean, ewm_std, previous, since_previous, events)");
        if (stat.readsSource() && (of == null || of.isBlank())) {
            throw new IllegalArgumentException("history " + stat.wireName() + " needs \"of\": the continuous feature it summarises");
        }
        if (!stat.readsSource() && of != null) {
            throw new IllegalArgumentException("history " + stat.wireName() + " reads no feature: remove \"of\"");
        }
        if (stat.weighted()) {
            halfLife = halfLife == null ? DEFAULT_HALF_LIFE : halfLife;
            if (halfLife < 1 || halfLife > MAX_HALF_LIFE) {
                throw new IllegalArgumentException("history half_life must be between 1 and " + MAX_HALF_LIFE + " events, got " + halfLife);
            }
        } else if (halfLife != null) {
            throw new IllegalArgumentException("history " + stat.wireName() + " has no half_life");
        }
    }

    /** @return the weight of the newest value in the weighted statistics, {@code 1 - 2^(-1/halfLife)} */
    public double alpha() {
        return 1.0 - Math.pow(2.0, -1.0 / halfLife);
    }
}
