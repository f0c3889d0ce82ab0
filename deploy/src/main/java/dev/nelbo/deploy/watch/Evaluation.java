package dev.nelbo.deploy.watch;

import java.io.PrintWriter;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Precision and recall of the scorer's anomaly flags against planted ground truth.
 *
 * @param truePositives flagged and planted
 * @param falsePositives flagged, not planted
 * @param falseNegatives planted, not flagged
 * @param trueNegatives neither
 * @param unlabelled scored events without a label (not counted above)
 * @param recallByKind planted kind to {found, planted}
 */
public record Evaluation(long truePositives, long falsePositives, long falseNegatives, long trueNegatives,
                         long unlabelled, Map<String, long[]> recallByKind) {

    /**
     * @param flagged event id to the scorer's anomaly flag
     * @param labels event id to planted kind (empty for a normal event)
     * @return the confusion counts
     */
    public static Evaluation of(final Map<String, Boolean> flagged, final Map<String, Optional<String>> labels) {
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
        return new Evaluation(tp, fp, fn, tn, unlabelled, byKind);
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
     * Prints the planted, flagged, precision, recall and per-kind lines.
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
        if (unlabelled > 0) {
            out.printf("(%,d scored events had no label and are not counted)%n", unlabelled);
        }
        out.flush();
    }
}
