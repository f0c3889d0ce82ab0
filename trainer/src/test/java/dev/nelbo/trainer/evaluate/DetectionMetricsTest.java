package dev.nelbo.trainer.evaluate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DetectionMetricsTest {

    @Test
    void figures_match_hand_computed_values() {
        // Descending: 0.9(1) 0.8(0) 0.7(1) 0.6(1) 0.5(0) 0.4(0)
        final double[] scores = {0.4, 0.9, 0.6, 0.8, 0.5, 0.7};
        final int[] labels = {0, 1, 1, 0, 0, 1};
        final DetectionMetrics m = DetectionMetrics.of(scores, labels, 0.65);
        // Pairs (pos, neg) ranked correctly: 0.9 beats 3, 0.7 beats 2, 0.6 beats 2 -> 7 of 9.
        assertEquals(7.0 / 9, m.auroc(), 1e-12);
        // AP = (1/3)(1/1 + 2/3 + 3/4)
        assertEquals((1 + 2.0 / 3 + 0.75) / 3, m.averagePrecision(), 1e-12);
        assertEquals(2, m.truePositives());
        assertEquals(1, m.falsePositives());
        assertEquals(2, m.trueNegatives());
        assertEquals(1, m.falseNegatives());
        assertEquals(2.0 / 3, m.precision(), 1e-12);
        assertEquals(2.0 / 3, m.recall(), 1e-12);
        assertEquals(1.0 / 3, m.falsePositiveRate(), 1e-12);
    }

    @Test
    void ties_count_half_and_curves_end_at_the_corner() {
        final double[] scores = {1, 1, 1, 1};
        final int[] labels = {1, 0, 1, 0};
        assertEquals(0.5, DetectionMetrics.of(scores, labels, 0).auroc(), 1e-12);
        final List<DetectionMetrics.Point> roc = DetectionMetrics.rocCurve(scores, labels);
        assertEquals(new DetectionMetrics.Point(1, 1), roc.get(roc.size() - 1));
    }

    @Test
    void one_class_only_is_refused() {
        assertThrows(IllegalArgumentException.class, () -> DetectionMetrics.of(new double[] {1, 2}, new int[] {0, 0}, 1));
    }
}
