package dev.nelbo.trainer.retrain;

import dev.nelbo.schemas.bundle.Manifest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Champion versus challenger on the same held-back recent rows, and the gate decision.
 *
 * @param rows                 held-back rows scored by both
 * @param championMean         champion mean negative ELBO
 * @param challengerMean       challenger mean negative ELBO
 * @param championSd           champion score standard deviation
 * @param championAlertRate    share of rows over the champion's threshold
 * @param challengerAlertRate  share of rows over the challenger's threshold
 * @param championShift        KS distance between the champion's scores and its calibration: how far
 *                             traffic has drifted from what the champion was trained on
 * @param challengerShift      KS distance between the challenger's scores and its calibration
 * @param failures             gates not passed, readable; empty when the challenger passes
 */
public record ChallengerComparison(int rows, double championMean, double challengerMean, double championSd,
                                   double championAlertRate, double challengerAlertRate, double championShift,
                                   double challengerShift, List<String> failures) {

    /** Copies the list. */
    public ChallengerComparison {
        failures = List.copyOf(failures);
    }

    /** @return true when every gate passed */
    public boolean passed() {
        return failures.isEmpty();
    }

    /**
     * Judges a first model, when the registry names no champion: the gates that compare with a champion are
     * skipped (the report says so), the others apply to the challenger alone.
     *
     * @param challenger         challenger scores of the held-back rows
     * @param challengerManifest challenger manifest
     * @param gates              gates
     * @return the comparison with its failures (champion figures NaN)
     */
    public static ChallengerComparison firstModel(final double[] challenger, final Manifest challengerManifest,
                                                  final Gates gates) {
        return compare(null, null, challenger, challengerManifest, gates);
    }

    /**
     * Compares the two models' scores on the same rows.
     *
     * @param champion          champion scores (row i of both arrays is the same record), or null without a champion
     * @param championManifest  champion manifest (threshold, calibration quantiles), or null without a champion
     * @param challenger        challenger scores
     * @param challengerManifest challenger manifest
     * @param gates             gates
     * @return the comparison with its failures
     */
    public static ChallengerComparison compare(final double[] champion, final Manifest championManifest,
                                               final double[] challenger, final Manifest challengerManifest,
                                               final Gates gates) {
        final boolean first = champion == null;
        if (!first && champion.length != challenger.length) {
            throw new IllegalArgumentException("champion and challenger must score the same rows");
        }
        final int n = challenger.length;
        final double champMean = first ? Double.NaN : mean(champion);
        final double chalMean = mean(challenger);
        final double champSd = first ? Double.NaN : sd(champion, champMean);
        final double champRate = first ? Double.NaN : rateAbove(champion, championManifest.calibration().threshold());
        final double chalRate = rateAbove(challenger, challengerManifest.calibration().threshold());
        final double champShift = first ? Double.NaN : calibrationShift(champion, championManifest.calibration().quantiles());
        final double chalShift = calibrationShift(challenger, challengerManifest.calibration().quantiles());
        final List<String> failures = new ArrayList<>();
        if (n < gates.minHoldoutRows()) {
            failures.add(String.format(Locale.ROOT, "only %d held-back rows (need %d) to judge the challenger", n, gates.minHoldoutRows()));
        } else {
            final double increaseSd = first ? 0 : champSd > 0 ? (chalMean - champMean) / champSd
                    : (chalMean > champMean ? Double.POSITIVE_INFINITY : 0);
            if (increaseSd > gates.maxMeanIncreaseSd()) {
                failures.add(String.format(Locale.ROOT, "mean score on recent data %.4g vs champion %.4g: worse by %.2f sd (gate %.2f)",
                        chalMean, champMean, increaseSd, gates.maxMeanIncreaseSd()));
            }
            // a drifted champion may alert more than the budget; a challenger that alerts less than it is still better
            if (chalRate > gates.maxAlertRate() && (first || chalRate > champRate)) {
                failures.add(String.format(Locale.ROOT, "alert rate at its own threshold %.4f, above the gate %.4f and the champion's %.4f",
                        chalRate, gates.maxAlertRate(), champRate));
            }
            if (chalShift > gates.maxCalibrationShift()) {
                failures.add(String.format(Locale.ROOT, "score distribution on recent data is %.3f (KS) from its own calibration (gate %.3f)",
                        chalShift, gates.maxCalibrationShift()));
            }
        }
        return new ChallengerComparison(n, champMean, chalMean, champSd, champRate, chalRate, champShift, chalShift, failures);
    }

    /**
     * Kolmogorov-Smirnov distance between the empirical distribution of {@code scores} and a
     * calibration given by its quantiles, evaluated at the quantile points.
     *
     * @param scores    scores
     * @param quantiles calibration quantiles
     * @return max over quantiles of |F_scores(value_q) - q|, in [0, 1]
     */
    public static double calibrationShift(final double[] scores, final List<Manifest.Quantile> quantiles) {
        if (scores.length == 0 || quantiles.isEmpty()) {
            return 0;
        }
        final double[] sorted = scores.clone();
        Arrays.sort(sorted);
        double worst = 0;
        for (Manifest.Quantile q : quantiles) {
            int idx = Arrays.binarySearch(sorted, q.value());
            if (idx < 0) {
                idx = -idx - 1;
            } else {
                while (idx < sorted.length && sorted[idx] <= q.value()) {
                    idx++;
                }
            }
            worst = Math.max(worst, Math.abs((double) idx / sorted.length - q.q()));
        }
        return worst;
    }

    /** @return whether there was no champion to compare with (its gates were skipped) */
    public boolean firstModel() {
        return Double.isNaN(championMean);
    }

    /** @return a short human-readable report */
    public String report() {
        final StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "held-back rows: %d%n", rows));
        if (firstModel()) {
            b.append("no champion: the gate on the mean score against the champion was skipped; the alert rate and drift gates"
                    + " apply to the challenger alone\n");
        }
        b.append(String.format(Locale.ROOT, "mean score   champion %.4f  challenger %.4f  (champion sd %.4f)%n", championMean, challengerMean, championSd));
        b.append(String.format(Locale.ROOT, "alert rate   champion %.4f  challenger %.4f%n", championAlertRate, challengerAlertRate));
        b.append(String.format(Locale.ROOT, "drift (KS vs own calibration)  champion %.3f  challenger %.3f%n", championShift, challengerShift));
        b.append(passed() ? "gates: passed" : "gates: FAILED\n  - " + String.join("\n  - ", failures)).append('\n');
        return b.toString();
    }

    private static double mean(final double[] a) {
        double s = 0;
        for (double v : a) {
            s += v;
        }
        return a.length == 0 ? Double.NaN : s / a.length;
    }

    private static double sd(final double[] a, final double m) {
        double s = 0;
        for (double v : a) {
            s += (v - m) * (v - m);
        }
        return a.length < 2 ? 0 : Math.sqrt(s / (a.length - 1));
    }

    private static double rateAbove(final double[] a, final double threshold) {
        int c = 0;
        for (double v : a) {
            if (v > threshold) {
                c++;
            }
        }
        return a.length == 0 ? 0 : (double) c / a.length;
    }
}
