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

    /**
     * Feeds a binary parser (Avro, Protobuf) {@code n} generated values, half arbitrary bytes and half a valid record
     * with one to four bytes set to any value (union, enum and field numbers, lengths and flags out of range, a framed
     * record's magic byte and schema id), and checks each reads or fails with one of the typed reasons allowed.
     *
     * @param parser  the parser
     * @param valid   a valid record of its type
     * @param seed    seed
     * @param n       values to try
     * @param allowed the failure reasons the parser may give ({@code malformed}, {@code too_large}, ...)
     * @return how many read (neither none nor all, for a sound test)
     */
    public static int readOrTypedFailure(final dev.nelbo.schemas.event.EventParser parser, final byte[] valid, final long seed,
                                         final int n, final java.util.Set<dev.nelbo.schemas.encoding.FailureReason> allowed) {
        final Random rnd = new Random(seed);
        final dev.nelbo.schemas.event.EventFields fields = parser.newFields();
        int ok = 0;
        for (int i = 0; i < n; i++) {
            final byte[] b;
            if (rnd.nextBoolean()) {
                b = arbitraryBytes(rnd, 80);
            } else {
                b = valid.clone();
                for (int k = rnd.nextInt(4); k >= 0; k--) {
                    b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                }
            }
            try {
                parser.read(b, fields);
                ok++;
            } catch (final dev.nelbo.schemas.encoding.EncodingException e) {
                if (!allowed.contains(e.reason())) {
                    throw new AssertionError("value " + i + " of seed " + seed + ": " + e.reason() + ": " + e.getMessage(), e);
                }
            }
        }
        return ok;
    }
}
