package dev.nelbo.schemas.event;

import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 (RFC 3629), as events and keys must be. Java's decoder and Jackson's parser are lenient in ways that
 * let two different byte strings read as the same text, or one text be read in two ways: Jackson accepts a byte
 * order mark and guesses UTF-16 or UTF-32 from zero bytes, and {@code new String(bytes, UTF_8)} turns every
 * invalid sequence into U+FFFD. This check refuses overlong forms, encoded surrogates (CESU-8), code points past
 * U+10FFFF, truncated sequences, a leading byte order mark, and NUL bytes (which JSON never has outside an escape,
 * and which is how UTF-16 and UTF-32 text looks to a UTF-8 reader).
 */
public final class Utf8 {

    private Utf8() {
    }

    /**
     * @param document JSON text
     * @return the index of the first byte that is not strict UTF-8, a NUL, or a leading byte order mark; -1 when
     *         there is none
     */
    public static int firstInvalid(final byte[] document) {
        return startsWithByteOrderMark(document) ? 0 : scan(document, true);
    }

    /**
     * @param bytes the bytes
     * @return whether they start with UTF-8's byte order mark (EF BB BF)
     */
    public static boolean startsWithByteOrderMark(final byte[] bytes) {
        return bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB && (bytes[2] & 0xFF) == 0xBF;
    }

    /**
     * @param text any text (a key, where a NUL or a leading U+FEFF is a character like another)
     * @return whether it is strict UTF-8
     */
    public static boolean isStrict(final byte[] text) {
        return scan(text, false) < 0;
    }

    private static int scan(final byte[] bytes, final boolean refuseNul) {
        final int n = bytes.length;
        int i = 0;
        while (i < n) {
            final int b = bytes[i];
            if (b > 0) {
                i++;
                continue;
            }
            if (b == 0) {
                if (refuseNul) {
                    return i;
                }
                i++;
                continue;
            }
            final int lead = b & 0xFF;
            final int len;
            final int lo;
            final int hi;
            if (lead >= 0xC2 && lead <= 0xDF) {
                len = 2;
                lo = 0x80;
                hi = 0xBF;
            } else if (lead >= 0xE0 && lead <= 0xEF) {
                len = 3;
                // E0: no overlong forms below U+0800; ED: no surrogates U+D800..U+DFFF
                lo = lead == 0xE0 ? 0xA0 : 0x80;
                hi = lead == 0xED ? 0x9F : 0xBF;
            } else if (lead >= 0xF0 && lead <= 0xF4) {
                len = 4;
                // F0: no overlong forms below U+10000; F4: nothing past U+10FFFF
                lo = lead == 0xF0 ? 0x90 : 0x80;
                hi = lead == 0xF4 ? 0x8F : 0xBF;
            } else {
                return i;
            }
            if (i + len > n) {
                return i;
            }
            final int second = bytes[i + 1] & 0xFF;
            if (second < lo || second > hi) {
                return i;
            }
            for (int k = 2; k < len; k++) {
                if ((bytes[i + k] & 0xC0) != 0x80) {
                    return i;
                }
            }
            i += len;
        }
        return -1;
    }

    /**
     * The text of a Kafka key. Strict UTF-8 reads as itself; any other bytes read as U+FFFD followed by
     * {@code hex:} and the bytes in hex, so that two different invalid keys stay two keys (Java's decoder would make
     * both U+FFFD).
     *
     * @param key the key bytes
     * @return its text
     */
    public static String keyText(final byte[] key) {
        if (isStrict(key)) {
            return new String(key, StandardCharsets.UTF_8);
        }
        final StringBuilder s = new StringBuilder(5 + 2 * key.length).append("\uFFFDhex:");
        for (final byte b : key) {
            s.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return s.toString();
    }

    /**
     * @param s a string
     * @return the index of its first surrogate that is not half of a pair, or -1 (such text has no UTF-8 form:
     *         encoding it writes {@code ?}, so two different strings would become one)
     */
    public static int loneSurrogate(final String s) {
        final int n = s.length();
        for (int i = 0; i < n; i++) {
            final char c = s.charAt(i);
            if (!Character.isSurrogate(c)) {
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
                continue;
            }
            return i;
        }
        return -1;
    }
}
