package dev.nelbo.schemas.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.json.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A verified model bundle on disk. {@link #load(Path)} refuses anything incomplete or altered: the
 * manifest must parse, validate against its schema and have a supported schema version; every file it
 * lists must exist with the recorded SHA-256; both graphs must be listed; the encoder statistics must
 * agree with the architecture's layout; each graph must be exactly the one nelbo writes for its weights, with the
 * manifest's hidden widths and activation ({@link GraphCheck}). With trusted keys ({@link #load(Path, List)}) the manifest must
 * also carry a valid signature by one of them, which then vouches for every listed file.
 *
 * @param dir      bundle directory
 * @param manifest its manifest
 * @param encoder  the feature encoder rebuilt from the manifest
 * @param signed   what its signature says ({@link BundleSignature.Signed#NOTHING} when signatures are not checked)
 */
public record ModelBundle(Path dir, Manifest manifest, FeatureEncoder encoder, BundleSignature.Signed signed) {

    /**
     * Loads and verifies a bundle, checking no signature (for bundles the caller made itself).
     *
     * @param dir bundle directory
     * @return the verified bundle
     * @throws BundleException naming the file and the problem
     */
    public static ModelBundle load(final Path dir) {
        return load(dir, BundleTrust.NONE);
    }

    /**
     * Loads and verifies a bundle, first its signature when trusted keys are given, for any audience.
     *
     * @param dir     bundle directory
     * @param trusted keys whose signatures are accepted; empty: unsigned bundles are accepted
     * @return the verified bundle
     * @throws BundleException naming the file and the problem
     */
    public static ModelBundle load(final Path dir, final List<java.security.PublicKey> trusted) {
        return load(dir, BundleTrust.of(trusted));
    }

    /**
     * Loads and verifies a bundle, first its signature when trusted keys are given
     * ({@link BundleSignature#verify(Path, BundleTrust)}).
     *
     * @param dir   bundle directory
     * @param trust the signatures accepted
     * @return the verified bundle
     * @throws BundleException naming the file and the problem
     */
    public static ModelBundle load(final Path dir, final BundleTrust trust) {
        if (!Files.isDirectory(dir)) {
            throw new BundleException(dir, "not a directory; expected a model bundle with " + Manifest.FILE_NAME
                    + ", encoder.onnx and decoder.onnx");
        }
        final BundleSignature.Signed signed = BundleSignature.verify(dir, trust);
        final Path manifestFile = dir.resolve(Manifest.FILE_NAME);
        final JsonNode tree;
        try {
            tree = Json.DOCUMENTS.readTree(Files.readAllBytes(manifestFile));
        } catch (NoSuchFileException e) {
            throw new BundleException(manifestFile, "missing: the bundle is incomplete");
        } catch (IOException e) {
            throw new BundleException(manifestFile, "not valid JSON (" + e.getMessage() + "); the file is damaged or truncated", e);
        }
        final JsonNode version = tree == null ? null : tree.get("schema_version");
        if (version != null && version.isInt() && version.intValue() != Manifest.SCHEMA_VERSION) {
            throw new BundleException(manifestFile, "schema_version " + version.intValue() + " is not supported; this nelbo reads version "
                    + Manifest.SCHEMA_VERSION + " (retrain or upgrade nelbo)");
        }
        final List<String> problems = Schemas.validate(SchemaDocument.MANIFEST, tree);
        if (!problems.isEmpty()) {
            throw new BundleException(manifestFile, "does not match manifest.schema.json: " + String.join("; ", problems));
        }
        final Manifest manifest;
        final FeatureEncoder encoder;
        try {
            manifest = Json.DOCUMENTS.treeToValue(tree, Manifest.class);
            encoder = new FeatureEncoder(manifest.featureSpec(), manifest.encoderStats());
            if (manifest.createdAt() != null) {
                // it orders the deployment's models (orderedAt)
                Instant.parse(manifest.createdAt());
            }
        } catch (IOException | IllegalArgumentException | java.time.format.DateTimeParseException e) {
            throw new BundleException(manifestFile, "inconsistent: " + rootMessage(e), e);
        }
        if (!encoder.layout().equals(manifest.architecture().layout())) {
            throw new BundleException(manifestFile, "inconsistent: encoder statistics give layout " + encoder.layout()
                    + " but the architecture says " + manifest.architecture().layout());
        }
        for (String graph : List.of(manifest.graphs().encoder().file(), manifest.graphs().decoder().file())) {
            if (!manifest.files().containsKey(graph)) {
                throw new BundleException(manifestFile, "lists no checksum for graph file " + graph);
            }
        }
        for (Map.Entry<String, String> e : manifest.files().entrySet()) {
            final Path f = dir.resolve(e.getKey());
            if (!f.normalize().startsWith(dir.normalize())) {
                throw new BundleException(manifestFile, "lists a file outside the bundle: " + e.getKey());
            }
            if (!Files.isRegularFile(f)) {
                throw new BundleException(f, "missing: the manifest lists it, so the bundle is incomplete");
            }
            final String actual = Checksums.sha256Hex(f);
            if (!actual.equalsIgnoreCase(e.getValue())) {
                throw new BundleException(f, "SHA-256 mismatch (manifest " + e.getValue() + ", file " + actual
                        + "): the file was modified, truncated or belongs to another bundle");
            }
        }
        final Manifest.Architecture a = manifest.architecture();
        checkGraph(dir.resolve(manifest.graphs().encoder().file()), a.encoderHidden(), a.activation());
        checkGraph(dir.resolve(manifest.graphs().decoder().file()), a.decoderHidden(), a.activation());
        return new ModelBundle(dir, manifest, encoder, signed);
    }

    private static void checkGraph(final Path graph, final List<Integer> hidden, final Activation activation) {
        final List<String> foreign = GraphCheck.problems(graph, hidden, activation);
        if (!foreign.isEmpty()) {
            throw new BundleException(graph, "not a graph nelbo writes: " + String.join("; ", foreign));
        }
    }

    /** @return path of the encoder graph */
    public Path encoderPath() {
        return dir.resolve(manifest.graphs().encoder().file());
    }

    /** @return path of the decoder graph */
    public Path decoderPath() {
        return dir.resolve(manifest.graphs().decoder().file());
    }

    /**
     * @return where this bundle stands among a deployment's models: its creation time, or the time it was signed as a
     *         rollback when later (null when the manifest has no creation time)
     */
    public Instant orderedAt() {
        final Instant created = manifest.createdAt() == null ? null : Instant.parse(manifest.createdAt());
        final Instant rollback = signed.rollbackAt();
        return created == null || rollback != null && rollback.isAfter(created) ? rollback : created;
    }

    /** @return the model version */
    public String version() {
        return manifest.modelVersion();
    }

    private static String rootMessage(final Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
