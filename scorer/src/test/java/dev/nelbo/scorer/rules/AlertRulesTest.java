package dev.nelbo.scorer.rules;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What each kind of rule decides for an alert, and the rules it refuses. */
class AlertRulesTest {

    private static final long NOW = 1_796_000_000_000L;
    private static final String LATER = Instant.ofEpochMilli(NOW + 60_000).toString();
    private static final Function<String, Optional<String>> REGION_EU = f -> "region".equals(f) ? Optional.of("eu")
            : Optional.empty();

    private static JsonNode alert(final String key, final String feature, final Object observed, final Object expected) {
        return ScorerFixtures.parse(("{\"event_id\":\"e-1\",\"key\":\"" + key + "\",\"model_version\":\"v\",\"score\":90,"
                + "\"threshold\":60,\"top_features\":[{\"feature\":\"" + feature + "\",\"contribution\":40,\"observed\":"
                + observed + ",\"expected\":" + expected + "}]}").getBytes(StandardCharsets.UTF_8));
    }

    private static AlertRule direction(final String id, final String feature, final String direction, final Double minAbs,
                                       final Double minRel) {
        return new AlertRule(id, AlertRule.DIRECTION, feature, direction, minAbs, minRel, null, null, null, null, null);
    }

    private static AlertRule mute(final String id, final String key, final String feature, final String context,
                                  final String expires) {
        return new AlertRule(id, AlertRule.MUTE, feature, null, null, null, key, context == null ? null : "region",
                context, expires, "maintenance");
    }

    private static AlertRules.Decision decide(final AlertRules rules, final JsonNode alert) {
        return rules.decide(alert, REGION_EU, NOW);
    }

    @Test
    void a_direction_rule_keeps_deviations_in_its_direction_and_size_and_names_itself() {
        final AlertRules above = AlertRules.of(List.of(direction("lat-up", "latency_ms", "above", 50.0, 0.5)));
        assertEquals(new AlertRules.Decision(true, "lat-up"), decide(above, alert("h", "latency_ms", 900, 100)));
        assertEquals(new AlertRules.Decision(false, "lat-up"), decide(above, alert("h", "latency_ms", 10, 100)),
                "lower than expected: not an incident");
        assertEquals(new AlertRules.Decision(false, "lat-up"), decide(above, alert("h", "latency_ms", 140, 100)),
                "above by 40 and 40%: under both minimums");
        assertEquals(new AlertRules.Decision(false, "lat-up"), decide(above, alert("h", "latency_ms", 1100, 1000)),
                "above by 100 but 10%: under the relative minimum");
        assertEquals(AlertRules.Decision.NO_RULE, decide(above, alert("h", "bytes", 10, 100)), "another leading feature");
        assertEquals(AlertRules.Decision.NO_RULE, decide(above, alert("h", "latency_ms", "\"slow\"", "\"fast\"")),
                "a category has no direction");
        final AlertRules below = AlertRules.of(List.of(direction("lat-down", "latency_ms", "below", null, null)));
        assertEquals(new AlertRules.Decision(true, "lat-down"), decide(below, alert("h", "latency_ms", 10, 100)));
        assertEquals(new AlertRules.Decision(false, "lat-down"), decide(below, alert("h", "latency_ms", 900, 100)));
        final AlertRules both = AlertRules.of(List.of(direction("lat", "latency_ms", "both", 0.0, 0.0)));
        assertTrue(decide(both, alert("h", "latency_ms", 10, 100)).send() && decide(both, alert("h", "latency_ms", 900, 100))
                .send());
    }

    @Test
    void a_mute_drops_its_key_feature_or_context_until_it_expires() {
        assertEquals(new AlertRules.Decision(false, "m"), decide(AlertRules.of(List.of(mute("m", "host-3", null, null, LATER))),
                alert("host-3", "cpu", 1, 0)));
        assertEquals(AlertRules.Decision.NO_RULE, decide(AlertRules.of(List.of(mute("m", "host-3", null, null, LATER))),
                alert("host-4", "cpu", 1, 0)));
        assertEquals(new AlertRules.Decision(false, "m"), decide(AlertRules.of(List.of(mute("m", null, "cpu", null, LATER))),
                alert("host-4", "cpu", 1, 0)));
        assertEquals(new AlertRules.Decision(false, "m"), decide(AlertRules.of(List.of(mute("m", null, null, "eu", LATER))),
                alert("host-4", "cpu", 1, 0)), "the event's region is eu");
        assertEquals(AlertRules.Decision.NO_RULE, decide(AlertRules.of(List.of(mute("m", null, null, "us", LATER))),
                alert("host-4", "cpu", 1, 0)));
        assertEquals(AlertRules.Decision.NO_RULE, decide(AlertRules.of(List.of(mute("m", "host-3", "mem", null, LATER))),
                alert("host-3", "cpu", 1, 0)), "every condition of a mute must hold");
        final AlertRules expired = AlertRules.of(List.of(mute("m", "host-3", null, null, Instant.ofEpochMilli(NOW).toString())));
        assertEquals(AlertRules.Decision.NO_RULE, decide(expired, alert("host-3", "cpu", 1, 0)), "expired at NOW");
        assertEquals(new AlertRules.Decision(false, "a-mute"), decide(AlertRules.of(List.of(
                direction("z-up", "cpu", "above", null, null), mute("a-mute", "host-3", null, null, LATER))),
                alert("host-3", "cpu", 1, 0)), "a mute wins over a direction rule");
    }

    @Test
    void a_rules_topic_record_replaces_or_removes_the_rule_its_key_names_and_others_are_refused() {
        final Map<String, AlertRule> table = new java.util.TreeMap<>();
        final AlertRule rule = mute("maint-1", "host-3", null, null, LATER);
        assertTrue(AlertRule.apply(table, "maint-1", rule.toJson()));
        assertEquals(Map.of("maint-1", rule), table);
        final IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> AlertRule.apply(table, "maint-2", rule.toJson()));
        assertTrue(other.getMessage().contains("is not its key"), other.getMessage());
        final IllegalArgumentException keyless = assertThrows(IllegalArgumentException.class,
                () -> AlertRule.apply(table, null, rule.toJson()));
        assertTrue(keyless.getMessage().contains("no key"), keyless.getMessage());
        assertEquals(Map.of("maint-1", rule), table, "refused records leave the table as it was");
        assertTrue(AlertRule.apply(table, "maint-1", null), "a tombstone removes its rule");
        assertEquals(Map.of(), table);
        assertEquals(false, AlertRule.apply(table, "maint-1", null), "a tombstone of no rule changes nothing");
    }

    @Test
    void rules_round_trip_as_json_and_bad_ones_are_refused_with_what_is_wrong() {
        final AlertRule rule = mute("maint-1", "host-3", null, "eu", LATER);
        assertEquals(rule, AlertRule.parse(rule.toJson()));
        final AlertRule dir = direction("lat", "latency_ms", "ABOVE", null, 0.2);
        assertEquals("above", dir.direction());
        assertEquals(0.0, dir.minAbs());
        assertEquals(dir, AlertRule.parse(dir.toJson()));
        final Map<String, String> bad = Map.of(
                "{\"id\":\"x y\",\"type\":\"mute\",\"key\":\"k\",\"expires_at\":\"" + LATER + "\",\"reason\":\"r\"}", "id",
                "{\"id\":\"x\",\"type\":\"silence\"}", "type",
                "{\"id\":\"x\",\"type\":\"direction\",\"feature\":\"f\",\"direction\":\"up\"}", "direction",
                "{\"id\":\"x\",\"type\":\"direction\",\"feature\":\"f\",\"direction\":\"above\",\"min_rel\":-1}", "min_abs",
                "{\"id\":\"x\",\"type\":\"mute\",\"key\":\"k\",\"reason\":\"r\"}", "expires",
                "{\"id\":\"x\",\"type\":\"mute\",\"key\":\"k\",\"expires_at\":\"" + LATER + "\"}", "reason",
                "{\"id\":\"x\",\"type\":\"mute\",\"expires_at\":\"" + LATER + "\",\"reason\":\"r\"}", "names a key",
                "{\"id\":\"x\",\"type\":\"mute\",\"key\":\"k\",\"expires_at\":\"tomorrow\",\"reason\":\"r\"}", "ISO-8601",
                "{\"id\":\"x\",\"type\":\"mute\",\"key\":\"k\",\"expires_at\":\"" + LATER + "\",\"reason\":\"r\",\"extra\":1}",
                "extra",
                "not json", "not a rule");
        bad.forEach((json, says) -> {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AlertRule.parse(json.getBytes(StandardCharsets.UTF_8)), json);
            assertTrue(e.getMessage().contains(says), json + " -> " + e.getMessage());
        });
    }
}
