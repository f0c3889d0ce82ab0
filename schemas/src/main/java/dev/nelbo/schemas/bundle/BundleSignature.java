package dev.nelbo.schemas.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.nelbo.schemas.json.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Ed25519 signatures of model bundles (the JDK's {@code Signature} "Ed25519"). The trainer signs
 * {@value Manifest#FILE_NAME}'s bytes, which list every other file with its SHA-256, so the signature covers the
 * whole bundle; it is stored beside them in {@value #FILE_NAME}. A signature can also bind the deployment the bundle is
 * for (its audience, {@link BundleTrust}) and the time of a rollback to it (which lets an older bundle serve after
 * newer ones: without it, a scorer refuses a bundle older than one it served). Keys are PEM text ({@code PRIVATE KEY}:
 * PKCS#8, {@code PUBLIC KEY}: X.509 SubjectPublicKeyInfo), as {@code openssl genpkey -algorithm ed25519} writes
 * them and {@link #generate} does.
 */
public final class BundleSignature {

    /** The signature file in a bundle directory. */
    public static final String FILE_NAME = "manifest.sig";
    /** The one algorithm. */
    public static final String ALGORITHM = "Ed25519";

    private BundleSignature() {
    }

    /**
     * The signature file's content.
     *
     * @param algorithm  always {@value #ALGORITHM}
     * @param signature  base64 signature of {@link #signedText}
     * @param audience   the deployment it was signed for, or null (any)
     * @param rollbackAt when it was signed as a rollback to this (older) bundle, or null
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record SignatureFile(String algorithm, String signature, String audience, String rollbackAt) {
    }

    /**
     * What a valid signature says besides the manifest.
     *
     * @param audience   the deployment it was signed for, or null (any)
     * @param rollbackAt when it was signed as a rollback, or null
     */
    public record Signed(String audience, Instant rollbackAt) {
        /** What an unchecked (or absent) signature says: nothing. */
        public static final Signed NOTHING = new Signed(null, null);
    }

    /**
     * Signs a bundle for any audience.
     *
     * @param bundleDir bundle directory (its manifest is final)
     * @param key       the Ed25519 private key
     * @throws UncheckedIOException when the manifest cannot be read or the signature written
     */
    public static void sign(final Path bundleDir, final PrivateKey key) {
        sign(bundleDir, key, null, null);
    }

    /**
     * Signs a bundle: writes {@value #FILE_NAME} next to its manifest (replacing any).
     *
     * @param bundleDir  bundle directory (its manifest is final)
     * @param key        the Ed25519 private key
     * @param audience   the deployment the bundle is for ({@link BundleTrust#audience}), or null for any
     * @param rollbackAt the time of a rollback to this bundle, which lets it serve after newer ones, or null
     * @throws UncheckedIOException when the manifest cannot be read or the signature written
     */
    public static void sign(final Path bundleDir, final PrivateKey key, final String audience, final Instant rollbackAt) {
        BundleTrust.requireAudience(audience);
        final String at = rollbackAt == null ? null : rollbackAt.toString();
        try {
            final Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(key);
            s.update(signedText(Files.readAllBytes(bundleDir.resolve(Manifest.FILE_NAME)), audience, at));
            final SignatureFile file = new SignatureFile(ALGORITHM, Base64.getEncoder().encodeToString(s.sign()), audience, at);
            Json.DOCUMENTS.writeValue(bundleDir.resolve(FILE_NAME).toFile(), file);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot sign bundle " + bundleDir, e);
        } catch (final GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign with the given key: " + e.getMessage()
                    + " (an Ed25519 private key is required)", e);
        }
    }

    /**
     * What is signed: the manifest's bytes alone (as signatures without audience and rollback always were), or,
     * with either, a header naming both before them, so neither can be changed or dropped without the key.
     */
    private static byte[] signedText(final byte[] manifest, final String audience, final String rollbackAt) {
        if (audience == null && rollbackAt == null) {
            return manifest;
        }
        final byte[] header = ("nelbo-bundle-signature/1\naudience=" + (audience == null ? "" : audience) + "\nrollback_at="
                + (rollbackAt == null ? "" : rollbackAt) + "\n").getBytes(StandardCharsets.UTF_8);
        final byte[] text = java.util.Arrays.copyOf(header, header.length + manifest.length);
        System.arraycopy(manifest, 0, text, header.length, manifest.length);
        return text;
    }

    /**
     * Checks a bundle directory's signature.
     *
     * @param bundleDir bundle directory
     * @param trust     what is accepted
     * @return what the signature says ({@link Signed#NOTHING} when signatures are not checked)
     * @throws BundleException when keys are given and the bundle is unsigned, signed by another key or for another
     *                         audience, or altered
     */
    public static Signed verify(final Path bundleDir, final BundleTrust trust) {
        if (!trust.checksSignatures()) {
            return Signed.NOTHING;
        }
        final Path sigFile = bundleDir.resolve(FILE_NAME);
        try {
            return verify(Files.readAllBytes(bundleDir.resolve(Manifest.FILE_NAME)),
                    Files.exists(sigFile) ? Files.readAllBytes(sigFile) : null, sigFile, trust);
        } catch (final IOException e) {
            throw new BundleException(sigFile, "cannot be checked: " + e.getMessage(), e);
        }
    }

    /**
     * Checks a signature over manifest bytes, before anything else of the bundle is read or written.
     *
     * @param manifest  the manifest's bytes
     * @param signature the signature file's bytes, or null when the bundle has none
     * @param sigFile   where the signature file is (or would be), for messages
     * @param trust     what is accepted
     * @return what the signature says ({@link Signed#NOTHING} when signatures are not checked)
     * @throws BundleException when keys are given and the signature is missing, invalid or for another audience
     */
    public static Signed verify(final byte[] manifest, final byte[] signature, final Path sigFile, final BundleTrust trust) {
        if (!trust.checksSignatures()) {
            return Signed.NOTHING;
        }
        if (signature == null) {
            throw new BundleException(sigFile, "missing: the bundle is not signed, and trusted signing keys are configured"
                    + " (sign it with nelbo-trainer train --signing-key, or remove the trusted keys to accept unsigned bundles)");
        }
        final SignatureFile sig;
        final byte[] bytes;
        final Instant rollbackAt;
        try {
            sig = Json.DOCUMENTS.readValue(signature, SignatureFile.class);
            bytes = Base64.getDecoder().decode(sig.signature() == null ? "" : sig.signature());
            rollbackAt = sig.rollbackAt() == null ? null : Instant.parse(sig.rollbackAt());
            BundleTrust.requireAudience(sig.audience());
        } catch (final IOException | IllegalArgumentException | java.time.format.DateTimeParseException e) {
            throw new BundleException(sigFile, "not a readable signature: " + e.getMessage(), e);
        }
        if (!ALGORITHM.equals(sig.algorithm())) {
            throw new BundleException(sigFile, "algorithm " + sig.algorithm() + " is not " + ALGORITHM);
        }
        final byte[] text = signedText(manifest, sig.audience(), sig.rollbackAt());
        if (trust.keys().stream().noneMatch(k -> valid(k, text, bytes))) {
            throw new BundleException(sigFile, "not a valid signature by any trusted key (trusted: "
                    + trust.keys().stream().map(BundleSignature::keyId).toList()
                    + "): the bundle was altered or signed by another key");
        }
        if (trust.audience() != null && !trust.audience().equals(sig.audience())) {
            throw new BundleException(sigFile, "signed for " + (sig.audience() == null ? "any audience" : "audience '"
                    + sig.audience() + "'") + ", but this deployment accepts only bundles signed for '" + trust.audience()
                    + "' (sign with --signing-audience " + trust.audience() + ")");
        }
        return new Signed(sig.audience(), rollbackAt);
    }

    private static boolean valid(final PublicKey key, final byte[] manifest, final byte[] signature) {
        try {
            final Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(key);
            s.update(manifest);
            return s.verify(signature);
        } catch (final GeneralSecurityException e) {
            return false;
        }
    }

    /**
     * @param key a public key
     * @return the first 16 hex digits of the SHA-256 of its encoding (names the key in messages and logs)
     */
    public static String keyId(final PublicKey key) {
        return Checksums.sha256Hex(key.getEncoded()).substring(0, 16);
    }

    /** @return a new Ed25519 key pair */
    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no " + ALGORITHM, e);
        }
    }

    /**
     * @param key a key
     * @return it as PEM text
     */
    public static String pem(final java.security.Key key) {
        final String type = key instanceof PrivateKey ? "PRIVATE KEY" : "PUBLIC KEY";
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.getEncoded()) + "\n-----END " + type + "-----\n";
    }

    /**
     * @param pem PEM text of an Ed25519 private key (PKCS#8)
     * @return the key
     * @throws IllegalArgumentException when the text is not one
     */
    public static PrivateKey privateKey(final String pem) {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der(pem, "PRIVATE KEY")));
        } catch (final GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not an Ed25519 private key (PKCS#8 PEM): " + e.getMessage(), e);
        }
    }

    /**
     * @param pem PEM text with one or more Ed25519 public keys
     * @return the keys
     * @throws IllegalArgumentException when the text holds none or a block is not one
     */
    public static List<PublicKey> publicKeys(final String pem) {
        final List<PublicKey> keys = new ArrayList<>();
        for (final String block : pem.split("(?=-----BEGIN PUBLIC KEY-----)")) {
            if (block.contains("-----BEGIN PUBLIC KEY-----")) {
                try {
                    keys.add(KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der(block, "PUBLIC KEY"))));
                } catch (final GeneralSecurityException e) {
                    throw new IllegalArgumentException("not an Ed25519 public key (X.509 PEM): " + e.getMessage(), e);
                }
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no PEM public key (-----BEGIN PUBLIC KEY-----) found");
        }
        return keys;
    }

    /**
     * @param valueOrFile PEM text, or the path of a file holding it
     * @return the PEM text
     * @throws IllegalArgumentException when it is neither
     */
    public static String pemText(final String valueOrFile) {
        if (valueOrFile.contains("-----BEGIN")) {
            return valueOrFile;
        }
        try {
            return Files.readString(Path.of(valueOrFile.trim()), StandardCharsets.US_ASCII);
        } catch (final IOException | java.nio.file.InvalidPathException e) {
            // a mangled secret must not end up in an error message: only something shaped like a path is echoed
            final boolean pathLike = valueOrFile.length() <= 256 && valueOrFile.chars().noneMatch(Character::isWhitespace);
            throw new IllegalArgumentException((pathLike ? "'" + valueOrFile + "'" : "the value (" + valueOrFile.length()
                    + " characters)") + " is neither PEM text nor a readable key file" + (pathLike ? ": " + e.getMessage() : ""), e);
        }
    }

    /**
     * The trusted keys of a setting such as {@code nelbo.bundle.trusted.keys}.
     *
     * @param value PEM text, or PEM files separated by commas
     * @return the public keys in it
     * @throws IllegalArgumentException when a file cannot be read or holds no Ed25519 public key
     */
    public static List<PublicKey> trustedKeys(final String value) {
        if (value.contains("-----BEGIN")) {
            return publicKeys(value);
        }
        final List<PublicKey> keys = new ArrayList<>();
        for (final String file : value.split(",")) {
            if (!file.isBlank()) {
                keys.addAll(publicKeys(pemText(file)));
            }
        }
        return keys;
    }

    private static byte[] der(final String pem, final String type) {
        final String begin = "-----BEGIN " + type + "-----";
        final int from = pem.indexOf(begin);
        final int to = pem.indexOf("-----END " + type + "-----");
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("no PEM block '" + type + "' found");
        }
        return Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
    }

}
