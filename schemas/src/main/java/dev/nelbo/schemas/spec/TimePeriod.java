package dev.nelbo.schemas.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.nelbo.schemas.json.WireEnum;

import java.time.ZoneId;
import java.time.zone.ZoneRules;

/**
 * The cycle a {@link FeatureType#TIME} feature places the event time on. Encoded as the sine and cosine of the
 * position in the cycle, so 23:59 sits next to 00:00 and Sunday next to Monday.
 */
public enum TimePeriod {
    /** Position in the local day (00:00 = 0, 12:00 = 0.5). */
    HOUR_OF_DAY,
    /** Position in the local week, Monday 00:00 = 0 (continuous: Tuesday noon = 1.5 / 7). */
    DAY_OF_WEEK;

    private static final long DAY_MS = 86_400_000L;
    /** 1970-01-01 was a Thursday: days since the epoch plus 3, modulo 7, is 0 on Mondays. */
    private static final long EPOCH_WEEKDAY = 3;

    /**
     * @param epochMillis an instant
     * @param zone        the time zone whose local clock counts
     * @return the position of the instant in this cycle, in [0, 1)
     */
    public double fraction(final long epochMillis, final ZoneRules zone) {
        final long local = epochMillis + zone.getOffset(java.time.Instant.ofEpochMilli(epochMillis)).getTotalSeconds() * 1000L;
        final long day = Math.floorDiv(local, DAY_MS);
        final double inDay = (double) Math.floorMod(local, DAY_MS) / DAY_MS;
        return switch (this) {
            case HOUR_OF_DAY -> inDay;
            case DAY_OF_WEEK -> (Math.floorMod(day + EPOCH_WEEKDAY, 7) + inDay) / 7.0;
        };
    }

    /**
     * @param zone a zone id such as {@code UTC} or {@code Europe/Berlin}
     * @return its rules
     * @throws IllegalArgumentException for an unknown zone
     */
    public static ZoneRules rules(final String zone) {
        try {
            return ZoneId.of(zone).getRules();
        } catch (final java.time.DateTimeException e) {
            throw new IllegalArgumentException("time_zone '" + zone + "' is not a time zone id (e.g. UTC, Europe/Berlin): "
                    + e.getMessage(), e);
        }
    }

    /** @return wire name */
    @JsonValue
    public String wireName() {
        return WireEnum.wireName(this);
    }

    /** @return the constant for a wire name */
    @JsonCreator
    public static TimePeriod fromWire(final String text) {
        return WireEnum.parse(TimePeriod.class, text, "time period");
    }
}
