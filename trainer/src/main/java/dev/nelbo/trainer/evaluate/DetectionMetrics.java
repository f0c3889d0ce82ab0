package dev.nelbo.trainer.evaluate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Detection quality of scores against labels (1 = anomaly): AUROC, average precision and the
 * confusion counts at an alert threshold (a score above the threshold is an alert).
 *
 * @param auroc              area under the ROC curve (ties count half)
 * @param averagePrecision   average precision, the step-wise area under the PR curve (as scikit-learn computes it)
 * @param threshold          the alert threshold the counts refer to
 * @param truePositives      anomalies above the threshold
 * @param falsePositives     normals above the threshold
 * @param trueNegatives      normals at or below the threshold
 * @param falseNegatives     anomalies at or below the threshold
 */
public record DetectionMetrics(double auroc, double averagePrecision, double threshold, long truePositives,
                               long falsePositives, long trueNegatives, long falseNegatives) {

    /** A point of a curve. */
    public record Point(double x, double y) {
    }

    /** @return precision at the threshold (1 when nothing is flagged) */
    public double precision() {
        final long flagged = truePositives + falsePositives;
        return flagged == 0 ? 1.0 : (double) truePositives / flagged;
    }

    /** @return recall at the threshold */
    public double recall() {
        final long anomalies = truePositives + falseNegatives;
        return anomalies == 0 ? 0.0 : (double) truePositives / anomalies;
    }

    /** @return false-positive rate at the threshold */
    public double falsePositiveRate() {
        final long normals = falsePositives + trueNegatives;
        return normals == 0 ? 0.0 : (double) falsePositives / normals;
    }

    /**
     * @param scores    one score per row
     * @param labels    1 for an anomaly, 0 for a normal row
     * @param threshold alert threshold
     * @return the metrics
     * @throws IllegalArgumentException when lengths differ or a class is absent
     */
    public static DetectionMetrics of(final double[] scores, final int[] labels, final double threshold) {
        final double[] thresholds = new double[scores.length];
        java.util.Arrays.fill(thresholds, threshold);
        return of(scores, labels, thresholds, threshold);
    }

    /**
     * @param scores     one score per row
     * @param labels     1 for an anomaly, 0 for a normal row
     * @param thresholds each row's alert threshold (a model with per-context thresholds)
     * @param threshold  the model's global threshold, reported as the metrics' threshold
     * @return the metrics
     * @throws IllegalArgumentException when lengths differ or a class is absent
     */
    public static DetectionMetrics of(final double[] scores, final int[] labels, final double[] thresholds,
                                      final double threshold) {
        if (thresholds.length != scores.length) {
            throw new IllegalArgumentException(thresholds.length + " thresholds for " + scores.length + " scores");
        }
        final Ranked ranked = Ranked.of(scores, labels);
        long tp = 0;
        long fp = 0;
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] > thresholds[i]) {
                if (labels[i] == 1) {
                    tp++;
                } else {
                    fp++;
                }
            }
        }
        return new DetectionMetrics(ranked.auroc(), ranked.averagePrecision(), threshold, tp, fp,
                ranked.negatives - fp, ranked.positives - tp);
    }

    /** @return ROC curve points (false-positive rate, true-positive rate), one per distinct score */
    public static List<Point> rocCurve(final double[] scores, final int[] labels) {
        final Ranked ranked = Ranked.of(scores, labels);
        final List<Point> points = new ArrayList<>();
        points.add(new Point(0, 0));
        for (int[] step : ranked.steps()) {
            points.add(new Point((double) step[1] / ranked.negatives, (double) step[0] / ranked.positives));
        }
        return points;
    }

    /** @return precision-recall curve points (recall, precision), one per distinct score */
    public static List<Point> prCurve(final double[] scores, final int[] labels) {
        final Ranked ranked = Ranked.of(scores, labels);
        final List<Point> points = new ArrayList<>();
        points.add(new Point(0, 1));
        for (int[] step : ranked.steps()) {
            points.add(new Point((double) step[0] / ranked.positives, (double) step[0] / (step[0] + step[1])));
        }
        return points;
    }

    /** Scores sorted descending with cumulative counts at each distinct score. */
    private record Ranked(double[] sorted, int[] sortedLabels, long positives, long negatives) {

        static Ranked of(final double[] scores, final int[] labels) {
            if (scores.length != labels.length) {
                throw new IllegalArgumentException(scores.length + " scores but " + labels.length + " labels");
            }
            final Integer[] order = new Integer[scores.length];
            long positives = 0;
            for (int i = 0; i < scores.length; i++) {
                order[i] = i;
                if (labels[i] != 0 && labels[i] != 1) {
                    throw new IllegalArgumentException("labels must be 0 or 1, got " + labels[i] + " in row " + (i + 1));
                }
                positives += labels[i];
            }
            final long negatives = scores.length - positives;
            if (positives == 0 || negatives == 0) {
                throw new IllegalArgumentException("evaluation needs both normal (0) and anomalous (1) rows, got "
                        + positives + " anomalies and " + negatives + " normals");
            }
            Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
            final double[] sorted = new double[scores.length];
            final int[] sortedLabels = new int[scores.length];
            for (int i = 0; i < order.length; i++) {
                sorted[i] = scores[order[i]];
                sortedLabels[i] = labels[order[i]];
            }
            return new Ranked(sorted, sortedLabels, positives, negatives);
        }

        /** @return cumulative (true positives, false positives) after each group of tied scores */
        List<int[]> steps() {
            final List<int[]> steps = new ArrayList<>();
            int tp = 0;
            int fp = 0;
            for (int i = 0; i < sorted.length; i++) {
                tp += sortedLabels[i];
                fp += 1 - sortedLabels[i];
                if (i == sorted.length - 1 || sorted[i + 1] != sorted[i]) {
                    steps.add(new int[] {tp, fp});
                }
            }
            return steps;
        }

        double auroc() {
            // Trapezoids between ROC steps: a tie group contributes half its positive-negative pairs.
            double area = 0;
            long prevTp = 0;
            long prevFp = 0;
            for (int[] step : steps()) {
                area += (step[1] - prevFp) * (step[0] + prevTp) / 2.0;
                prevTp = step[0];
                prevFp = step[1];
            }
            return area / ((double) positives * negatives);
        }

        double averagePrecision() {
            double ap = 0;
            long prevTp = 0;
            for (int[] step : steps()) {
                ap += (double) (step[0] - prevTp) / positives * step[0] / (step[0] + step[1]);
                prevTp = step[0];
            }
            return ap;
        }
    }
}
