package dev.nelbo.registry;

import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.json.Json;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A bundle directory packed into one registry record (a zip of its regular files). Packing does not
 * verify; the receiving side verifies the unpacked directory with the bundle loader (checksums).
 */
public final class BundleArchive {

    /** Refuse archives that unpack to more than this (a registry record is small). */
    public static final long MAX_UNPACKED_BYTES = 256L * 1024 * 1024;

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
     * @param archive zip bytes from {@link #pack}
     * @param target  empty directory to unpack into
     * @throws IllegalArgumentException for an entry escaping the target or an oversized archive
     * @throws UncheckedIOException     when writing fails
     */
    public static void unpack(final byte[] archive, final Path target) {
        long total = 0;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive))) {
            Files.createDirectories(target);
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                final Path out = target.resolve(e.getName()).normalize();
                if (!out.startsWith(target.normalize()) || e.isDirectory()) {
                    if (e.isDirectory()) {
                        continue;
                    }
                    throw new IllegalArgumentException("bundle archive entry escapes the bundle: " + e.getName());
                }
                Files.createDirectories(out.getParent());
                total += copyLimited(zip, out, MAX_UNPACKED_BYTES - total);
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
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive))) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                if (e.getName().equals(Manifest.FILE_NAME)) {
                    return Json.DOCUMENTS.readValue(zip.readNBytes(MAX_MANIFEST_BYTES), Manifest.class);
                }
            }
        } catch (final IOException e) {
            throw new IllegalArgumentException("unreadable manifest in bundle archive: " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("bundle archive holds no " + Manifest.FILE_NAME);
    }

    private static long copyLimited(final InputStream in, final Path out, final long budget) throws IOException {
        final byte[] buf = new byte[64 * 1024];
        long n = 0;
        try (var os = Files.newOutputStream(out)) {
            int r;
            while ((r = in.read(buf)) > 0) {
                n += r;
                if (n > budget) {
                    throw new IllegalArgumentException("bundle archive unpacks to more than " + MAX_UNPACKED_BYTES + " bytes");
                }
                os.write(buf, 0, r);
            }
        }
        return n;
    }
}
