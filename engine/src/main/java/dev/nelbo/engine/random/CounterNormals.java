package dev.nelbo.engine.random;

/**
 * Counter-based standard normal numbers: the {@code n}-th number for a seed is a pure function of
 * {@code (seed, n)}, so a record gets the same reparameterisation noise whatever batch it lands in,
 * at whatever position, on whatever thread, in a replay or in another JVM.
 *
 * <p>A record's seed is {@link #seed(long, long) seed(}{@link #hash(CharSequence) hash(record id)},
 * {@link #hash(CharSequence) hash(model version)}{@code )}; number {@code n} is
 * {@code Phi^-1(uniform(SplitMix64(seed + (n + 1) * golden)))}. Nothing here allocates or keeps state.
 */
public final class CounterNormals {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;
    private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

    private CounterNormals() {
    }

    /**
     * A 64-bit hash of a string's UTF-16 code units (FNV-1a, then a MurmurHash3 finaliser so that
     * ids differing in one character get unrelated seeds). Allocation-free.
     *
     * @param text the record id or model version
     * @return the hash
     */
    public static long hash(final CharSequence text) {
        long h = FNV_OFFSET;
        for (int i = 0, n = text.length(); i < n; i++) {
            h = (h ^ text.charAt(i)) * FNV_PRIME;
        }
        return fmix64(h);
    }

    /**
     * Combines a record id hash with a model version hash: a new model version draws fresh noise
     * for every record, while one version is reproducible.
     *
     * @param idHash      {@link #hash(CharSequence)} of the record id
     * @param versionHash {@link #hash(CharSequence)} of the model version
     * @return the record's seed
     */
    public static long seed(final long idHash, final long versionHash) {
        return fmix64(idHash ^ Long.rotateLeft(versionHash, 29) ^ GOLDEN_GAMMA);
    }

    /**
     * @param seed    a record's seed
     * @param counter index of the number in the record's stream (sample * latent + dimension)
     * @return a uniform number in the open interval (0, 1), a multiple of 2^-53 plus 2^-54
     */
    public static double uniform(final long seed, final long counter) {
        final long bits = splitMix64(seed + (counter + 1) * GOLDEN_GAMMA);
        return ((bits >>> 11) + 0.5) * TWO_POW_MINUS_53;
    }

    /**
     * @param seed    a record's seed
     * @param counter index of the number in the record's stream
     * @return a standard normal number
     */
    public static double normal(final long seed, final long counter) {
        return InverseNormalCdf.quantile(uniform(seed, counter));
    }

    /**
     * Numbers {@code first .. first + count - 1} of a seed's stream, bit-identical to calling
     * {@link #normal} for each counter but much faster (see {@link InverseNormalCdf#quantiles}).
     *
     * @param seed     a record's seed
     * @param first    counter of the first number
     * @param scratch  working space, at least {@code count} long
     * @param out      receives the numbers at {@code [0, count)}
     * @param count    how many
     */
    public static void normals(final long seed, final long first, final double[] scratch, final double[] out,
                               final int count) {
        for (int i = 0; i < count; i++) {
            scratch[i] = uniform(seed, first + i);
        }
        InverseNormalCdf.quantiles(scratch, out, 0, count);
    }

    private static long splitMix64(final long state) {
        long z = state;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static long fmix64(final long value) {
        long h = value;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
