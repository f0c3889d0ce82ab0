package dev.nelbo.registry;

import dev.nelbo.schemas.bundle.BundleSignature;
import dev.nelbo.schemas.bundle.BundleTrust;
import dev.nelbo.schemas.bundle.Checksums;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.json.Json;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A bundle directory packed into one registry record (a zip of its regular files). Packing does not
 * verify; unpacking checks the signature before it writes anything, and the receiving side then verifies the
 * unpacked directory with the bundle loader (checksums, graphs).
 */
public final class BundleArchive {

    /** Refuse archives that unpack to more than this (a registry record is small). */
    public static final long MAX_UNPACKED_BYTES = 256L * 1024 * 1024;

    /** Most entries an archive may hold: a bundle has a manifest, its signature, two graphs and a few reports. */
    public static final int MAX_ENTRIES = 64;

    private static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

    private BundleArchive() {
    }

    /**
     * @param dir bundle directory
     * @return zip bytes of every regular file under it (relative paths)
     * @throws UncheckedIOException when a file cannot be read
     */
    public static byte[] pack(final Path dir) {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes); Stream<Path> walk = Files.walk(dir)) {
            final List<Path> files = walk.filter(Files::isRegularFile).sorted().toList();
            for (final Path f : files) {
                zip.putNextEntry(new ZipEntry(dir.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, zip);
                zip.closeEntry();
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot pack bundle " + dir + ": " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }

    /**
     * Unpacks an archive, its signature checked first: the manifest and its signature are read from the archive in
     * memory and verified before any file is written, then only the files the manifest lists are written, each
     * checked against its SHA-256 as it is. Nothing unverified reaches the disk, entries are capped in number and
     * bytes, and an entry that escapes the target or comes twice refuses the archive.
     *
     * @param archive zip bytes from {@link #pack}
     * @param target  empty directory to unpack into
     * @param trust   the signatures accepted
     * @throws dev.nelbo.schemas.bundle.BundleException when the signature is missing, invalid or for another audience
     * @throws IllegalArgumentException for an archive without a readable manifest, with too many entries or bytes, an
     *                                  entry escaping the target, a duplicate, or a file that is not what the manifest
     *                                  lists
     * @throws UncheckedIOException     when writing fails
     */
    public static void unpack(final byte[] archive, final Path target, final BundleTrust trust) {
        final Map<String, byte[]> small = entries(archive, Set.of(Manifest.FILE_NAME, BundleSignature.FILE_NAME));
        final byte[] manifestBytes = small.get(Manifest.FILE_NAME);
        if (manifestBytes == null) {
            throw new IllegalArgumentException("bundle archive holds no " + Manifest.FILE_NAME);
        }
        final byte[] signature = small.get(BundleSignature.FILE_NAME);
        BundleSignature.verify(manifestBytes, signature, target.resolve(BundleSignature.FILE_NAME), trust);
        final Map<String, String> listed = parse(manifestBytes).files();
        final Set<String> seen = new HashSet<>();
        long total = 0;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive))) {
            Files.createDirectories(target);
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                final String name = e.getName();
                if (e.isDirectory() || !(listed.containsKey(name) || name.equals(Manifest.FILE_NAME)
                        || name.equals(BundleSignature.FILE_NAME))) {
                    // a file the manifest does not list is not part of the bundle: it is not written
                    continue;
                }
                if (!seen.add(name)) {
                    throw new IllegalArgumentException("bundle archive holds " + name + " twice");
                }
                final Path out = target.resolve(name).normalize();
                if (!out.startsWith(target.normalize())) {
                    throw new IllegalArgumentException("bundle archive entry escapes the bundle: " + name);
                }
                Files.createDirectories(out.getParent());
                if (name.equals(Manifest.FILE_NAME) || name.equals(BundleSignature.FILE_NAME)) {
                    // the bytes that were verified, not a second copy further on in the archive
                    Files.write(out, name.equals(Manifest.FILE_NAME) ? manifestBytes : signature);
                    continue;
                }
                total += copyChecked(zip, out, MAX_UNPACKED_BYTES - total, listed.get(name));
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot unpack bundle into " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads the manifest of an archived bundle without unpacking the graphs (not verified: checksums
     * are checked when the unpacked bundle is loaded).
     *
     * @param archive zip bytes from {@link #pack}
     * @return the manifest
     * @throws IllegalArgumentException when the archive holds no readable manifest
     */
    public static Manifest manifest(final byte[] archive) {
        final byte[] bytes = entries(archive, Set.of(Manifest.FILE_NAME)).get(Manifest.FILE_NAME);
        if (bytes == null) {
            throw new IllegalArgumentException("bundle archive holds no " + Manifest.FILE_NAME);
        }
        return parse(bytes);
    }

    private static Manifest parse(final byte[] manifest) {
        try {
            return Json.DOCUMENTS.readValue(manifest, Manifest.class);
        } catch (final IOException e) {
            throw new IllegalArgumentException("unreadable manifest in bundle archive: " + e.getMessage(), e);
        }
    }

    /**
     * One pass over the archive (inflating it is the cost): the first entry of each of {@code names} (a manifest or a
     * signature, so at most {@value #MAX_MANIFEST_BYTES} bytes each), the archive's entries counted against
     * {@link #MAX_ENTRIES}.
     *
     * @return the bytes found, by name (a name the archive lacks is absent)
     */
    private static Map<String, byte[]> entries(final byte[] archive, final Set<String> names) {
        int entries = 0;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive))) {
            ZipEntry e;
            final Map<String, byte[]> found = new HashMap<>();
            while ((e = zip.getNextEntry()) != null) {
                if (++entries > MAX_ENTRIES) {
                    throw new IllegalArgumentException("bundle archive holds more than " + MAX_ENTRIES + " entries");
                }
                final String name = e.getName();
                if (names.contains(name) && !found.containsKey(name)) {
                    final byte[] bytes = zip.readNBytes(MAX_MANIFEST_BYTES + 1);
                    if (bytes.length > MAX_MANIFEST_BYTES) {
                        throw new IllegalArgumentException("bundle archive's " + name + " is over " + MAX_MANIFEST_BYTES
                                + " bytes");
                    }
                    found.put(name, bytes);
                }
            }
            return found;
        } catch (final IOException e) {
            throw new IllegalArgumentException("unreadable bundle archive: " + e.getMessage(), e);
        }
    }

    /** Copies at most {@code budget} bytes, which must have the SHA-256 {@code sha256} (hex). */
    private static long copyChecked(final InputStream in, final Path out, final long budget, final String sha256)
            throws IOException {
        final MessageDigest digest = Checksums.sha256();
        final byte[] buf = new byte[64 * 1024];
        long n = 0;
        try (var os = Files.newOutputStream(out)) {
            int r;
            while ((r = in.read(buf)) > 0) {
                n += r;
                if (n > budget) {
                    throw new IllegalArgumentException("bundle archive unpacks to more than " + MAX_UNPACKED_BYTES + " bytes");
                }
                digest.update(buf, 0, r);
                os.write(buf, 0, r);
            }
        }
        final String actual = HexFormat.of().formatHex(digest.digest());
        if (!actual.equalsIgnoreCase(sha256)) {
            Files.delete(out);
            throw new IllegalArgumentException("bundle archive's " + out.getFileName() + " does not match its manifest"
                    + " checksum (manifest " + sha256 + ", archive " + actual + ")");
        }
        return n;
    }
}
