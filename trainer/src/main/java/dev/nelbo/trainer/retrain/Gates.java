package dev.nelbo.trainer.retrain;

/**
 * What a challenger must show on the held-back recent slice before it replaces the champion.
 * Scores are negative ELBOs in nats; their level depends on the data, so the mean gate is measured
 * in units of the champion's score spread on the same slice.
 *
 * @param maxMeanIncreaseSd   challenger mean score may exceed the champion's by at most this many
 *                            champion standard deviations (a worse fit on recent data fails)
 * @param maxAlertRate        challenger alert rate at its own threshold on the slice, at most this or
 *                            the champion's rate on the same slice (whichever is larger)
 * @param maxCalibrationShift challenger's score distribution on the slice may differ from its own
 *                            calibration by at most this Kolmogorov-Smirnov distance
 * @param minHoldoutRows      fewer held-back rows than this and no decision is made
 * @param maxFalsePositiveReflag share of the window's events labelled false positive (nelbo-scorer feedback) the
 *                            challenger may still flag at its own threshold: a challenger that re-flags confirmed false
 *                            alarms has not learnt them
 * @param maxTruePositiveMissed share of the window's events labelled true positive, among those the champion flags, that
 *                            the challenger may miss (all of them when there is no champion)
 */
public record Gates(double maxMeanIncreaseSd, double maxAlertRate, double maxCalibrationShift, int minHoldoutRows,
                    double maxFalsePositiveReflag, double maxTruePositiveMissed) {

    /**
     * @throws IllegalArgumentException for a negative bound or an alert rate outside (0, 1]
     */
    public Gates {
        if (maxMeanIncreaseSd < 0 || maxCalibrationShift < 0 || maxCalibrationShift > 1) {
            throw new IllegalArgumentException("gate bounds must be non-negative (calibration shift at most 1)");
        }
        if (!(maxAlertRate > 0 && maxAlertRate <= 1)) {
            throw new IllegalArgumentException("max alert rate must be in (0, 1], got " + maxAlertRate);
        }
        if (!(maxFalsePositiveReflag >= 0 && maxFalsePositiveReflag <= 1 && maxTruePositiveMissed >= 0
                && maxTruePositiveMissed <= 1)) {
            throw new IllegalArgumentException("the feedback gates are shares in [0, 1], got " + maxFalsePositiveReflag
                    + " and " + maxTruePositiveMissed);
        }
        if (minHoldoutRows < 1) {
            throw new IllegalArgumentException("min holdout rows must be at least 1, got " + minHoldoutRows);
        }
    }
}
