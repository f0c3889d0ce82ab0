package dev.nelbo.deploy.watch;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * Silence alerts against planted silences: a planted silence is found by a silence alert for its host whose last-seen
 * time is the host's last event before the silence; its delay is the alert's detection time (the scorer's clock) minus
 * that last event's time. A silence alert that matches no planted silence is a false one.
 *
 * <p>A silence that began shortly before the last event seen cannot have been found yet (the scorer's clock stops with
 * the traffic): those are counted apart, as too late to judge.
 *
 * @param planted    silences planted early enough to judge
 * @param delaysMs   the delay of each one found, in planting order
 * @param falseAlerts silence alerts that match none
 * @param tooLate    silences planted within {@link #SETTLE_MS} of the last event
 */
public record Silences(int planted, List<Long> delaysMs, List<Alert> falseAlerts, int tooLate) {

    private static final java.time.format.DateTimeFormatter TIME = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss.SSS")
            .withZone(java.time.ZoneOffset.UTC);

    /** A silence that began less than this before the last event is not judged. */
    public static final long SETTLE_MS = 10_000;

    /** Copies the delays. */
    public Silences {
        delaysMs = List.copyOf(delaysMs);
        falseAlerts = List.copyOf(falseAlerts);
    }

    /**
     * @param host  the host that stopped
     * @param since its last event time before the silence (epoch ms)
     */
    public record Planted(String host, long since) {
    }

    /**
     * @param key        the silent key
     * @param lastSeen   its last event time as the scorer saw it
     * @param detectedAt the scorer's clock when it found the silence
     */
    public record Alert(String key, long lastSeen, long detectedAt) {
    }

    /**
     * @param planted   silences planted
     * @param alerts    silence alerts received
     * @param lastEvent the latest event time seen (epoch ms), or {@link Long#MIN_VALUE} when unknown (all judged)
     * @return the match
     */
    public static Silences of(final List<Planted> planted, final List<Alert> alerts, final long lastEvent) {
        final List<Alert> unmatched = new ArrayList<>(alerts);
        final List<Long> delays = new ArrayList<>();
        int judged = 0;
        for (final Planted p : planted) {
            final boolean late = lastEvent != Long.MIN_VALUE && p.since() > lastEvent - SETTLE_MS;
            // the label's time and the scorer's are the same event's, both in whole milliseconds
            final Alert found = unmatched.stream().filter(a -> a.key().equals(p.host()) && Math.abs(a.lastSeen() - p.since()) <= 1)
                    .findFirst().orElse(null);
            if (found != null) {
                unmatched.remove(found);
            }
            if (!late) {
                judged++;
                if (found != null) {
                    delays.add(found.detectedAt() - p.since());
                }
            }
        }
        return new Silences(judged, delays, unmatched, planted.size() - judged);
    }

    /**
     * Prints one line: found, median delay, false alerts.
     *
     * @param out where to print
     */
    public void print(final PrintWriter out) {
        if (planted == 0 && falseAlerts.isEmpty() && tooLate == 0) {
            return;
        }
        final List<Long> sorted = delaysMs.stream().sorted().toList();
        final String median = sorted.isEmpty() ? "" : String.format(", median delay %.1f s after the host's last event",
                (sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
                        : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2.0) / 1000.0);
        out.printf("silences: %d/%d detected%s; %d false silence alerts%s%n", delaysMs.size(), planted, median, falseAlerts.size(),
                tooLate == 0 ? "" : String.format(" (%d more began in the last %d s of traffic: not judged)", tooLate,
                        SETTLE_MS / 1000));
        falseAlerts.stream().limit(5).forEach(a -> out.printf("  false silence alert: %s, last seen %s, found %s%n", a.key(),
                TIME.format(java.time.Instant.ofEpochMilli(a.lastSeen())), TIME.format(java.time.Instant.ofEpochMilli(a.detectedAt()))));
        out.flush();
    }
}
