package dev.nelbo.scorer.rules;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.contract.output.OutputField;
import dev.nelbo.schemas.json.Json;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The alert rules in force: an immutable set, in id order, that decides whether an alert is sent and which rule
 * decided. Mutes are looked at first (any active one that matches drops the alert), then the direction rule of the
 * alert's leading feature, if there is one.
 */
public final class AlertRules {

    /** No rules: every alert is sent. */
    public static final AlertRules NONE = new AlertRules(Map.of());

    private final Map<String, AlertRule> byId;

    private AlertRules(final Map<String, AlertRule> byId) {
        this.byId = byId;
    }

    /**
     * @param rules rules
     * @return them as a set, in id order
     */
    public static AlertRules of(final Collection<AlertRule> rules) {
        final Map<String, AlertRule> m = new TreeMap<>();
        rules.forEach(r -> m.put(r.id(), r));
        return new AlertRules(java.util.Collections.unmodifiableMap(m));
    }

    /** @return the rules, in id order */
    public List<AlertRule> rules() {
        return List.copyOf(byId.values());
    }

    /** @return whether there are none */
    public boolean isEmpty() {
        return byId.isEmpty();
    }

    /**
     * What the rules decided for one alert.
     *
     * @param send whether the alert is sent
     * @param rule the rule that decided (dropped it, or kept it for its direction), or null when none applied
     */
    public record Decision(boolean send, String rule) {
        /** No rule applied: sent. */
        public static final Decision NO_RULE = new Decision(true, null);
    }

    /**
     * @param alert   an alert's JSON ({@code alert.schema.json}), as the scorer writes it
     * @param context the event's value of a field, by name
     * @param nowMs   the clock for expiry
     * @return the decision
     */
    public Decision decide(final byte[] alert, final Function<String, Optional<String>> context, final long nowMs) {
        if (byId.isEmpty()) {
            return Decision.NO_RULE;
        }
        try {
            return decide(Json.DOCUMENTS.readTree(alert), context, nowMs);
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException("an alert the scorer wrote does not parse", e);
        }
    }

    /**
     * @param alert   an alert ({@code alert.schema.json})
     * @param context the event's value of a field, by name (empty when unknown: a context mute then does not match)
     * @param nowMs   the clock for expiry
     * @return the decision
     */
    public Decision decide(final JsonNode alert, final Function<String, Optional<String>> context, final long nowMs) {
        if (byId.isEmpty()) {
            return Decision.NO_RULE;
        }
        final String key = text(alert.get(OutputField.KEY.wireName()));
        final JsonNode leading = alert.path(OutputField.TOP_FEATURES.wireName()).path(0);
        final String feature = text(leading.get(OutputField.FEATURE.wireName()));
        for (final AlertRule r : byId.values()) {
            if (AlertRule.MUTE.equals(r.type()) && r.activeAt(nowMs)
                    && (r.key() == null || r.key().equals(key))
                    && (r.feature() == null || r.feature().equals(feature))
                    && (r.contextFeature() == null || context.apply(r.contextFeature()).filter(r.contextValue()::equals)
                    .isPresent())) {
                return new Decision(false, r.id());
            }
        }
        if (feature == null) {
            return Decision.NO_RULE;
        }
        for (final AlertRule r : byId.values()) {
            if (AlertRule.DIRECTION.equals(r.type()) && r.activeAt(nowMs) && r.feature().equals(feature)) {
                final JsonNode observed = leading.get(OutputField.OBSERVED.wireName());
                final JsonNode expected = leading.get(OutputField.EXPECTED.wireName());
                if (observed == null || !observed.isNumber() || expected == null || !expected.isNumber()) {
                    // a category or a flag has no direction: the rule does not apply
                    return Decision.NO_RULE;
                }
                final double deviation = observed.asDouble() - expected.asDouble();
                final boolean direction = switch (r.direction()) {
                    case "above" -> deviation > 0;
                    case "below" -> deviation < 0;
                    default -> deviation != 0;
                };
                final boolean large = Math.abs(deviation) >= r.minAbs()
                        && Math.abs(deviation) >= r.minRel() * Math.abs(expected.asDouble());
                return new Decision(direction && large, r.id());
            }
        }
        return Decision.NO_RULE;
    }

    /**
     * @param alert an alert read back from the alerts topic
     * @return its context values by feature name (what a context mute can match in it: the categorical and binary
     * context features, which it carries; other features of the event it does not)
     */
    public static Function<String, Optional<String>> contextOf(final JsonNode alert) {
        final JsonNode context = alert.path(OutputField.CONTEXT.wireName());
        return name -> Optional.ofNullable(text(context.get(name)));
    }

    private static String text(final JsonNode n) {
        return n == null || !n.isTextual() ? null : n.asText();
    }
}
