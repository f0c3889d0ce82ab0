package dev.nelbo.trainer.retrain;

import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.feedback.AlertFeedback;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The challenger judged on the alerts operators labelled ({@code nelbo-scorer feedback}): the window's events labelled
 * false positive it still flags at its own threshold (it should have learnt them: they were trained on), and those
 * labelled true positive the champion flags and it misses (a confirmed incident it would no longer alert on).
 *
 * @param falsePositives      the window's events labelled false positive, scored
 * @param championReflagged   of them, flagged by the champion
 * @param challengerReflagged of them, flagged by the challenger
 * @param truePositives       the window's events labelled true positive, scored
 * @param championFlagged     of them, flagged by the champion (all of them without a champion)
 * @param challengerMissed    of those, missed by the challenger
 * @param events              each scored labelled event (at most {@link #REPORTED} in the report)
 * @param failures            the feedback gates not passed, readable
 */
public record FeedbackCheck(int falsePositives, int championReflagged, int challengerReflagged, int truePositives,
                            int championFlagged, int challengerMissed, List<Event> events, List<String> failures) {

    /** Labelled events listed in the report. */
    public static final int REPORTED = 100;

    /**
     * One labelled event's scores.
     *
     * @param eventId         its id
     * @param label           its label
     * @param championScore   the champion's negative ELBO (NaN without a champion)
     * @param challengerScore the challenger's
     */
    public record Event(String eventId, String label, double championScore, double challengerScore) {
    }

    /** Copies the lists. */
    public FeedbackCheck {
        events = List.copyOf(events);
        failures = List.copyOf(failures);
    }

    /**
     * Reads the labels in force: the latest record of each event id in the compacted topic, tombstones withdrawing.
     * Records that are not labels are skipped and counted; a missing topic means no labels.
     *
     * @param client  Kafka client settings
     * @param topic   the feedback topic
     * @param timeout read bound
     * @param out     progress
     * @return label by event id
     */
    public static Map<String, AlertFeedback.Label> read(final Properties client, final String topic, final Duration timeout,
                                                         final PrintWriter out) {
        final Map<String, AlertFeedback.Label> labels = new HashMap<>();
        final long[] invalid = {0};
        try {
            TopicWindowReader.read(client, topic, Instant.EPOCH, Instant.ofEpochMilli(Long.MAX_VALUE), timeout,
                    (p, o, t, key, value) -> {
                        final String id = key == null ? null : new String(key, java.nio.charset.StandardCharsets.UTF_8);
                        if (value == null) {
                            labels.remove(id);
                            return;
                        }
                        try {
                            labels.put(id, AlertFeedback.parse(id, value).label());
                        } catch (final IllegalArgumentException e) {
                            invalid[0]++;
                        }
                    });
        } catch (final IllegalArgumentException noTopic) {
            out.printf("feedback: no topic %s, so no labels%n", topic);
            out.flush();
            return labels;
        }
        final long fp = labels.values().stream().filter(l -> l == AlertFeedback.Label.FALSE_POSITIVE).count();
        out.printf(Locale.ROOT, "feedback: %d labelled alerts (%d false positive, %d true positive)%s%n", labels.size(), fp,
                labels.size() - fp, invalid[0] > 0 ? "; " + invalid[0] + " records that are not labels skipped" : "");
        out.flush();
        return labels;
    }

    /**
     * @param labels     label by event id
     * @param scores     the labelled events scored by both models
     * @param champion   the champion's manifest (its threshold), or null without a champion
     * @param challenger the challenger's manifest
     * @param gates      the gates
     * @return the check
     */
    public static FeedbackCheck judge(final Map<String, AlertFeedback.Label> labels, final HoldoutScores scores,
                                      final Manifest champion, final Manifest challenger, final Gates gates) {
        final double championThreshold = champion == null ? Double.NaN : champion.calibration().threshold();
        final double challengerThreshold = challenger.calibration().threshold();
        int fp = 0;
        int champFp = 0;
        int chalFp = 0;
        int tp = 0;
        int champTp = 0;
        int missed = 0;
        final List<Event> events = new ArrayList<>();
        for (int i = 0; i < scores.ids().size(); i++) {
            final String id = scores.ids().get(i);
            final AlertFeedback.Label label = labels.get(id);
            final double champ = champion == null ? Double.NaN : scores.champion()[i];
            final double chal = scores.challenger()[i];
            final boolean championFlags = champion == null || champ > championThreshold;
            final boolean challengerFlags = chal > challengerThreshold;
            if (label == AlertFeedback.Label.FALSE_POSITIVE) {
                fp++;
                champFp += champion != null && championFlags ? 1 : 0;
                chalFp += challengerFlags ? 1 : 0;
            } else {
                tp++;
                if (championFlags) {
                    champTp++;
                    missed += challengerFlags ? 0 : 1;
                }
            }
            if (events.size() < REPORTED) {
                events.add(new Event(id, label.wireName(), champ, chal));
            }
        }
        final List<String> failures = new ArrayList<>();
        if (fp > 0 && chalFp > gates.maxFalsePositiveReflag() * fp) {
            failures.add(String.format(Locale.ROOT, "re-flags %d of the %d events labelled false positive (%.0f%%; gate %.0f%%)",
                    chalFp, fp, 100.0 * chalFp / fp, 100 * gates.maxFalsePositiveReflag()));
        }
        if (champTp > 0 && missed > gates.maxTruePositiveMissed() * champTp) {
            failures.add(String.format(Locale.ROOT, "misses %d of the %d events labelled true positive%s (gate %.0f%%)",
                    missed, champTp, champion == null ? "" : " that the champion flags", 100 * gates.maxTruePositiveMissed()));
        }
        return new FeedbackCheck(fp, champFp, chalFp, tp, champTp, missed, events, failures);
    }

    /** @return a short human-readable report */
    public String report() {
        return String.format(Locale.ROOT, "labelled false positives: %d, flagged by the champion %d, by the challenger %d%n"
                        + "labelled true positives: %d, flagged by the champion %d, missed by the challenger %d%n",
                falsePositives, championReflagged, challengerReflagged, truePositives, championFlagged, challengerMissed)
                + (failures.isEmpty() ? "feedback gates: passed\n" : "feedback gates: FAILED\n  - " + String.join("\n  - ", failures)
                + "\n");
    }
}
