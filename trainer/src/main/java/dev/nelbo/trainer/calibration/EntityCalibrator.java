package dev.nelbo.trainer.calibration;

import dev.nelbo.engine.calibration.TailProbability;
import dev.nelbo.engine.entity.EntityEvidence;
import dev.nelbo.schemas.bundle.Manifest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Calibrates the entity-level test: the CUSUM threshold for a false-alarm rate per entity (on exponential surprises, as
 * a calibrated model's normal events give, {@link EntityEvidence#thresholdFor}), and the rate it realises on the
 * training rows replayed per key in their order, the way the scorer would have seen them.
 */
public final class EntityCalibrator {

    private EntityCalibrator() {
    }

    /**
     * @param falseAlarmRate alarms per event of one normal entity
     * @param scores         the rows' scores, in file order
     * @param keys           the rows' entity keys (null entries: rows without a key, replayed as one more entity), or
     *                       null when the rows carry none
     * @param tail           the calibration the scorer turns a score into a tail probability with
     * @return the test's calibration
     */
    public static Manifest.EntityCalibration calibrate(final double falseAlarmRate, final double[] scores, final String[] keys,
                                                       final TailProbability tail) {
        final double drift = EntityEvidence.DEFAULT_DRIFT;
        final EntityEvidence test = new EntityEvidence(drift, EntityEvidence.thresholdFor(drift, falseAlarmRate));
        final Map<String, List<Double>> byKey = new LinkedHashMap<>();
        for (int r = 0; r < scores.length; r++) {
            final String key = keys == null || keys[r] == null ? "" : keys[r];
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(EntityEvidence.surprise(tail.of(scores[r])));
        }
        long alarms = 0;
        for (final List<Double> surprises : byKey.values()) {
            alarms += test.alarms(surprises.stream().mapToDouble(Double::doubleValue).toArray());
        }
        return new Manifest.EntityCalibration(Manifest.EntityCalibration.CUSUM, drift, test.threshold(), falseAlarmRate,
                scores.length, alarms);
    }

    /**
     * @param c an entity calibration
     * @return one line saying what it is and what it realised
     */
    public static String describe(final Manifest.EntityCalibration c) {
        return String.format(Locale.ROOT, "entity test: CUSUM threshold %.2f (drift %.1f) for %s false alarms per event"
                        + " per entity; on the %d training rows replayed per key: %d alarms (%.1e per event)", c.threshold(),
                c.drift(), c.falseAlarmRate(), c.realisedRows(), c.realisedAlarms(),
                c.realisedRows() == 0 ? 0.0 : (double) c.realisedAlarms() / c.realisedRows());
    }
}
