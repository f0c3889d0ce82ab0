package dev.nelbo.schemas.testing;

import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Generated hostile inputs for the "no record can stop it" tests in every module: each is a function of a
 * seeded {@link Random}, so a failing case is reproduced from the seed in its message.
 */
public final class GeneratedInputs {

    /** Bytes that change the structure of JSON when they replace another: brackets, quotes, digits, escapes. */
    private static final byte[] EDITS = "{}[]\",:0123456789eE.-+ntfalsu\\".getBytes(StandardCharsets.US_ASCII);

    private GeneratedInputs() {
    }

    /**
     * @param rnd     randomness
     * @param maxSize longest array
     * @return uniformly random bytes of a random length (sometimes empty)
     */
    public static byte[] arbitraryBytes(final Random rnd, final int maxSize) {
        final byte[] b = new byte[rnd.nextInt(maxSize + 1)];
        rnd.nextBytes(b);
        return b;
    }

    /**
     * @param rnd   randomness
     * @param valid a valid document
     * @return a copy with one to four bytes replaced by structural characters (one in ten a non-UTF-8 byte),
     *         sometimes cut short: the inputs a fuzzer explores first, close to the happy path
     */
    public static byte[] mutate(final Random rnd, final byte[] valid) {
        final byte[] out = rnd.nextInt(8) == 0 ? java.util.Arrays.copyOf(valid, rnd.nextInt(valid.length)) : valid.clone();
        if (out.length == 0) {
            return out;
        }
        final int edits = 1 + rnd.nextInt(4);
        for (int i = 0; i < edits; i++) {
            out[rnd.nextInt(out.length)] = rnd.nextInt(10) == 0 ? (byte) 0xff : EDITS[rnd.nextInt(EDITS.length)];
        }
        return out;
    }
}
