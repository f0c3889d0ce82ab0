package dev.nelbo.schemas.bundle;

import dev.nelbo.schemas.json.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a model bundle directory: {@code encoder.onnx}, {@code decoder.onnx}, any extra report files,
 * and last {@code manifest.json} with the SHA-256 of every file. The trainer and tests produce bundles
 * only through this class.
 */
public final class BundleWriter {

    /** The encoder graph's input: encoded rows {@code [batch, D]}. */
    public static final String ENCODER_INPUT = "x";
    /** The encoder's posterior mean output {@code [batch, K]}. */
    public static final String MU = "mu";
    /** The log-variance output of both graphs (per row, or one constant vector). */
    public static final String LOGVAR = "logvar";
    /** The decoder graph's input: latent samples and context {@code [batch, K + C]}. */
    public static final String DECODER_INPUT = "z";
    /** The decoder's output: Gaussian means, Bernoulli and categorical logits. */
    public static final String MEAN = "mean";
    /** Default encoder graph I/O. */
    public static final Manifest.GraphIo ENCODER_IO = new Manifest.GraphIo("encoder.onnx", List.of(ENCODER_INPUT),
            List.of(MU, LOGVAR));
    /** Default decoder graph I/O. */
    public static final Manifest.GraphIo DECODER_IO = new Manifest.GraphIo("decoder.onnx", List.of(DECODER_INPUT),
            List.of(MEAN, LOGVAR));

    private static final DateTimeFormatter VERSION_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private BundleWriter() {
    }

    /**
     * Derives the content hash of a model: identical graphs and encoder statistics give the same hash,
     * which is how a retrain over unchanged data recognises that it produced nothing new.
     *
     * @param encoder  encoder weights
     * @param decoder  decoder weights
     * @param manifest manifest draft (its spec and encoder statistics are hashed)
     * @return hex SHA-256
     */
    public static String contentHash(final MlpWeights encoder, final MlpWeights decoder, final Manifest manifest) {
        final MessageDigest md = Checksums.sha256();
        md.update(OnnxMlpWriter.toBytes(encoder, "nelbo-encoder", Map.of()));
        md.update(OnnxMlpWriter.toBytes(decoder, "nelbo-decoder", Map.of()));
        try {
            md.update(Json.DOCUMENTS.writeValueAsBytes(manifest.featureSpec()));
            md.update(Json.DOCUMENTS.writeValueAsBytes(manifest.encoderStats()));
            md.update(Json.DOCUMENTS.writeValueAsBytes(manifest.architecture()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * @param createdAt   creation time
     * @param contentHash content hash
     * @return a version id: UTC time plus the first 8 hex digits of the content hash
     */
    public static String versionId(final Instant createdAt, final String contentHash) {
        return VERSION_TIME.format(createdAt) + "-" + contentHash.substring(0, 8);
    }

    private static void requireArchitecture(final Manifest.Architecture a, final MlpWeights weights, final List<Integer> hidden,
                                            final String which) {
        final List<Integer> widths = weights.hiddenWidths();
        if (!widths.equals(hidden) || !widths.isEmpty() && weights.activation() != a.activation()) {
            throw new IllegalArgumentException("the " + which + " weights (hidden " + widths + ", " + weights.activation()
                    + ") are not the manifest's architecture (hidden " + hidden + ", " + a.activation() + ")");
        }
    }

    /**
     * Writes the bundle. The manifest's {@code files} are computed here; its model version and content
     * hash are filled in when the draft leaves them empty (blank version).
     *
     * @param dir        target directory (created; existing bundle files are replaced)
     * @param draft      manifest without checksums
     * @param encoder    encoder weights (input x, heads mu and logvar)
     * @param decoder    decoder weights (input z, heads mean and logvar)
     * @param extraFiles additional files to include (reports), by file name
     * @return the manifest as written
     * @throws UncheckedIOException     when writing fails
     * @throws IllegalArgumentException when the weights are not of the draft's architecture (a bundle every scorer
     *                                  would refuse: its graphs must be the ones its manifest describes)
     */
    public static Manifest write(final Path dir, final Manifest draft, final MlpWeights encoder, final MlpWeights decoder,
                                 final Map<String, byte[]> extraFiles) {
        requireArchitecture(draft.architecture(), encoder, draft.architecture().encoderHidden(), "encoder");
        requireArchitecture(draft.architecture(), decoder, draft.architecture().decoderHidden(), "decoder");
        Manifest m = draft;
        if (m.modelVersion().isBlank() || m.contentHash() == null) {
            final String hash = contentHash(encoder, decoder, draft);
            final Instant created = m.createdAt() == null ? Instant.now() : Instant.parse(m.createdAt());
            m = m.withVersion(m.modelVersion().isBlank() ? versionId(created, hash) : m.modelVersion(), hash);
        }
        final Map<String, String> meta = Map.of("nelbo.model_version", m.modelVersion());
        try {
            Files.createDirectories(dir);
            final Map<String, String> sums = new TreeMap<>();
            final Path enc = dir.resolve(m.graphs().encoder().file());
            final Path dec = dir.resolve(m.graphs().decoder().file());
            OnnxMlpWriter.write(encoder, "nelbo-encoder", meta, enc);
            OnnxMlpWriter.write(decoder, "nelbo-decoder", meta, dec);
            sums.put(enc.getFileName().toString(), Checksums.sha256Hex(enc));
            sums.put(dec.getFileName().toString(), Checksums.sha256Hex(dec));
            for (Map.Entry<String, byte[]> e : extraFiles.entrySet()) {
                final Path f = dir.resolve(e.getKey());
                if (!f.normalize().startsWith(dir.normalize()) || e.getKey().equals(Manifest.FILE_NAME)
                        || e.getKey().equals(BundleSignature.FILE_NAME)) {
                    throw new IllegalArgumentException("extra file name not allowed in a bundle: " + e.getKey());
                }
                Files.createDirectories(f.getParent());
                Files.write(f, e.getValue());
                sums.put(e.getKey(), Checksums.sha256Hex(f));
            }
            final Manifest written = m.withFiles(sums);
            writeManifest(dir, written);
            return written;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model bundle to " + dir, e);
        }
    }

    /**
     * Writes {@code manifest.json} (pretty-printed, keys sorted).
     *
     * @param dir      bundle directory
     * @param manifest manifest
     * @throws IOException when writing fails
     */
    public static void writeManifest(final Path dir, final Manifest manifest) throws IOException {
        final String text = Json.DOCUMENTS.writerWithDefaultPrettyPrinter().writeValueAsString(manifest);
        Files.writeString(dir.resolve(Manifest.FILE_NAME), text + "\n", StandardCharsets.UTF_8);
        // a signature of an earlier manifest in this directory no longer applies
        Files.deleteIfExists(dir.resolve(BundleSignature.FILE_NAME));
    }
}
