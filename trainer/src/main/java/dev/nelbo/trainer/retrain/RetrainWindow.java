package dev.nelbo.trainer.retrain;

import java.time.Duration;
import java.time.Instant;

/**
 * The time window one retraining run reads: records in {@code [start, holdoutStart)} are the training
 * pool, the most recent ones in {@code [holdoutStart, end)} are held back to compare the models.
 *
 * @param start        window start (inclusive)
 * @param holdoutStart start of the held-back slice
 * @param end          window end (exclusive)
 */
public record RetrainWindow(Instant start, Instant holdoutStart, Instant end) {

    /**
     * @throws IllegalArgumentException unless start &lt; holdoutStart &lt; end
     */
    public RetrainWindow {
        if (!(start.isBefore(holdoutStart) && holdoutStart.isBefore(end))) {
            throw new IllegalArgumentException("window needs start < holdout start < end, got " + start + ", " + holdoutStart + ", " + end);
        }
    }

    /**
     * @param start           window start
     * @param end             window end
     * @param holdoutFraction share of the window's duration held back at its end, in (0, 1)
     * @return the window
     */
    public static RetrainWindow of(final Instant start, final Instant end, final double holdoutFraction) {
        final long ms = Duration.between(start, end).toMillis();
        return new RetrainWindow(start, end.minusMillis(Math.max(1, Math.round(ms * holdoutFraction))), end);
    }

    /**
     * @param timestampMs a record timestamp
     * @return whether it falls in the held-back slice
     */
    public boolean inHoldout(final long timestampMs) {
        return timestampMs >= holdoutStart.toEpochMilli();
    }

    @Override
    public String toString() {
        return "[" + start + ", " + end + ") held back from " + holdoutStart;
    }
}
