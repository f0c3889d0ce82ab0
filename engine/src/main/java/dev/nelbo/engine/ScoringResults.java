package dev.nelbo.engine;

/**
 * Reusable per-record results of {@link ScoringEngine#score}, indexed by the record's row in the
 * batch. Overwritten by the next call; not thread-safe.
 */
public final class ScoringResults {

    private final int capacity;
    private final int featureCount;
    final double[] nelbo;
    final double[] reconNll;
    final double[] kl;
    final double[] iwNll;
    final double[] tailProbability;
    final boolean[] anomaly;
    final double[] threshold;
    private final double[] typical;
    /** Scratch for {@link #topFeatures}: each feature's excess in the row being ranked. */
    private final double[] rank;
    final double[] contributions;
    final double[] expected;
    int size;

    /**
     * @param capacity     most records
     * @param featureCount features F per record
     */
    public ScoringResults(final int capacity, final int featureCount) {
        this(capacity, featureCount, null);
    }

    /**
     * @param capacity     most records
     * @param featureCount features F per record
     * @param typical      each feature's typical contribution, which {@link #topFeatures} ranks the excess over
     *                     (null: raw contributions)
     */
    public ScoringResults(final int capacity, final int featureCount, final double[] typical) {
        if (typical != null && typical.length != featureCount) {
            throw new IllegalArgumentException(typical.length + " typical contributions for " + featureCount + " features");
        }
        this.typical = typical == null ? new double[featureCount] : typical.clone();
        if (capacity < 1 || featureCount < 1) {
            throw new IllegalArgumentException("results capacity and feature count must be positive, got "
                    + capacity + ", " + featureCount);
        }
        this.capacity = capacity;
        this.featureCount = featureCount;
        this.rank = new double[featureCount];
        this.nelbo = new double[capacity];
        this.reconNll = new double[capacity];
        this.kl = new double[capacity];
        this.iwNll = new double[capacity];
        this.tailProbability = new double[capacity];
        this.anomaly = new boolean[capacity];
        this.threshold = new double[capacity];
        this.contributions = new double[capacity * featureCount];
        this.expected = new double[capacity * featureCount];
    }

    /** @return records scored by the last call */
    public int size() {
        return size;
    }

    /** @return most records */
    public int capacity() {
        return capacity;
    }

    /** @return features F per record (the manifest's column blocks, in order) */
    public int featureCount() {
        return featureCount;
    }

    /**
     * @param row record row
     * @return the score: negative ELBO = {@link #reconNll} + {@link #kl} (nats)
     */
    public double nelbo(final int row) {
        return nelbo[check(row)];
    }

    /**
     * @param row record row
     * @return reconstruction negative log-likelihood over observed features, mean over the samples
     */
    public double reconNll(final int row) {
        return reconNll[check(row)];
    }

    /**
     * @param row record row
     * @return KL(q(z|x) || N(0, I)), closed form
     */
    public double kl(final int row) {
        return kl[check(row)];
    }

    /**
     * @param row record row
     * @return importance-weighted estimate of {@code -log p(x)} from the same samples (never above
     *         the sample estimate of the negative ELBO in expectation; tighter as L grows)
     */
    public double iwNll(final int row) {
        return iwNll[check(row)];
    }

    /**
     * @param row record row
     * @return {@code P(score > this score)} for training records under the model's calibration, or
     *         NaN when the model has no calibration
     */
    public double tailProbability(final int row) {
        return tailProbability[check(row)];
    }

    /**
     * @param row record row
     * @return the threshold the record was judged by: the model's, or its context value's (NaN without calibration)
     */
    public double threshold(final int row) {
        return threshold[check(row)];
    }

    /**
     * @param row record row
     * @return whether the score is above its threshold, or not a number (always false without calibration)
     */
    public boolean anomaly(final int row) {
        return anomaly[check(row)];
    }

    /**
     * @param row     record row
     * @param feature feature index
     * @return the feature's share of {@link #reconNll} (0 when the feature is missing); the shares of
     *         a record sum to its reconNll
     */
    public double contribution(final int row, final int feature) {
        return contributions[check(row) * featureCount + checkFeature(feature)];
    }

    /**
     * @param row     record row
     * @param feature feature index
     * @return what the decoder expects for the feature (mean over samples): the mean for a Gaussian
     *         feature, the probability of 1 for a Bernoulli feature, the most probable category's
     *         index within its block for a categorical feature
     */
    public double expected(final int row, final int feature) {
        return expected[check(row) * featureCount + checkFeature(feature)];
    }

    /**
     * @param row     row index
     * @param feature reconstructed feature index
     * @return the feature's contribution above its typical one (the raw contribution when the model has no typical
     *         values): what an alert ranks features by
     */
    public double excess(final int row, final int feature) {
        return contribution(row, feature) - typical[feature];
    }

    /**
     * The features most unusual in a record, largest first, without allocating (for alerts: "which features made this
     * record anomalous"): ranked by contribution minus the feature's typical contribution when the model has those
     * (a noisy feature always contributes much and is not unusual for it), else by contribution.
     *
     * @param row  record row
     * @param into receives feature indices; its length is how many to return (at most F)
     * @return how many indices were written: {@code min(into.length, F)}
     */
    public int topFeatures(final int row, final int[] into) {
        check(row);
        for (int f = 0; f < featureCount; f++) {
            rank[f] = excess(row, f);
        }
        return largest(rank, featureCount, into);
    }

    /**
     * The indices of the largest values, largest first (the lower index first among equals), without allocating.
     *
     * @param values the values
     * @param n      how many of them count (the first n)
     * @param into   receives indices; its length is how many to return (at most n)
     * @return how many indices were written: {@code min(into.length, n)}
     */
    public static int largest(final double[] values, final int n, final int[] into) {
        final int count = Math.min(into.length, n);
        for (int filled = 0; filled < count; filled++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (!alreadyChosen(into, filled, i) && (best < 0 || values[i] > values[best])) {
                    best = i;
                }
            }
            into[filled] = best;
        }
        return count;
    }

    private static boolean alreadyChosen(final int[] chosen, final int filled, final int index) {
        for (int i = 0; i < filled; i++) {
            if (chosen[i] == index) {
                return true;
            }
        }
        return false;
    }

    private int check(final int row) {
        if (row < 0 || row >= size) {
            throw new IndexOutOfBoundsException("row " + row + " outside the " + size + " scored records");
        }
        return row;
    }

    private int checkFeature(final int feature) {
        if (feature < 0 || feature >= featureCount) {
            throw new IndexOutOfBoundsException("feature " + feature + " outside 0.." + (featureCount - 1));
        }
        return feature;
    }
}
