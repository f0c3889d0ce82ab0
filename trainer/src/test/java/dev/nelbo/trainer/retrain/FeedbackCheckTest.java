package dev.nelbo.trainer.retrain;

import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.feedback.AlertFeedback;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.nelbo.schemas.feedback.AlertFeedback.Label.FALSE_POSITIVE;
import static dev.nelbo.schemas.feedback.AlertFeedback.Label.TRUE_POSITIVE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeedbackCheckTest {

    private static final Gates DEFAULT_GATES = RetrainConfig.of(Map.of("bootstrap.servers", "k:9092")).gates();
    private static final Map<String, AlertFeedback.Label> LABELS = Map.of("f1", FALSE_POSITIVE, "f2", FALSE_POSITIVE,
            "f3", FALSE_POSITIVE, "f4", FALSE_POSITIVE, "t1", TRUE_POSITIVE, "t2", TRUE_POSITIVE, "t3", TRUE_POSITIVE);
    private static final List<String> IDS = List.of("f1", "f2", "f3", "f4", "t1", "t2", "t3");

    private static Manifest threshold(final double t) {
        return new Manifest(1, "v", null, null, null, null, null, null, Map.of(),
                new Manifest.Calibration("nelbo", t, 0.01, "empirical", 1000, List.of(), null), null);
    }

    private static FeedbackCheck judge(final double[] champion, final double[] challenger, final Gates gates) {
        return FeedbackCheck.judge(LABELS, new HoldoutScores(champion, challenger, IDS, 0), champion == null ? null
                : threshold(10), threshold(10), gates);
    }

    @Test
    void a_challenger_that_learnt_the_false_alarms_and_keeps_the_incidents_passes() {
        final FeedbackCheck c = judge(new double[] {20, 20, 20, 5, 30, 30, 8}, new double[] {5, 5, 20, 5, 30, 30, 30},
                DEFAULT_GATES);
        assertEquals(List.of(), c.failures());
        assertEquals(4, c.falsePositives());
        assertEquals(3, c.championReflagged());
        assertEquals(1, c.challengerReflagged());
        assertEquals(3, c.truePositives());
        assertEquals(2, c.championFlagged(), "t3 is under the champion's threshold: an entity alert's event, say");
        assertEquals(0, c.challengerMissed());
    }

    @Test
    void reflagging_false_alarms_or_missing_an_incident_the_champion_flags_fails_naming_the_counts() {
        final FeedbackCheck reflags = judge(new double[] {20, 20, 20, 20, 30, 30, 30},
                new double[] {20, 20, 20, 5, 30, 30, 30}, DEFAULT_GATES);
        assertEquals(List.of("re-flags 3 of the 4 events labelled false positive (75%; gate 50%)"), reflags.failures());
        final FeedbackCheck misses = judge(new double[] {20, 20, 20, 20, 30, 30, 8},
                new double[] {5, 5, 5, 5, 30, 9, 30}, DEFAULT_GATES);
        assertEquals(List.of("misses 1 of the 2 events labelled true positive that the champion flags (gate 0%)"),
                misses.failures(), "t3 does not count: the champion did not flag it either");
        final Gates lenient = new Gates(0.25, 0.01, 0.15, 200, 0.75, 0.5);
        assertEquals(List.of(), judge(new double[] {20, 20, 20, 20, 30, 30, 8}, new double[] {20, 20, 20, 5, 30, 9, 30},
                lenient).failures(), "at the gates: 3 of 4 and 1 of 2 pass");
        assertTrue(reflags.report().contains("feedback gates: FAILED"));
    }

    @Test
    void without_a_champion_every_labelled_incident_counts() {
        final FeedbackCheck first = judge(null, new double[] {5, 5, 5, 5, 30, 30, 8}, DEFAULT_GATES);
        assertEquals(3, first.championFlagged());
        assertEquals(List.of("misses 1 of the 3 events labelled true positive (gate 0%)"), first.failures());
        assertTrue(Double.isNaN(first.events().get(0).championScore()));
    }
}
