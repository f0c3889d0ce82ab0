package dev.nelbo.deploy.watch;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Precision and recall of the scorer's anomaly flags against planted ground truth, per event and, for anomalies that
 * span events (a level shift), per episode: whether any of its events was flagged, and how many of its events passed
 * before the first one was (the detection delay).
 *
 * @param truePositives flagged and planted
 * @param falsePositives flagged, not planted
 * @param falseNegatives planted, not flagged
 * @param trueNegatives neither
 * @param unlabelled scored events without a label (not counted above)
 * @param recallByKind planted kind to {found, planted}
 * @param episodesByKind planted kind to the delay of each of its episodes (events before the first flagged one; -1:
 *                       never flagged)
 */
public record Evaluation(long truePositives, long falsePositives, long falseNegatives, long trueNegatives,
                         long unlabelled, Map<String, long[]> recallByKind, Map<String, List<Integer>> episodesByKind) {

    /**
     * @param flagged  event id to the scorer's flag (the event's own, or its entity's anomalous state)
     * @param labels   event id to planted kind (empty for a normal event)
     * @param episodes event id to the episode it belongs to, for anomalies that span events
     * @return the confusion counts
     */
    public static Evaluation of(final Map<String, Boolean> flagged, final Map<String, Optional<String>> labels,
                                final Map<String, String> episodes) {
        long tp = 0;
        long fp = 0;
        long fn = 0;
        long tn = 0;
        long unlabelled = 0;
        final Map<String, long[]> byKind = new TreeMap<>();
        for (final Map.Entry<String, Boolean> e : flagged.entrySet()) {
            final Optional<String> kind = labels.get(e.getKey());
            if (kind == null) {
                unlabelled++;
                continue;
            }
            final boolean planted = kind.isPresent();
            final boolean alert = e.getValue();
            if (planted) {
                final long[] counts = byKind.computeIfAbsent(kind.get(), k -> new long[2]);
                counts[1]++;
                if (alert) {
                    counts[0]++;
                    tp++;
                } else {
                    fn++;
                }
            } else if (alert) {
                fp++;
            } else {
                tn++;
            }
        }
        return new Evaluation(tp, fp, fn, tn, unlabelled, byKind, episodes(flagged, labels, episodes));
    }

    /** Each episode's events in id order (the generator numbers events as it sends them), and its first flagged one. */
    private static Map<String, List<Integer>> episodes(final Map<String, Boolean> flagged,
                                                       final Map<String, Optional<String>> labels,
                                                       final Map<String, String> episodes) {
        final Map<String, TreeMap<String, Boolean>> events = new TreeMap<>();
        final Map<String, String> kinds = new TreeMap<>();
        episodes.forEach((id, episode) -> {
            final Boolean flag = flagged.get(id);
            final Optional<String> kind = labels.get(id);
            if (flag != null && kind != null && kind.isPresent()) {
                events.computeIfAbsent(episode, k -> new TreeMap<>()).put(id, flag);
                kinds.put(episode, kind.get());
            }
        });
        final Map<String, List<Integer>> byKind = new TreeMap<>();
        events.forEach((episode, flags) -> {
            int delay = -1;
            int i = 0;
            for (final boolean flag : flags.values()) {
                if (flag) {
                    delay = i;
                    break;
                }
                i++;
            }
            byKind.computeIfAbsent(kinds.get(episode), k -> new ArrayList<>()).add(delay);
        });
        return byKind;
    }

    /** @return TP / (TP + FP), NaN without any flag */
    public double precision() {
        return truePositives + falsePositives == 0 ? Double.NaN : (double) truePositives / (truePositives + falsePositives);
    }

    /** @return TP / (TP + FN), NaN without any planted anomaly */
    public double recall() {
        return truePositives + falseNegatives == 0 ? Double.NaN : (double) truePositives / (truePositives + falseNegatives);
    }

    /**
     * Prints the planted, flagged, precision, recall, per-kind and per-episode lines.
     *
     * @param out where to print
     */
    public void print(final PrintWriter out) {
        out.printf("planted anomalies %,d, flagged %,d: true positives %,d, false positives %,d, missed %,d%n",
                truePositives + falseNegatives, truePositives + falsePositives, truePositives, falsePositives,
                falseNegatives);
        out.printf("precision %.3f   recall %.3f%n", precision(), recall());
        final StringBuilder kinds = new StringBuilder("recall by kind:");
        recallByKind.forEach((kind, counts) -> kinds.append(String.format("  %s %d/%d", kind, counts[0], counts[1])));
        out.println(kinds);
        episodesByKind.forEach((kind, delays) -> {
            final List<Integer> found = delays.stream().filter(d -> d >= 0).sorted().toList();
            out.printf("episodes: %s %d/%d detected%s%n", kind, found.size(), delays.size(), found.isEmpty() ? ""
                    : String.format(", median delay %s events (first flagged event of each episode, 0: its first)",
                    median(found)));
        });
        if (unlabelled > 0) {
            out.printf("(%,d scored events had no label and are not counted)%n", unlabelled);
        }
        out.flush();
    }

    private static String median(final List<Integer> sorted) {
        final int n = sorted.size();
        final double m = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
        return m == Math.rint(m) ? Long.toString((long) m) : Double.toString(m);
    }
}
