package dev.nelbo.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.schemas.bundle.BundleException;
import dev.nelbo.schemas.bundle.BundleSignature;
import dev.nelbo.schemas.bundle.BundleTrust;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.testing.TestBundles;
import dev.nelbo.schemas.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BundleArchiveTest {

    @TempDir
    Path dir;

    private final KeyPair trainer = BundleSignature.generate();

    @Test
    void should_round_trip_a_bundle_through_an_archive() throws Exception {
        final Manifest written = TestBundles.writeRandom(dir.resolve("v1"), TestData.fittedEncoder(11, 500), 1);
        final byte[] zip = BundleArchive.pack(dir.resolve("v1"));
        BundleArchive.unpack(zip, dir.resolve("copy"), BundleTrust.NONE);
        for (final String f : List.of("manifest.json", "encoder.onnx", "decoder.onnx")) {
            assertArrayEquals(Files.readAllBytes(dir.resolve("v1").resolve(f)), Files.readAllBytes(dir.resolve("copy").resolve(f)));
        }
        assertEquals(written.contentHash(), BundleArchive.manifest(zip).contentHash());
    }

    @Test
    void a_signature_is_checked_before_anything_is_written() throws Exception {
        TestBundles.writeRandom(dir.resolve("v1"), TestData.fittedEncoder(11, 500), 1);
        BundleSignature.sign(dir.resolve("v1"), BundleSignature.generate().getPrivate(), "prod", null);
        final byte[] byStranger = BundleArchive.pack(dir.resolve("v1"));
        final Path target = dir.resolve("refused");
        final BundleTrust trust = new BundleTrust(List.of(trainer.getPublic()), "prod");
        assertTrue(assertThrows(BundleException.class, () -> BundleArchive.unpack(byStranger, target, trust)).getMessage()
                .contains("not a valid signature"));
        assertFalse(Files.exists(target), "nothing of an unverified archive reaches the disk");

        BundleSignature.sign(dir.resolve("v1"), trainer.getPrivate(), "staging", null);
        final byte[] forStaging = BundleArchive.pack(dir.resolve("v1"));
        assertTrue(assertThrows(BundleException.class, () -> BundleArchive.unpack(forStaging, target, trust)).getMessage()
                .contains("audience 'staging'"));
        assertFalse(Files.exists(target));

        BundleSignature.sign(dir.resolve("v1"), trainer.getPrivate(), "prod", null);
        BundleArchive.unpack(BundleArchive.pack(dir.resolve("v1")), target, trust);
        assertTrue(Files.exists(target.resolve("encoder.onnx")));
    }

    @Test
    void entries_the_manifest_does_not_list_are_not_written_and_listed_ones_must_match_their_checksums() throws Exception {
        TestBundles.writeRandom(dir.resolve("v1"), TestData.fittedEncoder(11, 500), 1);
        final Map<String, byte[]> files = files(dir.resolve("v1"));
        files.put("extra.bin", new byte[] {1, 2, 3});
        BundleArchive.unpack(zip(files), dir.resolve("a"), BundleTrust.NONE);
        assertFalse(Files.exists(dir.resolve("a").resolve("extra.bin")));

        files.put("encoder.onnx", "not the graph the manifest lists".getBytes(StandardCharsets.UTF_8));
        final String m = assertThrows(IllegalArgumentException.class, () -> BundleArchive.unpack(zip(files), dir.resolve("b"),
                BundleTrust.NONE)).getMessage();
        assertTrue(m.contains("encoder.onnx") && m.contains("does not match"), m);
        assertFalse(Files.exists(dir.resolve("b").resolve("encoder.onnx")));
    }

    @Test
    void escaping_duplicate_and_too_many_entries_refuse_the_archive() throws Exception {
        TestBundles.writeRandom(dir.resolve("v1"), TestData.fittedEncoder(11, 500), 1);
        final Map<String, byte[]> files = files(dir.resolve("v1"));
        // a manifest that lists a file outside the bundle, with its right checksum
        final ObjectNode manifest = (ObjectNode) Json.DOCUMENTS.readTree(files.get(Manifest.FILE_NAME));
        ((ObjectNode) manifest.get("files")).put("../outside.txt", dev.nelbo.schemas.bundle.Checksums.sha256Hex(new byte[] {1}));
        final Map<String, byte[]> escaping = new LinkedHashMap<>(files);
        escaping.put(Manifest.FILE_NAME, Json.DOCUMENTS.writeValueAsBytes(manifest));
        escaping.put("../outside.txt", new byte[] {1});
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BundleArchive.unpack(zip(escaping), dir.resolve("evil"),
                BundleTrust.NONE)).getMessage().contains("escapes"));
        assertFalse(Files.exists(dir.resolve("outside.txt")));

        // ZipOutputStream refuses two entries of one name: write encoder.onnY, then rename it in the bytes
        final Map<String, byte[]> twice = new LinkedHashMap<>(files);
        twice.put("encoder.onnY", files.get("encoder.onnx"));
        final byte[] zip = zip(twice);
        final String archive = new String(zip, StandardCharsets.ISO_8859_1).replace("encoder.onnY", "encoder.onnx");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BundleArchive.unpack(
                archive.getBytes(StandardCharsets.ISO_8859_1), dir.resolve("twice"), BundleTrust.NONE)).getMessage()
                .contains("twice"));

        final Map<String, byte[]> many = new LinkedHashMap<>(files);
        for (int i = 0; i < BundleArchive.MAX_ENTRIES; i++) {
            many.put("junk/" + i, new byte[0]);
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BundleArchive.unpack(zip(many), dir.resolve("many"),
                BundleTrust.NONE)).getMessage().contains("more than " + BundleArchive.MAX_ENTRIES + " entries"));
        assertThrows(IllegalArgumentException.class, () -> BundleArchive.manifest(zip(Map.of("x", new byte[1]))));
    }

    private static Map<String, byte[]> files(final Path bundle) throws Exception {
        final Map<String, byte[]> files = new LinkedHashMap<>();
        for (final String f : List.of(Manifest.FILE_NAME, "encoder.onnx", "decoder.onnx")) {
            files.put(f, Files.readAllBytes(bundle.resolve(f)));
        }
        return files;
    }

    private static byte[] zip(final Map<String, byte[]> entries) throws Exception {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            for (final Map.Entry<String, byte[]> e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}
