package dev.nelbo.schemas.encoding;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * Fitted statistics of one feature, stored in the manifest.
 *
 * @param name        feature name
 * @param centre      continuous: mean after the transform; binary: training rate of 1
 * @param scale       continuous: standard deviation after the transform (1 when constant); else 1
 * @param constant    true when the column was (nearly) constant in training and got scale 1
 * @param vocabulary  categorical: the top-K training values, most frequent first; else null
 * @param frequencies categorical: training frequency of each vocabulary value plus the
 *                    out-of-vocabulary slot last (sums to 1); else null
 * @param count       non-missing training values seen
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FeatureStats(String name, double centre, double scale, boolean constant, List<String> vocabulary,
                           double[] frequencies, long count) {

    /**
     * @throws IllegalArgumentException for a non-positive or non-finite scale
     */
    public FeatureStats {
        if (!(scale > 0) || !Double.isFinite(scale) || !Double.isFinite(centre)) {
            throw new IllegalArgumentException("feature '" + name + "': centre/scale must be finite with scale > 0, got "
                    + centre + "/" + scale);
        }
        vocabulary = vocabulary == null ? null : List.copyOf(vocabulary);
        frequencies = frequencies == null ? null : frequencies.clone();
        if (vocabulary != null && (frequencies == null || frequencies.length != vocabulary.size() + 1)) {
            throw new IllegalArgumentException("feature '" + name + "': needs one frequency per vocabulary value plus one for out-of-vocabulary");
        }
    }

    @Override
    public double[] frequencies() {
        return frequencies == null ? null : frequencies.clone();
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof FeatureStats s && s.name.equals(name) && Double.compare(s.centre, centre) == 0
                && Double.compare(s.scale, scale) == 0 && s.constant == constant && s.count == count
                && java.util.Objects.equals(s.vocabulary, vocabulary) && java.util.Arrays.equals(s.frequencies, frequencies);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(name, centre, scale, constant, vocabulary, count) * 31 + java.util.Arrays.hashCode(frequencies);
    }
}
