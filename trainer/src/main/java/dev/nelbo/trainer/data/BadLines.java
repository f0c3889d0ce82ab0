package dev.nelbo.trainer.data;

import dev.nelbo.schemas.encoding.FailureReason;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Tally of input lines that could not be used: a count per reason and the first few examples with
 * their line numbers, so a user can find and fix them. Messages never contain the line's content.
 */
public final class BadLines {

    /** How many example lines are kept for the report. */
    public static final int MAX_EXAMPLES = 10;

    /**
     * @param line    1-based line number in the file
     * @param reason  why it was refused
     * @param message what is wrong
     */
    public record Example(long line, FailureReason reason, String message) {
    }

    private final Map<FailureReason, Long> counts = new EnumMap<>(FailureReason.class);
    private final Map<String, Long> features = new java.util.HashMap<>();
    private final List<Example> examples = new ArrayList<>();
    private long total;

    void add(final long line, final FailureReason reason, final String feature, final String message) {
        total++;
        counts.merge(reason, 1L, Long::sum);
        if (feature != null) {
            features.merge(reason.wireName() + " on '" + feature + "'", 1L, Long::sum);
        }
        if (examples.size() < MAX_EXAMPLES) {
            examples.add(new Example(line, reason, message));
        }
    }

    /** @return number of refused lines */
    public long total() {
        return total;
    }

    /** @return counts per reason */
    public Map<FailureReason, Long> counts() {
        return Map.copyOf(counts);
    }

    /** @return the first refused lines */
    public List<Example> examples() {
        return List.copyOf(examples);
    }

    /** @return one line: the count per reason and the most frequent (reason, feature) pair */
    public String summary() {
        final StringBuilder b = new StringBuilder();
        counts.forEach((reason, n) -> b.append(b.length() == 0 ? "" : ", ").append(n).append(' ').append(reason.wireName()));
        features.entrySet().stream().max(Map.Entry.comparingByValue()).ifPresent(e ->
                b.append(String.format(Locale.ROOT, "; most often %s (%d lines)", e.getKey(), e.getValue())));
        if (!examples.isEmpty()) {
            final Example first = examples.get(0);
            b.append("; first at line ").append(first.line()).append(": ").append(first.message());
        }
        return b.toString();
    }
}
