package dev.nelbo.trainer.retrain;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What a retraining run decided and why; also the JSON report.
 *
 * @param decision    the decision
 * @param reason      one line saying why
 * @param window      the window read
 * @param champion    champion version
 * @param challenger  challenger version, or null when none was trained
 * @param publishedAs "current" or "shadow" when published, else null
 * @param counts      record counts (read, training pool, left out, sampled, held back)
 * @param comparison  champion versus challenger on the held-back slice, or null when not compared
 * @param reference   champion versus challenger on the fixed reference set ({@code nelbo.retrain.reference}), or null
 * @param feedback    both models on the window's events operators labelled, or null when none was compared
 */
public record RetrainOutcome(Decision decision, String reason, RetrainWindow window, String champion, String challenger,
                             String publishedAs, Map<String, Long> counts, ChallengerComparison comparison,
                             ChallengerComparison reference, FeedbackCheck feedback) {

    /** Decisions with the exit code a scheduler acts on. */
    public enum Decision {
        /** The challenger passed the gates and was published. */
        PUBLISHED(0),
        /** The challenger failed a gate; the champion stays. */
        GATES_FAILED(3),
        /** Nothing to publish: too little data in the window, or the same model is already in the registry. */
        NOTHING_NEW(4),
        /**
         * The registry's current model changed during the run (a rollback, a publish, another retrain): nothing was
         * published, so the change stands; run again to retrain against the new champion.
         */
        CURRENT_MOVED(5);

        private final int exitCode;

        Decision(final int exitCode) {
            this.exitCode = exitCode;
        }

        /** @return the process exit code */
        public int exitCode() {
            return exitCode;
        }
    }

    /** Copies the counts. */
    public RetrainOutcome {
        counts = counts == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(counts));
    }

    /** @return the report as a JSON-ready map */
    public Map<String, Object> toJson() {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("decision", decision.name().toLowerCase(Locale.ROOT));
        m.put("exit_code", decision.exitCode());
        m.put("reason", reason);
        m.put("window", Map.of("start", window.start().toString(), "holdout_start", window.holdoutStart().toString(),
                "end", window.end().toString()));
        m.put("champion", champion);
        m.put("challenger", challenger);
        m.put("published_as", publishedAs);
        m.put("counts", counts);
        if (comparison != null) {
            m.put("comparison", json(comparison));
        }
        if (reference != null) {
            m.put("reference_comparison", json(reference));
        }
        if (feedback != null) {
            final Map<String, Object> f = new LinkedHashMap<>();
            f.put("false_positives", feedback.falsePositives());
            f.put("champion_reflagged", feedback.championReflagged());
            f.put("challenger_reflagged", feedback.challengerReflagged());
            f.put("true_positives", feedback.truePositives());
            f.put("champion_flagged", feedback.championFlagged());
            f.put("challenger_missed", feedback.challengerMissed());
            f.put("events", feedback.events().stream().map(e -> {
                final Map<String, Object> one = new LinkedHashMap<>();
                one.put("event_id", e.eventId());
                one.put("label", e.label());
                one.put("champion_nelbo", Double.isNaN(e.championScore()) ? null : e.championScore());
                one.put("challenger_nelbo", e.challengerScore());
                return one;
            }).toList());
            f.put("failures", feedback.failures());
            m.put("feedback", f);
        }
        return m;
    }

    private static Map<String, Object> json(final ChallengerComparison comparison) {
        final Map<String, Object> c = new LinkedHashMap<>();
        c.put("holdout_rows", comparison.rows());
        c.put("champion_mean_nelbo", comparison.championMean());
        c.put("challenger_mean_nelbo", comparison.challengerMean());
        c.put("champion_sd_nelbo", comparison.championSd());
        c.put("champion_alert_rate", comparison.championAlertRate());
        c.put("challenger_alert_rate", comparison.challengerAlertRate());
        c.put("champion_calibration_shift_ks", comparison.championShift());
        c.put("challenger_calibration_shift_ks", comparison.challengerShift());
        c.put("failures", comparison.failures());
        return c;
    }

    /** @return a short human-readable report */
    public String text() {
        final StringBuilder b = new StringBuilder();
        b.append("window: ").append(window).append('\n');
        b.append("champion: ").append(champion).append(", challenger: ").append(challenger == null ? "-" : challenger).append('\n');
        counts.forEach((k, v) -> b.append("  ").append(k).append(": ").append(v).append('\n'));
        if (comparison != null) {
            b.append(comparison.report());
        }
        if (reference != null) {
            b.append("on the reference set:\n").append(reference.report());
        }
        if (feedback != null) {
            b.append(feedback.report());
        }
        b.append("decision: ").append(decision.name().toLowerCase(Locale.ROOT)).append(" (exit ").append(decision.exitCode())
                .append("): ").append(reason).append('\n');
        return b.toString();
    }
}
