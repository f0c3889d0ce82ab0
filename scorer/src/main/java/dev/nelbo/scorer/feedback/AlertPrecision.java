package dev.nelbo.scorer.feedback;

import dev.nelbo.schemas.feedback.AlertFeedback;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Alert precision as the operators' labels measure it: per model version, and per model version and context value,
 * the labelled alerts and how many were true positives. Labels are written by anyone with access to the feedback
 * topic, so what becomes a metric label is bounded: the {@link #MAX_VERSIONS} model versions with the most labels, the
 * {@link #MAX_CONTEXTS} context features and {@link #MAX_VALUES} values of each seen most often; the rest are counted
 * under {@link #OTHER}.
 *
 * @param rows one per model version (context null) and per model version and context value, in that order
 */
public record AlertPrecision(List<Row> rows) {

    /** Model versions reported by name. */
    public static final int MAX_VERSIONS = 20;
    /** Context features reported by name. */
    public static final int MAX_CONTEXTS = 8;
    /** Values of one context feature reported by name. */
    public static final int MAX_VALUES = 50;
    /** What the rest are counted under. */
    public static final String OTHER = "_other";

    /**
     * @param modelVersion   the model version
     * @param context        a context feature, or null for all of the version's labelled alerts
     * @param value          its value, or null
     * @param truePositives  labelled true positive
     * @param falsePositives labelled false positive
     */
    public record Row(String modelVersion, String context, String value, long truePositives, long falsePositives) {
        /** @return true positives over labelled alerts */
        public double precision() {
            return (double) truePositives / (truePositives + falsePositives);
        }
    }

    /** Copies the rows. */
    public AlertPrecision {
        rows = List.copyOf(rows);
    }

    /**
     * @param labels the labels in force (one per event id)
     * @return precision by version and by version and context value
     */
    public static AlertPrecision of(final Collection<AlertFeedback> labels) {
        final Set<String> versions = topNames(labels.stream().map(AlertFeedback::modelVersionOrUnknown).toList(), MAX_VERSIONS);
        final Set<String> contexts = topNames(labels.stream().flatMap(l -> l.context().keySet().stream()).toList(), MAX_CONTEXTS);
        final Map<String, Set<String>> values = new HashMap<>();
        for (final String c : contexts) {
            values.put(c, topNames(labels.stream().map(l -> l.context().get(c)).filter(v -> v != null).toList(), MAX_VALUES));
        }
        final Map<List<String>, long[]> counts = new TreeMap<>(Comparator.<List<String>, String>comparing(k -> k.get(0))
                .thenComparing(k -> k.get(1)).thenComparing(k -> k.get(2)));
        for (final AlertFeedback l : labels) {
            final String version = bounded(versions, l.modelVersionOrUnknown());
            final int slot = l.label() == AlertFeedback.Label.TRUE_POSITIVE ? 0 : 1;
            counts.computeIfAbsent(List.of(version, "", ""), k -> new long[2])[slot]++;
            l.context().forEach((name, value) -> {
                if (contexts.contains(name)) {
                    counts.computeIfAbsent(List.of(version, name, bounded(values.get(name), value)), k -> new long[2])[slot]++;
                }
            });
        }
        final List<Row> rows = new ArrayList<>();
        counts.forEach((k, c) -> rows.add(new Row(k.get(0), k.get(1).isEmpty() ? null : k.get(1),
                k.get(2).isEmpty() ? null : k.get(2), c[0], c[1])));
        rows.sort(Comparator.comparing((Row r) -> r.context() != null).thenComparing(Row::modelVersion));
        return new AlertPrecision(rows);
    }

    /** @return the {@code max} names seen most often (ties by name) */
    private static Set<String> topNames(final List<String> seen, final int max) {
        final Map<String, Long> n = seen.stream().collect(Collectors.groupingBy(s -> s, TreeMap::new, Collectors.counting()));
        return n.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(max)
                .map(Map.Entry::getKey).collect(Collectors.toSet());
    }

    private static String bounded(final Set<String> named, final String name) {
        return named.contains(name) ? name : OTHER;
    }
}
