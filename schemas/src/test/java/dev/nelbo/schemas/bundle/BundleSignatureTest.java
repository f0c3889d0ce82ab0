package dev.nelbo.schemas.bundle;

import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.testing.TestBundles;
import dev.nelbo.schemas.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BundleSignatureTest {

    @TempDir
    Path dir;

    private final FeatureEncoder encoder = TestData.fittedEncoder(4, 300);
    private final KeyPair trainer = BundleSignature.generate();
    private final KeyPair other = BundleSignature.generate();

    private Path bundle(final String name, final long seed) {
        final Path b = dir.resolve(name);
        TestBundles.writeRandom(b, encoder, seed);
        return b;
    }

    private static String refusal(final Path bundle, final List<PublicKey> trusted) {
        return assertThrows(BundleException.class, () -> ModelBundle.load(bundle, trusted)).getMessage();
    }

    @Test
    void a_signed_bundle_loads_with_its_key_and_any_other_bundle_is_refused_once_keys_are_trusted() throws Exception {
        final Path signed = bundle("signed", 1);
        BundleSignature.sign(signed, trainer.getPrivate());
        assertEquals(ModelBundle.load(signed).manifest(), ModelBundle.load(signed, List.of(trainer.getPublic())).manifest());
        ModelBundle.load(signed, List.of(other.getPublic(), trainer.getPublic()));

        final Path unsigned = bundle("unsigned", 2);
        ModelBundle.load(unsigned);
        assertTrue(refusal(unsigned, List.of(trainer.getPublic())).contains("not signed"));

        final Path byOther = bundle("other", 3);
        BundleSignature.sign(byOther, other.getPrivate());
        final String wrong = refusal(byOther, List.of(trainer.getPublic()));
        assertTrue(wrong.contains("not a valid signature by any trusted key")
                && wrong.contains(BundleSignature.keyId(trainer.getPublic())), wrong);
    }

    @Test
    void any_change_to_the_signed_manifest_breaks_the_signature() throws Exception {
        final Path b = bundle("b", 4);
        BundleSignature.sign(b, trainer.getPrivate());
        final Path manifest = b.resolve(Manifest.FILE_NAME);
        final String text = Files.readString(manifest);
        // a threshold that never alerts, checksums untouched: only the signature can tell
        final String raised = text.replaceFirst("\"threshold\"\\s*:\\s*[0-9.eE+-]+", "\"threshold\" : 1.0E308");
        assertFalse(raised.equals(text));
        Files.writeString(manifest, raised);
        ModelBundle.load(b);
        assertTrue(refusal(b, List.of(trainer.getPublic())).contains("altered"));
    }

    @Test
    void a_rewritten_bundle_drops_its_stale_signature() {
        final Path b = bundle("b", 5);
        BundleSignature.sign(b, trainer.getPrivate());
        assertTrue(Files.exists(b.resolve(BundleSignature.FILE_NAME)));
        TestBundles.writeRandom(b, encoder, 6);
        assertFalse(Files.exists(b.resolve(BundleSignature.FILE_NAME)), "a signature of the old manifest is deleted");
    }

    /**
     * A signature binds the deployment it was signed for and a rollback time: neither can be changed or dropped
     * without breaking it, a deployment that names an audience refuses the others, and a rollback time orders the
     * bundle after the models created before it.
     */
    @Test
    void a_signature_binds_its_audience_and_rollback_time() throws Exception {
        final Path b = bundle("b", 7);
        final java.time.Instant rollback = java.time.Instant.parse("2030-01-01T00:00:00Z");
        BundleSignature.sign(b, trainer.getPrivate(), "prod-eu", rollback);
        final BundleTrust prod = new BundleTrust(List.of(trainer.getPublic()), "prod-eu");
        final ModelBundle loaded = ModelBundle.load(b, prod);
        assertEquals(new BundleSignature.Signed("prod-eu", rollback), loaded.signed());
        assertEquals(rollback, loaded.orderedAt(), "the rollback, later than the bundle's creation, orders it");
        assertEquals(java.time.Instant.parse(loaded.manifest().createdAt()), ModelBundle.load(bundle("c", 8)).orderedAt());
        ModelBundle.load(b, List.of(trainer.getPublic()));

        final String staging = assertThrows(BundleException.class, () -> ModelBundle.load(b,
                new BundleTrust(List.of(trainer.getPublic()), "staging"))).getMessage();
        assertTrue(staging.contains("audience 'prod-eu'") && staging.contains("'staging'"), staging);

        final Path sig = b.resolve(BundleSignature.FILE_NAME);
        final String text = Files.readString(sig);
        for (final String forged : List.of(text.replace("prod-eu", "staging"), text.replace("2030-01-01", "2031-01-01"),
                text.replaceAll(",\\s*\"rollback_at\"\\s*:\\s*\"[^\"]*\"", ""))) {
            assertFalse(forged.equals(text));
            Files.writeString(sig, forged);
            assertTrue(refusal(b, List.of(trainer.getPublic())).contains("not a valid signature"), forged);
        }
        BundleSignature.sign(b, trainer.getPrivate());
        assertTrue(assertThrows(BundleException.class, () -> ModelBundle.load(b, prod)).getMessage()
                .contains("signed for any audience"), "a signature without audience does not serve where one is required");
        assertThrows(IllegalArgumentException.class, () -> BundleSignature.sign(b, trainer.getPrivate(), "a\nrollback_at=x", null));
        assertThrows(IllegalArgumentException.class, () -> new BundleTrust(List.of(), "prod"));
    }

    @Test
    void keys_round_trip_through_pem_text_and_files() throws Exception {
        final String privatePem = BundleSignature.pem(trainer.getPrivate());
        final String publicPem = BundleSignature.pem(trainer.getPublic());
        assertTrue(privatePem.startsWith("-----BEGIN PRIVATE KEY-----") && publicPem.startsWith("-----BEGIN PUBLIC KEY-----"));
        assertEquals(trainer.getPrivate(), BundleSignature.privateKey(privatePem));
        final Path a = Files.writeString(dir.resolve("a.pem"), publicPem, StandardCharsets.US_ASCII);
        final Path o = Files.writeString(dir.resolve("o.pem"), BundleSignature.pem(other.getPublic()), StandardCharsets.US_ASCII);
        assertEquals(List.of(trainer.getPublic(), other.getPublic()), BundleSignature.trustedKeys(a + "," + o));
        assertEquals(List.of(trainer.getPublic(), other.getPublic()),
                BundleSignature.trustedKeys(publicPem + BundleSignature.pem(other.getPublic())));
        assertEquals(privatePem, BundleSignature.pemText(Files.writeString(dir.resolve("k"), privatePem).toString()));
        assertThrows(IllegalArgumentException.class, () -> BundleSignature.privateKey(publicPem));
        assertThrows(IllegalArgumentException.class, () -> BundleSignature.trustedKeys(privatePem));
    }

    @Test
    void a_mangled_secret_is_never_echoed_in_the_error() {
        // a private key pasted without its PEM armour is neither PEM nor a path
        final String secret = java.util.Base64.getEncoder().encodeToString(trainer.getPrivate().getEncoded()) + "\n extra";
        final String message = assertThrows(IllegalArgumentException.class, () -> BundleSignature.pemText(secret)).getMessage();
        assertFalse(message.contains(secret.substring(0, 20)), message);
        assertTrue(message.contains("neither PEM text nor a readable key file"), message);
    }
}
