package dev.nelbo.trainer.retrain;

import java.time.Duration;
import java.util.Locale;

/** Parses the short durations schedulers and people write: {@code 30m}, {@code 12h}, {@code 7d}, {@code 90s}. */
public final class Durations {

    private Durations() {
    }

    /**
     * @param text a number followed by s, m, h or d (or an ISO-8601 duration such as PT12H)
     * @param what what the duration is for, in messages
     * @return the duration
     * @throws IllegalArgumentException naming the setting when the text is not a positive duration
     */
    public static Duration parse(final String text, final String what) {
        final String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        final Duration d;
        try {
            if (t.startsWith("p")) {
                d = Duration.parse(t.toUpperCase(Locale.ROOT));
            } else {
                final long n = Long.parseLong(t.substring(0, t.length() - 1));
                d = switch (t.charAt(t.length() - 1)) {
                    case 's' -> Duration.ofSeconds(n);
                    case 'm' -> Duration.ofMinutes(n);
                    case 'h' -> Duration.ofHours(n);
                    case 'd' -> Duration.ofDays(n);
                    default -> throw new NumberFormatException();
                };
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(what + ": '" + text + "' is not a duration; use e.g. 90s, 30m, 12h, 7d");
        }
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + ": '" + text + "' must be positive");
        }
        return d;
    }
}
