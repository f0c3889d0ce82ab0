package dev.nelbo.schemas.encoding;

import java.util.List;

/**
 * What fitting the encoder saw, for logs and reports.
 *
 * @param rows  records fitted on
 * @param notes human-readable remarks (constant columns given scale 1, truncated vocabularies, ...)
 */
public record FitSummary(long rows, List<String> notes) {

    /** Copies the list. */
    public FitSummary {
        notes = List.copyOf(notes);
    }
}
