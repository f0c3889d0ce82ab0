package dev.nelbo.scorer.offline;

import java.nio.file.Path;

/** Placeholder replaced below. */
public final class OfflineScorer {
    private OfflineScorer() {
    }

    /** Summary. @param scored s @param errors e @param modelVersion v */
    public record Summary(long scored, long errors, String modelVersion) {
    }

    /** @return summary */
    public static Summary score(final Path model, final Path data, final Path out, final Path errors, final int samples,
                                final int batch, final String device) {
        throw new UnsupportedOperationException();
    }
}
