package dev.nelbo.schemas.spec;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Objects;

/**
 * How a history feature is derived from its entity's past events (the events with the same value at the spec's
 * {@code key_path}, in event order). History features are context: the model scores an event given its entity's
 * own recent behaviour.
 *
 * <p>The weighted statistics halve an event's weight after {@code halfLife} later events of the entity, or, with
 * {@code halfLifeTime}, after that much event time ({@code timestamp_path}): the second suits entities whose events
 * come irregularly, where "the last ten events" may be a second or a week.
 *
 * @param of           the continuous feature the statistic summarises (null for {@code events} and {@code since_previous})
 * @param stat         the statistic
 * @param halfLife     for the weighted statistics, the number of events after which an event's weight halves
 *                     (null: {@code halfLifeTime}, else {@link #DEFAULT_HALF_LIFE})
 * @param halfLifeTime for the weighted statistics, the event time after which an event's weight halves, as an
 *                     ISO-8601 duration ({@code PT10M}); null: {@code halfLife}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HistoryDef(String of, HistoryStat stat, Integer halfLife, String halfLifeTime) {

    /** Half-life in events when the spec does not say. */
    public static final int DEFAULT_HALF_LIFE = 10;
    /** Longest half-life: beyond it the weight of the newest event underflows what a double resolves. */
    public static final int MAX_HALF_LIFE = 1_000_000;
    /** Longest half-life in time. */
    public static final Duration MAX_HALF_LIFE_TIME = Duration.ofDays(3650);

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
            if (halfLife != null && halfLifeTime != null) {
                throw new IllegalArgumentException("history " + stat.wireName() + " has half_life (events) and half_life_time:"
                        + " give one");
            }
            if (halfLifeTime != null) {
                parseHalfLifeTime(halfLifeTime);
            } else {
                halfLife = halfLife == null ? DEFAULT_HALF_LIFE : halfLife;
                if (halfLife < 1 || halfLife > MAX_HALF_LIFE) {
                    throw new IllegalArgumentException("history half_life must be between 1 and " + MAX_HALF_LIFE
                            + " events, got " + halfLife);
                }
            }
        } else if (halfLife != null || halfLifeTime != null) {
            throw new IllegalArgumentException("history " + stat.wireName() + " has no half_life");
        }
    }

    /**
     * A statistic with a half-life in events (or none).
     *
     * @param of       the continuous feature summarised, or null
     * @param stat     the statistic
     * @param halfLife events after which an event's weight halves, or null
     */
    public HistoryDef(final String of, final HistoryStat stat, final Integer halfLife) {
        this(of, stat, halfLife, null);
    }

    private static Duration parseHalfLifeTime(final String text) {
        final Duration d;
        try {
            d = Duration.parse(text);
        } catch (final DateTimeParseException e) {
            throw new IllegalArgumentException("history half_life_time must be an ISO-8601 duration such as PT10M or P1D,"
                    + " got '" + text + "'");
        }
        if (d.toMillis() < 1 || d.compareTo(MAX_HALF_LIFE_TIME) > 0) {
            throw new IllegalArgumentException("history half_life_time must be between 1 ms and " + MAX_HALF_LIFE_TIME.toDays()
                    + " days, got " + text);
        }
        return d;
    }

    /** @return whether the weights halve with event time ({@link #halfLifeTime}) rather than with events */
    @JsonIgnore
    public boolean timeWeighted() {
        return halfLifeTime != null;
    }

    /** @return the half-life in event time, in milliseconds (only for {@link #timeWeighted}) */
    @JsonIgnore
    public long halfLifeMillis() {
        return parseHalfLifeTime(halfLifeTime).toMillis();
    }

    /** @return the weight of the newest value in the weighted statistics, {@code 1 - 2^(-1/halfLife)} (events only) */
    public double alpha() {
        if (halfLife == null) {
            throw new IllegalStateException("history " + stat.wireName() + " has no half-life in events");
        }
        return 1.0 - Math.pow(2.0, -1.0 / halfLife);
    }
}
