package dev.nelbo.engine;

import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.testing.TestBundles;
import dev.nelbo.schemas.testing.TestData;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A bundle must not serve alerts with a threshold its own calibration does not support. */
class ServingProblemsTest {

    private final Manifest sound = TestBundles.draft(TestData.fittedEncoder(1, 300), 4, List.of(8), 40.0);

    private Manifest withThreshold(final double threshold) {
        final Manifest.Calibration c = sound.calibration();
        return withCalibration(new Manifest.Calibration(c.score(), threshold, c.targetFpr(), c.method(), c.rows(), c.quantiles(),
                c.tail()));
    }

    private Manifest withCalibration(final Manifest.Calibration c) {
        final Manifest m = sound;
        return new Manifest(m.schemaVersion(), m.modelVersion(), m.createdAt(), m.contentHash(), m.featureSpec(), m.encoderStats(),
                m.architecture(), m.graphs(), m.files(), c, m.provenance());
    }

    private static String problem(final Manifest m) {
        final List<String> p = ScoringModel.servingProblems(m);
        assertEquals(1, p.size(), p.toString());
        return p.get(0);
    }

    @Test
    void a_threshold_where_its_calibration_puts_the_target_rate_serves() {
        assertEquals(List.of(), ScoringModel.servingProblems(sound));
    }

    @Test
    void thresholds_that_never_or_always_alert_and_missing_calibrations_are_refused() {
        assertTrue(problem(withThreshold(1e308)).contains("not near its target false-positive rate"));
        assertTrue(problem(withThreshold(0)).contains("not near its target false-positive rate"));
        assertTrue(problem(withThreshold(Double.POSITIVE_INFINITY)).contains("not a finite number"));
        assertTrue(problem(withThreshold(Double.NaN)).contains("not a finite number"));
        assertTrue(problem(withCalibration(null)).contains("no calibration"));
    }
}
