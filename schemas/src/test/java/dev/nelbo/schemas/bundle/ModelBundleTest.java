package dev.nelbo.schemas.bundle;

import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.testing.TestBundles;
import dev.nelbo.schemas.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelBundleTest {

    private final FeatureEncoder encoder = TestData.fittedEncoder(2, 500);

    private static void assertRefused(final Path dir, final String file, final String problem) {
        final BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(dir));
        assertTrue(e.getMessage().contains(file) && e.getMessage().contains(problem), e.getMessage());
    }

    @Test
    void a_written_bundle_loads_with_its_encoder_and_version(@TempDir final Path dir) {
        final Manifest written = TestBundles.writeRandom(dir, encoder, 1);
        final ModelBundle b = ModelBundle.load(dir);
        assertEquals(written, b.manifest());
        assertEquals(encoder.layout(), b.encoder().layout());
        assertTrue(b.version().matches("20260101T000000Z-[0-9a-f]{8}"), b.version());
        assertEquals(written.contentHash().substring(0, 8), b.version().substring(b.version().length() - 8));
        // same weights, same data: same content hash (a retrain recognises it produced nothing new)
        assertEquals(written.contentHash(), TestBundles.writeRandom(dir.resolve("again"), encoder, 1).contentHash());
        assertTrue(!written.contentHash().equals(TestBundles.writeRandom(dir.resolve("other"), encoder, 2).contentHash()));
    }

    @Test
    void one_flipped_byte_in_the_decoder_is_refused(@TempDir final Path dir) throws Exception {
        TestBundles.writeRandom(dir, encoder, 1);
        final Path dec = dir.resolve("decoder.onnx");
        final byte[] bytes = Files.readAllBytes(dec);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(dec, bytes);
        assertRefused(dir, "decoder.onnx", "SHA-256 mismatch");
    }

    @Test
    void truncated_missing_and_foreign_files_are_refused(@TempDir final Path dir) throws Exception {
        TestBundles.writeRandom(dir, encoder, 1);
        Files.write(dir.resolve("encoder.onnx"), new byte[10], StandardOpenOption.TRUNCATE_EXISTING);
        assertRefused(dir, "encoder.onnx", "SHA-256 mismatch");

        TestBundles.writeRandom(dir, encoder, 1);
        Files.delete(dir.resolve("decoder.onnx"));
        assertRefused(dir, "decoder.onnx", "missing");

        TestBundles.writeRandom(dir, encoder, 1);
        Files.delete(dir.resolve("manifest.json"));
        assertRefused(dir, "manifest.json", "missing");

        TestBundles.writeRandom(dir, encoder, 1);
        final String text = Files.readString(dir.resolve("manifest.json"));
        Files.writeString(dir.resolve("manifest.json"), text.substring(0, text.length() / 2));
        assertRefused(dir, "manifest.json", "not valid JSON");

        assertRefused(dir.resolve("nope"), "nope", "not a directory");
    }

    @Test
    void unsupported_schema_version_and_schema_violations_are_refused(@TempDir final Path dir) throws Exception {
        TestBundles.writeRandom(dir, encoder, 1);
        final Path mf = dir.resolve("manifest.json");
        final String text = Files.readString(mf);
        Files.writeString(mf, text.replace("\"schema_version\" : 1", "\"schema_version\" : 2"));
        assertRefused(dir, "manifest.json", "schema_version 2 is not supported");
        Files.writeString(mf, text.replace("\"latent_dim\" : 4", "\"latent_dim\" : \"four\""));
        assertRefused(dir, "manifest.json", "$.architecture.latent_dim");
    }
}
