package dev.nelbo.registry;

import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.testing.TestBundles;
import dev.nelbo.schemas.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BundleArchiveTest {

    @TempDir
    Path dir;

    @Test
    void should_round_trip_a_bundle_through_an_archive_and_refuse_escaping_entries() throws Exception {
        final Manifest written = TestBundles.writeRandom(dir.resolve("v1"), TestData.fittedEncoder(11, 500), 1);
        final byte[] zip = BundleArchive.pack(dir.resolve("v1"));
        BundleArchive.unpack(zip, dir.resolve("copy"));
        for (final String f : List.of("manifest.json", "encoder.onnx", "decoder.onnx")) {
            assertArrayEquals(Files.readAllBytes(dir.resolve("v1").resolve(f)), Files.readAllBytes(dir.resolve("copy").resolve(f)));
        }
        assertEquals(written.contentHash(), BundleArchive.manifest(zip).contentHash());
        final ByteArrayOutputStream evil = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(evil)) {
            z.putNextEntry(new ZipEntry("../outside.txt"));
            z.write(1);
            z.closeEntry();
        }
        assertThrows(IllegalArgumentException.class, () -> BundleArchive.unpack(evil.toByteArray(), dir.resolve("evil")));
        assertFalse(Files.exists(dir.resolve("outside.txt")));
        assertThrows(IllegalArgumentException.class, () -> BundleArchive.manifest(evil.toByteArray()));
    }
}
