package dev.nelbo.scorer.rules;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.nelbo.schemas.json.Json;

import java.io.IOException;
import java.time.Instant;
import java.util.Locale;

/**
 * One alert rule, as it is stored in the rules topic (JSON, keyed by its id). Rules act on alerting only: a score
 * never changes.
 *
 * <ul>
 *   <li>{@code direction}: for alerts whose leading feature (the first of {@code top_features}) is {@code feature}, the
 *       deviation that matters: {@code above}, {@code below} or {@code both} the expected value, by at least
 *       {@code min_abs} and at least {@code min_rel} times the expected value's magnitude. An alert whose leading
 *       deviation does not qualify is dropped; one that does names the rule.</li>
 *   <li>{@code mute}: drops the alerts of a {@code key}, of a leading {@code feature}, and/or of a context value
 *       ({@code context_feature} = {@code context_value} in the event), until {@code expires_at}, for a
 *       {@code reason} (a maintenance window).</li>
 * </ul>
 *
 * @param id             the rule's name, its key in the rules topic
 * @param type           {@code direction} or {@code mute}
 * @param feature        direction: the feature it is about; mute: the leading feature muted, or null
 * @param direction      direction: {@code above}, {@code below} or {@code both}
 * @param minAbs         direction: smallest absolute deviation that matters (0: any)
 * @param minRel         direction: smallest deviation relative to the expected value that matters (0: any)
 * @param key            mute: the entity key muted, or null
 * @param contextFeature mute: the event field whose value is muted, or null
 * @param contextValue   mute: that value
 * @param expiresAt      when the rule stops acting (an ISO-8601 instant), or null: never (a mute needs one)
 * @param reason         why (required for a mute)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AlertRule(String id, String type, String feature, String direction, Double minAbs, Double minRel, String key,
                        String contextFeature, String contextValue, String expiresAt, String reason) {

    /** Largest rule record (the rules topic's max.message.bytes). */
    public static final int MAX_BYTES = 64 * 1024;
    /** Rule types. */
    public static final String DIRECTION = "direction";
    /** Rule types. */
    public static final String MUTE = "mute";

    /** Validates: a rule that cannot act as written is refused with what is wrong. */
    public AlertRule {
        require(id != null && id.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"), "id: 1-64 letters, digits, '_', '.', '-', got "
                + id);
        require(DIRECTION.equals(type) || MUTE.equals(type), "type: direction or mute, got " + type);
        require(expiresAt == null || instant(expiresAt) != null, "expires_at: an ISO-8601 instant such as"
                + " 2026-12-07T18:00:00Z, got " + expiresAt);
        if (DIRECTION.equals(type)) {
            require(feature != null && !feature.isBlank(), "a direction rule names its feature");
            direction = direction == null ? null : direction.toLowerCase(Locale.ROOT);
            require("above".equals(direction) || "below".equals(direction) || "both".equals(direction),
                    "direction: above, below or both, got " + direction);
            minAbs = minAbs == null ? 0.0 : minAbs;
            minRel = minRel == null ? 0.0 : minRel;
            require(Double.isFinite(minAbs) && minAbs >= 0 && Double.isFinite(minRel) && minRel >= 0,
                    "min_abs and min_rel: finite, at least 0");
            require(key == null && contextFeature == null && contextValue == null, "a direction rule has no key or context");
        } else {
            require(key != null || feature != null || contextFeature != null,
                    "a mute names a key, a feature or a context value (or several)");
            require((contextFeature == null) == (contextValue == null), "context_feature and context_value go together");
            require(expiresAt != null, "a mute expires (expires_at)");
            require(reason != null && !reason.isBlank(), "a mute says why (reason)");
            require(direction == null && minAbs == null && minRel == null, "a mute has no direction or minimum deviation");
        }
    }

    /**
     * @param json a rule's JSON
     * @return the rule
     * @throws IllegalArgumentException when it is not a valid rule
     */
    public static AlertRule parse(final byte[] json) {
        try {
            return Json.DOCUMENTS.readValue(json, AlertRule.class);
        } catch (final IllegalArgumentException e) {
            throw e;
        } catch (final IOException e) {
            final Throwable cause = e.getCause() instanceof IllegalArgumentException iae ? iae : e;
            throw new IllegalArgumentException("not a rule: " + (cause instanceof JsonProcessingException jpe
                    ? jpe.getOriginalMessage() : cause.getMessage()), e);
        }
    }

    /**
     * Applies one record of the rules topic to a table of rules, as the scorers follow it: a tombstone removes its
     * rule, a valid rule whose id is its key replaces the one it names.
     *
     * @param rules the table, by id
     * @param key   the record's key
     * @param value the record's value (null: a tombstone)
     * @return whether the table changed
     * @throws IllegalArgumentException when the record is not a rule (the table is left as it was)
     */
    public static boolean apply(final java.util.Map<String, AlertRule> rules, final String key, final byte[] value) {
        if (key == null) {
            throw new IllegalArgumentException("no key (a rule's key is its id)");
        }
        if (value == null) {
            return rules.remove(key) != null;
        }
        final AlertRule rule = parse(value);
        if (!rule.id().equals(key)) {
            throw new IllegalArgumentException("its id " + rule.id() + " is not its key");
        }
        rules.put(key, rule);
        return true;
    }

    /** @return the rule's JSON */
    public byte[] toJson() {
        try {
            return Json.DOCUMENTS.writeValueAsBytes(this);
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @param nowMs the scorer's clock
     * @return whether the rule acts at that time
     */
    public boolean activeAt(final long nowMs) {
        return expiresAt == null || nowMs < instant(expiresAt).toEpochMilli();
    }

    private static Instant instant(final String text) {
        try {
            return Instant.parse(text);
        } catch (final java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    /** @return one line for {@code rules list} and logs */
    public String describe() {
        final String what = DIRECTION.equals(type)
                ? String.format(Locale.ROOT, "%s: only %s expected, by at least %s and %s%%", feature, direction, minAbs,
                minRel * 100)
                : "mute" + (key != null ? " key=" + key : "") + (feature != null ? " feature=" + feature : "")
                + (contextFeature != null ? " " + contextFeature + "=" + contextValue : "");
        return id + "  " + what + (expiresAt != null ? "  until " + expiresAt : "") + (reason != null ? "  (" + reason + ")" : "");
    }

    private static void require(final boolean ok, final String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
