package dev.nelbo.schemas.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers for bundle files. */
public final class Checksums {

    private Checksums() {
    }

    /** @return a new SHA-256 digest */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    /**
     * @param file file to hash
     * @return lower-case hex SHA-256 of the file's bytes
     */
    public static String sha256Hex(final Path file) {
        final MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            final byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** @return lower-case hex SHA-256 of bytes */
    public static String sha256Hex(final byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }
}
