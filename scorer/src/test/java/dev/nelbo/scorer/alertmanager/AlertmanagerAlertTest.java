package dev.nelbo.scorer.alertmanager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each kind of nelbo alert as an Alertmanager alert: labels to route on, identity, times, and hostile values. */
class AlertmanagerAlertTest {

    private static final long NOW = 1_796_000_000_000L;
    private static final long RESOLVE = 300_000L;

    private static ObjectNode contractAlert(final String json) {
        final ObjectNode alert = (ObjectNode) ScorerFixtures.parse(json.getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of(), Schemas.validate(SchemaDocument.ALERT, alert), "a contract alert: " + json);
        return alert;
    }

    private static ObjectNode eventAlert(final long eventTime) {
        return contractAlert("""
                {"event_id":"e-17","key":"host-3","event_time":%d,"model_version":"20261207T000000Z-ab12cd34",
                 "score":91.5,"threshold":60.25,"tail_probability":0.0001,"kind":"event",
                 "top_features":[{"feature":"latency_ms","contribution":40.5,"observed":930.0,"expected":41.5},
                                 {"feature":"status","contribution":3.0,"observed":"500","expected":"200"}],
                 "suppressed_since_last":0,"suppression_window_ms":60000}""".formatted(eventTime));
    }

    private static JsonNode translate(final JsonNode alert) {
        return AlertmanagerAlert.of(ScorerFixtures.bytes(alert), Map.of("env", "prod"), RESOLVE, NOW);
    }

    @Test
    void an_event_alert_carries_labels_to_route_on_its_identity_and_what_a_person_reads() {
        final JsonNode am = translate(eventAlert(NOW - 5_000));
        final JsonNode labels = am.get("labels");
        assertEquals(Map.of("alertname", "NelboAnomaly", "kind", "event", "key", "host-3", "model_version",
                "20261207T000000Z-ab12cd34", "top_feature", "latency_ms", "event_id", "e-17", "env", "prod"),
                Json.DOCUMENTS.convertValue(labels, Map.class));
        final JsonNode annotations = am.get("annotations");
        assertEquals("anomalous event e-17 of host-3: score 91.5 over 60.25", annotations.get("summary").asText());
        assertEquals("latency_ms observed 930.0, expected 41.5 (contribution 40.5); status observed 500, expected 200"
                + " (contribution 3.0)", annotations.get("top_features").asText());
        assertEquals(Instant.ofEpochMilli(NOW - 5_000).toString(), am.get("startsAt").asText());
        assertEquals(Instant.ofEpochMilli(NOW + RESOLVE).toString(), am.get("endsAt").asText(),
                "resolves a period after it is sent, not after the event: an alert read late still fires");
    }

    @Test
    void a_forged_future_event_time_does_not_start_an_alert_in_the_future() {
        final JsonNode am = translate(eventAlert(NOW + 86_400_000L));
        assertEquals(Instant.ofEpochMilli(NOW).toString(), am.get("startsAt").asText());
        assertEquals(Instant.ofEpochMilli(NOW + RESOLVE).toString(), am.get("endsAt").asText());
    }

    @Test
    void the_same_alert_sent_twice_has_the_same_labels_whatever_the_clock() {
        final byte[] alert = ScorerFixtures.bytes(eventAlert(NOW - 5_000));
        assertEquals(AlertmanagerAlert.of(alert, Map.of(), RESOLVE, NOW).get("labels"),
                AlertmanagerAlert.of(alert, Map.of(), RESOLVE, NOW + 3_600_000).get("labels"),
                "Alertmanager identifies an alert by its labels: a resend must not be a new alert");
    }

    @Test
    void an_entity_alert_says_over_how_many_events_and_since_which() {
        final JsonNode am = translate(contractAlert("""
                {"event_id":"e-90","key":"host-4","event_time":%d,"model_version":"v1","score":20.0,"threshold":60.0,
                 "tail_probability":0.2,"kind":"entity","top_features":[{"feature":"cpu","contribution":12.0,
                 "observed":0.9,"expected":0.4}],"suppressed_since_last":0,"suppression_window_ms":0,
                 "entity_evidence":14.5,"entity_threshold":12.0,"onset_event_id":"e-71","onset_time":%d,
                 "entity_events":19}""".formatted(NOW - 1000, NOW - 60_000)));
        assertEquals("entity", am.at("/labels/kind").asText());
        assertEquals("e-90", am.at("/labels/event_id").asText());
        assertEquals("cpu", am.at("/labels/top_feature").asText());
        assertEquals("entity host-4 anomalous over 19 events since e-71: evidence 14.5 over 12.0",
                am.at("/annotations/summary").asText());
    }

    @Test
    void a_silence_alert_is_identified_by_its_key_and_last_seen_and_starts_when_the_key_became_overdue() {
        final long lastSeen = NOW - 120_000;
        final JsonNode am = translate(contractAlert("""
                {"key":"host-9","model_version":"v1","kind":"silence","last_seen":%d,"usual_interval_ms":1000.0,
                 "overdue_at":%d,"detected_at":%d}""".formatted(lastSeen, lastSeen + 12_000, lastSeen + 13_000)));
        assertEquals(Map.of("alertname", "NelboAnomaly", "kind", "silence", "key", "host-9", "model_version", "v1",
                "last_seen", Long.toString(lastSeen), "env", "prod"), Json.DOCUMENTS.convertValue(am.get("labels"), Map.class));
        assertEquals(Instant.ofEpochMilli(lastSeen + 12_000).toString(), am.get("startsAt").asText());
        assertTrue(am.at("/annotations/summary").asText().startsWith("host-9 silent since "), am.toString());
    }

    @Test
    void records_that_are_not_alerts_are_refused_with_a_reason_that_quotes_nothing_of_them() {
        for (final String junk : List.of("secret-token-123", "[1]", "{\"kind\":\"event\",\"event_id\":\"e\"}",
                "{\"model_version\":\"v\",\"kind\":\"meteor\"}", "{\"model_version\":\"v\"}",
                "{\"model_version\":\"v\",\"kind\":\"silence\",\"key\":\"k\"}", "")) {
            final AlertmanagerAlert.UnreadableAlert e = assertThrows(AlertmanagerAlert.UnreadableAlert.class,
                    () -> AlertmanagerAlert.of(junk.getBytes(StandardCharsets.UTF_8), Map.of(), RESOLVE, NOW), junk);
            assertFalse(e.getMessage().contains("secret"), e.getMessage());
        }
        assertThrows(AlertmanagerAlert.UnreadableAlert.class, () -> AlertmanagerAlert.of(null, Map.of(), RESOLVE, NOW));
    }

    @Test
    void long_keys_and_lone_surrogates_become_label_values_alertmanager_accepts() {
        final Random rnd = new Random(5);
        for (int n = 0; n < 500; n++) {
            final StringBuilder key = new StringBuilder();
            final int length = rnd.nextInt(2000);
            for (int i = 0; i < length; i++) {
                key.append((char) (rnd.nextInt(4) == 0 ? 0xD800 + rnd.nextInt(0x800) : 0x20 + rnd.nextInt(0x3000)));
            }
            final String cut = AlertmanagerAlert.cut(key.toString(), AlertmanagerAlert.MAX_LABEL);
            assertTrue(cut.length() <= AlertmanagerAlert.MAX_LABEL, "at most the limit");
            final byte[] utf8 = cut.getBytes(StandardCharsets.UTF_8);
            assertEquals(cut, new String(utf8, StandardCharsets.UTF_8), "valid UTF-8, no lone surrogate: " + n);
            if (key.length() <= AlertmanagerAlert.MAX_LABEL && key.chars().noneMatch(c -> Character.isSurrogate((char) c))) {
                assertEquals(key.toString(), cut, "short clean text unchanged");
            }
            if (key.length() > AlertmanagerAlert.MAX_LABEL) {
                assertTrue(cut.endsWith("…"), "a cut value says so");
            }
        }
        assertEquals("a😀b", AlertmanagerAlert.cut("a😀b", 10), "a surrogate pair stays whole");
        assertEquals("a…", AlertmanagerAlert.cut("a😀b", 3), "and is never split");
    }
}
