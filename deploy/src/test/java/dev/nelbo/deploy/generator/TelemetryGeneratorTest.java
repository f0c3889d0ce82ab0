package dev.nelbo.deploy.generator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

class TelemetryGeneratorTest {

    private static final Instant START = Instant.parse("2026-01-05T00:00:00Z");

    /** Events evenly spread over {@code days} simulated days. */
    private static List<LabelledEvent> generate(final long seed, final double rate, final Set<AnomalyKind> kinds,
                                                final int count, final int days) {
        final TelemetryGenerator generator = new TelemetryGenerator(seed, rate, kinds);
        final long step = Duration.ofDays(days).toMillis() / count;
        final List<LabelledEvent> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            events.add(generator.next(START.plusMillis(i * step)));
        }
        return events;
    }

    private static List<TelemetryEvent> normal(final int count) {
        return generate(1, 0, Set.of(), count, 2).stream().map(LabelledEvent::event).toList();
    }

    private static double median(final List<TelemetryEvent> events, final Predicate<TelemetryEvent> filter,
                                 final ToDoubleFunction<TelemetryEvent> value) {
        final double[] values = events.stream().filter(filter).mapToDouble(value).sorted().toArray();
        assertTrue(values.length > 20, "too few events match the filter to take a median: " + values.length);
        return values[values.length / 2];
    }

    @Test
    void same_seed_gives_identical_events_and_labels_and_another_seed_does_not() {
        final List<String> a = generate(99, 0.05, EnumSet.allOf(AnomalyKind.class), 2000, 1).stream()
                .map(e -> EventJson.event(e, Optional.empty()) + EventJson.label(e.label())).toList();
        final List<String> b = generate(99, 0.05, EnumSet.allOf(AnomalyKind.class), 2000, 1).stream()
                .map(e -> EventJson.event(e, Optional.empty()) + EventJson.label(e.label())).toList();
        final List<String> c = generate(100, 0.05, EnumSet.allOf(AnomalyKind.class), 2000, 1).stream()
                .map(e -> EventJson.event(e, Optional.empty()) + EventJson.label(e.label())).toList();
        assertEquals(a, b);
        assertNotEquals(a, c);
        assertEquals(2000, a.stream().distinct().count(), "event ids must be unique");
    }

    @Test
    void plants_the_requested_rate_of_every_enabled_kind_and_labels_each_event() {
        final List<LabelledEvent> events = generate(7, 0.02, EnumSet.allOf(AnomalyKind.class), 40_000, 3);
        final Map<AnomalyKind, Integer> counts = new EnumMap<>(AnomalyKind.class);
        for (final LabelledEvent e : events) {
            assertEquals(e.event().eventId(), e.label().eventId());
            e.label().kind().ifPresent(k -> counts.merge(k, 1, Integer::sum));
            assertEquals(e.label().anomaly(), !e.label().detail().isEmpty());
        }
        // a level shift spans SHIFT_EVENTS events of one host, one shift at a time: count the single-event kinds alone
        final int planted = counts.entrySet().stream().filter(k -> k.getKey() != AnomalyKind.LEVEL_SHIFT)
                .mapToInt(Map.Entry::getValue).sum();
        assertTrue(planted > 500 && planted < 780, "expected about 640 single-event anomalies at 4/5 of 2%, got " + planted);

        for (final AnomalyKind kind : EnumSet.complementOf(EnumSet.of(AnomalyKind.SILENCE))) {
            assertTrue(counts.getOrDefault(kind, 0) > 120, kind + " planted only " + counts.get(kind) + " times");
        }
        // a silence is no event's kind: it rides on the silent host's last event, one silence at a time
        final long silences = events.stream().filter(e -> e.label().silence() != null).count();
        assertTrue(silences > 5, "silences planted: " + silences);
        assertTrue(events.stream().filter(e -> e.label().silence() != null).noneMatch(e -> e.label().anomaly()));
        final List<LabelledEvent> onlyContextual = generate(7, 0.02, EnumSet.of(AnomalyKind.CONTEXTUAL), 5_000, 1);
        assertTrue(onlyContextual.stream().allMatch(e -> e.label().kind().map(AnomalyKind.CONTEXTUAL::equals).orElse(true)));
        assertTrue(generate(7, 0, Set.of(), 5_000, 1).stream().noneMatch(e -> e.label().anomaly()));
    }

    @Test
    void normal_traffic_has_the_documented_correlations_and_daily_cycle() {
        final List<TelemetryEvent> events = normal(60_000);
        final Predicate<TelemetryEvent> uncachedGet2xx = e -> "GET".equals(e.method()) && !e.cacheHit() && "2xx".equals(e.statusClass());
        final Predicate<TelemetryEvent> cachedGet = e -> "GET".equals(e.method()) && e.cacheHit();
        assertTrue(median(events, cachedGet, TelemetryEvent::latencyMs)
                < 0.3 * median(events, uncachedGet2xx, TelemetryEvent::latencyMs), "cache hits must be much faster");

        final double retried5xx = events.stream().filter(e -> "5xx".equals(e.statusClass())).mapToDouble(e -> e.retried() ? 1 : 0).average().orElseThrow();
        final double retried2xx = events.stream().filter(e -> "2xx".equals(e.statusClass())).mapToDouble(e -> e.retried() ? 1 : 0).average().orElseThrow();
        assertTrue(retried5xx > 0.4 && retried2xx < 0.05, "retries: 5xx " + retried5xx + ", 2xx " + retried2xx);

        final Predicate<TelemetryEvent> peak = e -> e.hourOfDay() >= 14 && e.hourOfDay() < 18;
        final Predicate<TelemetryEvent> night = e -> e.hourOfDay() >= 2 && e.hourOfDay() < 6;
        final Predicate<TelemetryEvent> search = e -> "search".equals(e.service());
        assertTrue(median(events, search.and(peak), TelemetryEvent::serviceRps)
                > 5 * median(events, search.and(night), TelemetryEvent::serviceRps), "daily cycle in service_rps");
        assertTrue(median(events, search.and(peak).and(uncachedGet2xx), TelemetryEvent::latencyMs)
                > 1.5 * median(events, search.and(night).and(uncachedGet2xx), TelemetryEvent::latencyMs), "latency grows with load");
        final double errorsAtPeak = events.stream().filter(peak).mapToDouble(e -> "5xx".equals(e.statusClass()) ? 1 : 0).average().orElseThrow();
        final double errorsAtNight = events.stream().filter(night).mapToDouble(e -> "5xx".equals(e.statusClass()) ? 1 : 0).average().orElseThrow();
        assertTrue(errorsAtPeak > 3 * errorsAtNight, "server errors rise at peak: " + errorsAtPeak + " vs " + errorsAtNight);

        assertTrue(median(events, e -> "POST".equals(e.method()), TelemetryEvent::requestBytes)
                > 2 * median(events, e -> "GET".equals(e.method()), TelemetryEvent::requestBytes), "write bodies are larger");
        assertTrue(median(events, e -> "4xx".equals(e.statusClass()), TelemetryEvent::responseBytes)
                < 0.2 * median(events, uncachedGet2xx, TelemetryEvent::responseBytes), "errors have small bodies");

        final Predicate<TelemetryEvent> searchUncached = search.and(uncachedGet2xx);
        assertTrue(median(events, searchUncached.and(e -> e.host().equals("search-5")), TelemetryEvent::latencyMs)
                > 2 * median(events, searchUncached.and(e -> e.host().equals("search-0")), TelemetryEvent::latencyMs),
                "each host of a service runs at its own latency level");
        for (final TelemetryEvent e : events) {
            assertFalse(ServiceCatalog.RARE_METHODS.contains(e.method()) || ServiceCatalog.RARE_REGIONS.contains(e.region())
                    || ServiceCatalog.RARE_STATUS_CLASSES.contains(e.statusClass()), "normal traffic used a rare category: " + e);
        }
    }

    @Test
    void each_planted_kind_changes_what_its_label_says() {
        final List<TelemetryEvent> normal = normal(60_000);
        final double maxNormalLatency = normal.stream().mapToDouble(TelemetryEvent::latencyMs).max().orElseThrow();
        final Map<String, Integer> shifts = new java.util.HashMap<>();
        final Map<String, Integer> episodes = new java.util.HashMap<>();
        for (final LabelledEvent e : generate(3, 0.2, EnumSet.allOf(AnomalyKind.class), 20_000, 2)) {
            final TelemetryEvent event = e.event();
            final String detail = e.label().detail();
            if (e.label().kind().isEmpty()) {
                assertNull(e.label().episode());
                continue;
            }
            // only a level shift spans events: its events name their episode (host and first event), the others none
            assertEquals(e.label().kind().get() == AnomalyKind.LEVEL_SHIFT, e.label().episode() != null, e.label().toString());
            if (e.label().episode() != null) {
                assertTrue(e.label().episode().startsWith(event.host() + "@"), e.label().toString());
                episodes.merge(e.label().episode(), 1, Integer::sum);
            }
            switch (e.label().kind().get()) {
                case EXTREME_VALUE -> {
                    final ServiceProfile service = ServiceCatalog.SERVICES.stream().filter(s -> s.name().equals(event.service())).findFirst().orElseThrow();
                    if (detail.startsWith("latency_ms")) {
                        assertTrue(event.latencyMs() >= 40 * service.medianLatencyMs(), detail + ": " + event);
                    } else if (detail.startsWith("response_bytes")) {
                        assertTrue(event.responseBytes() >= 40 * service.medianResponseBytes(), detail + ": " + event);
                    } else {
                        assertTrue(event.requestBytes() >= 40 * service.medianWriteBytes(), detail + ": " + event);
                    }
                }
                case RARE_CATEGORY -> assertTrue(ServiceCatalog.RARE_METHODS.contains(event.method())
                        || ServiceCatalog.RARE_REGIONS.contains(event.region())
                        || ServiceCatalog.RARE_STATUS_CLASSES.contains(event.statusClass()), event.toString());
                case CONTEXTUAL -> {
                    final ServiceProfile service = ServiceCatalog.SERVICES.stream().filter(s -> s.name().equals(event.service())).findFirst().orElseThrow();
                    final double expected = service.peakRps() * DailyCycle.load(event.hourOfDay());
                    final double ratio = event.serviceRps() / expected;
                    assertTrue(ratio > 1.6 || ratio < 1 / 1.6, "rps " + event.serviceRps() + " vs normal " + expected + " at " + event.hourOfDay());
                    // Individually normal: the level occurs at some hour of the day.
                    assertTrue(event.serviceRps() <= service.peakRps() * 1.4 && event.serviceRps() >= service.peakRps() * DailyCycle.TROUGH / 1.4);
                }
                case SILENCE -> throw new AssertionError("a silence is no event's kind: " + e.label());
                case LEVEL_SHIFT -> {
                    assertTrue(event.latencyMs() <= maxNormalLatency, "inside the global range: " + event);
                    assertTrue(detail.startsWith(event.host() + " latency x"), detail);
                    final String host = event.host();
                    shifts.merge(host, 1, Integer::sum);
                }
                case BROKEN_CORRELATION -> {
                    // the other two keep the event's own latency (a 5xx timeout's, possibly): only this one sets it
                    if (detail.startsWith("cache hit")) {
                        assertTrue(event.latencyMs() <= maxNormalLatency, "values stay in the normal range: " + event);
                    }
                    assertTrue(Arrays.asList("cache hit with uncached latency", "GET with a write-sized request body",
                            "fast 5xx with a full response body").contains(detail), detail);
                }
            }
        }
        assertTrue(shifts.values().stream().allMatch(n -> n >= 1) && shifts.size() > 3, "level shifts on several hosts: " + shifts);
        assertTrue(episodes.values().stream().filter(n -> n != TelemetryGenerator.SHIFT_EVENTS).count() <= 1,
                "every episode but one cut off by the end has all its events: " + episodes);
    }

    @Test
    void a_silent_host_sends_nothing_for_its_next_events_which_go_to_another_instance_then_it_resumes() {
        final List<LabelledEvent> events = generate(11, 0.05, EnumSet.of(AnomalyKind.SILENCE), 60_000, 2);
        int checked = 0;
        for (int i = 0; i < events.size(); i++) {
            final Label.Silence silence = events.get(i).label().silence();
            if (silence == null) {
                continue;
            }
            assertEquals(events.get(i).event().host(), silence.host(), "the label rides on the host's last event");
            assertEquals(events.get(i).event().timestamp(), silence.since());
            // the host's share goes to the next instance of its service until SILENCE_EVENTS of its picks have passed
            final String service = events.get(i).event().service();
            final int host = Integer.parseInt(silence.host().substring(service.length() + 1));
            final String next = service + "-" + (host + 1) % 6;
            int silent = 0;
            int nextBefore = 0;
            int j = i + 1;
            for (; j < events.size() && !events.get(j).event().host().equals(silence.host()); j++) {
                nextBefore += events.get(j).event().host().equals(next) ? 1 : 0;
                silent++;
            }
            if (j == events.size()) {
                break;
            }
            // the next instance gets about twice its usual share while its neighbour is silent
            assertTrue(nextBefore > TelemetryGenerator.SILENCE_EVENTS, nextBefore + " events of " + next);
            assertTrue(silent > 5 * TelemetryGenerator.SILENCE_EVENTS, "host silent for " + silent + " events in all");
            checked++;
        }
        assertTrue(checked > 10, "silences checked: " + checked);
    }

    @Test
    void rejects_a_rate_outside_zero_to_one_or_a_rate_without_kinds() {
        assertThrows(IllegalArgumentException.class, () -> new TelemetryGenerator(1, 1.5, EnumSet.allOf(AnomalyKind.class)));
        assertThrows(IllegalArgumentException.class, () -> new TelemetryGenerator(1, 0.1, Set.of()));
    }

    @Test
    void contrasting_hour_is_quiet_for_busy_hours_and_busy_for_quiet_ones() {
        for (double hour = 0; hour < 24; hour += 0.5) {
            final double ratio = DailyCycle.load(DailyCycle.contrastingHour(hour)) / DailyCycle.load(hour);
            assertTrue(ratio >= 2 || ratio <= 0.2, "hour " + hour + " contrast only " + ratio);
        }
    }
}
