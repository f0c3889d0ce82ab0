package dev.nelbo.schemas.encoding;

import java.util.List;

/**
 * Everything the {@link FeatureEncoder} learned from training data, one entry per spec feature in
 * spec order. Stored in the manifest so that the scorer encodes exactly as the trainer did.
 *
 * @param features per-feature statistics
 */
public record EncoderStats(List<FeatureStats> features) {

    /** Copies the list. */
    public EncoderStats {
        features = List.copyOf(features);
    }
}
