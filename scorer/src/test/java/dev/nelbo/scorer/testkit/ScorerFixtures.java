package dev.nelbo.scorer.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.schemas.bundle.BundleWriter;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.MlpWeights;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.testing.TestBundles;
import dev.nelbo.schemas.testing.TestData;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Models and events for the scorer's tests: real bundles written by the production bundle writer over
 * the schemas test spec (latency, bytes, retried, region), and every kind of bad record.
 */
public final class ScorerFixtures {

    /** Threshold of the fixture models: normal events score far below, planted anomalies far above. */
    public static final double THRESHOLD = 60.0;

    private static final FeatureEncoder ENCODER = TestData.fittedEncoder(11, 2000);

    private ScorerFixtures() {
    }

    /**
     * Writes a random (untrained) bundle; its version is derived from its content, so seeds give versions.
     *
     * @param dir  target directory
     * @param seed weight seed
     * @return the model version
     */
    public static String writeModel(final Path dir, final long seed) {
        return writeModel(dir, seed, TestBundles.draft(ENCODER, 4, List.of(16), THRESHOLD).createdAt());
    }

    /**
     * @param dir       target directory
     * @param seed      weight seed
     * @param createdAt the manifest's creation time (ISO instant)
     * @return the model version
     */
    public static String writeModel(final Path dir, final long seed, final String createdAt) {
        final MlpWeights[] vae = TestBundles.randomVae(seed, ENCODER.width(), 16, 4);
        final Manifest d = TestBundles.draft(ENCODER, 4, List.of(16), THRESHOLD);
        final Manifest draft = new Manifest(d.schemaVersion(), d.modelVersion(), createdAt, d.contentHash(), d.featureSpec(),
                d.encoderStats(), d.architecture(), d.graphs(), d.files(), d.calibration(), d.provenance());
        return BundleWriter.write(dir, draft, vae[0], vae[1], Map.of()).modelVersion();
    }

    /**
     * Writes a random (untrained) bundle with an entity test: normal events (tail probability 0.5, the most its
     * calibration gives) carry no evidence, two planted anomalies of a key in a row reach the threshold.
     *
     * @param dir       target directory
     * @param seed      weight seed
     * @param threshold the entity threshold (drift 2)
     * @return the model version
     */
    public static String writeEntityModel(final Path dir, final long seed, final double threshold) {
        final MlpWeights[] vae = TestBundles.randomVae(seed, ENCODER.width(), 16, 4);
        final Manifest d = TestBundles.draft(ENCODER, 4, List.of(16), THRESHOLD);
        return BundleWriter.write(dir, d.withCalibration(d.calibration().withEntity(new Manifest.EntityCalibration(
                Manifest.EntityCalibration.CUSUM, 2.0, threshold, 1e-4, 0, 0))), vae[0], vae[1], Map.of()).modelVersion();
    }

    /**
     * @param dir    target directory
     * @param seed   weight seed
     * @param factor the silence test's factor
     * @return the version of a random (untrained) bundle with a silence test and no entity test
     */
    public static String writeSilenceModel(final Path dir, final long seed, final double factor) {
        final MlpWeights[] vae = TestBundles.randomVae(seed, ENCODER.width(), 16, 4);
        final Manifest d = TestBundles.draft(ENCODER, 4, List.of(16), THRESHOLD);
        return BundleWriter.write(dir, d.withCalibration(d.calibration().withSilence(new Manifest.SilenceCalibration(
                Manifest.SilenceCalibration.CADENCE, factor, "empirical", 1e-5, 0, 0))), vae[0], vae[1], Map.of())
                .modelVersion();
    }

    /**
     * @param dir  target directory
     * @param seed weight seed
     * @return the version of a random conditional bundle over {@link TestData#spec()} whose region is context: its
     *         alerts name the event's region
     */
    public static String writeContextModel(final Path dir, final long seed) {
        final List<FeatureDef> features = new java.util.ArrayList<>(TestData.spec().features());
        final FeatureDef region = features.remove(features.size() - 1);
        features.add(new FeatureDef(region.name(), region.path(), region.type(), region.transform(), region.missing(), true,
                null));
        final FeatureSpec base = TestData.spec();
        final FeatureEncoder encoder = TestData.fittedEncoder(new FeatureSpec(base.idPath(), base.keyPath(),
                base.timestampPath(), base.maxCategories(), features), 11, 2000);
        final MlpWeights[] vae = TestBundles.randomVae(seed, encoder.width(), encoder.width() - encoder.reconstructedWidth(),
                16, 4);
        return BundleWriter.write(dir, TestBundles.draft(encoder, 4, List.of(16), THRESHOLD), vae[0], vae[1], Map.of())
                .modelVersion();
    }

    /**
     * @param i   event number
     * @param key entity key
     * @param ts  event time
     * @return normal event {@code i} of entity {@code key} at {@code ts}
     */
    public static byte[] normal(final int i, final String key, final long ts) {
        return bytes(TestData.event(new Random(i), i).put("key", key).put("ts", ts));
    }

    /**
     * Writes a random (untrained) conditional bundle over {@link TestData#historySpec()}: its scores depend on each
     * key's history.
     *
     * @param dir  target directory
     * @param seed weight seed
     * @return the model version
     */
    public static String writeHistoryModel(final Path dir, final long seed) {
        return writeHistoryModel(dir, seed, null);
    }

    /**
     * @param dir    target directory
     * @param seed   weight seed
     * @param entity the entity test's calibration, or null for none
     * @return the version of a random conditional bundle over {@link TestData#historySpec()}, with the entity test
     */
    public static String writeHistoryModel(final Path dir, final long seed, final Manifest.EntityCalibration entity) {
        return writeHistoryModel(dir, seed, entity, null);
    }

    /**
     * @param dir     target directory
     * @param seed    weight seed
     * @param entity  the entity test's calibration, or null for none
     * @param silence the silence test's calibration, or null for none
     * @return the version of a random conditional bundle over {@link TestData#historySpec()}, with those tests
     */
    public static String writeHistoryModel(final Path dir, final long seed, final Manifest.EntityCalibration entity,
                                           final Manifest.SilenceCalibration silence) {
        final FeatureEncoder encoder = TestData.fittedEncoder(TestData.historySpec(), 11, 2000);
        final MlpWeights[] vae = TestBundles.randomVae(seed, encoder.width(), encoder.width() - encoder.reconstructedWidth(),
                16, 4);
        final Manifest d = TestBundles.draft(encoder, 4, List.of(16), THRESHOLD);
        final Manifest.Calibration c = entity == null ? d.calibration() : d.calibration().withEntity(entity);
        return BundleWriter.write(dir, d.withCalibration(silence == null ? c : c.withSilence(silence)), vae[0], vae[1],
                Map.of()).modelVersion();
    }

    /**
     * @param i event number (id e-i, key svc-(i%5))
     * @return a normal event as JSON bytes
     */
    public static byte[] normal(final int i) {
        return bytes(TestData.event(new Random(i), i));
    }

    /**
     * @param dir target directory
     * @return the version of a model whose spec reads its event id at another path: a model serving {@link #writeModel}'s
     *         input refuses to switch to it
     */
    public static String writeIncompatibleModel(final Path dir) {
        final FeatureEncoder fitted = TestData.fittedEncoder(11, 2000);
        final FeatureSpec s = fitted.spec();
        final FeatureEncoder other = new FeatureEncoder(new FeatureSpec("id", s.keyPath(), s.timestampPath(), s.maxCategories(),
                s.features()), fitted.stats());
        final MlpWeights[] vae = TestBundles.randomVae(9, other.width(), 16, 4);
        return BundleWriter.write(dir, TestBundles.draft(other, 4, List.of(16), THRESHOLD), vae[0], vae[1], Map.of())
                .modelVersion();
    }

    /**
     * @param i   event number
     * @param key entity key
     * @return normal event {@code i} of entity {@code key}
     */
    public static byte[] normal(final int i, final String key) {
        return bytes(TestData.event(new Random(i), i).put("key", key));
    }

    /**
     * @param i   event number
     * @param key entity key
     * @param ts  event time
     * @return an anomalous event (latency a million ms, a thousand times the usual bytes)
     */
    public static byte[] anomaly(final int i, final String key, final long ts) {
        final ObjectNode e = TestData.event(new Random(i), i);
        e.put("key", key);
        e.put("ts", ts);
        ((ObjectNode) e.get("http")).put("latency_ms", 1_000_000.0);
        e.put("bytes", 1_000_000.0);
        return bytes(e);
    }

    /**
     * A record that cannot be scored and the reason it must be dead-lettered with (null: it must be scored).
     *
     * @param name     what it is
     * @param value    record value
     * @param expected expected dead-letter reason, or null when the record is scoreable
     */
    public record BadRecord(String name, byte[] value, FailureReason expected) {
    }

    /**
     * @param base first event number to use
     * @return every kind of bad record the issue lists
     */
    public static List<BadRecord> badRecords(final int base) {
        final List<BadRecord> out = new ArrayList<>();
        out.add(new BadRecord("malformed JSON", "{\"event_id\": \"x\", \"http\": {".getBytes(StandardCharsets.UTF_8),
                FailureReason.MALFORMED));
        out.add(new BadRecord("JSON array", "[1, 2, 3]".getBytes(StandardCharsets.UTF_8), FailureReason.NOT_AN_OBJECT));
        out.add(new BadRecord("JSON string", "\"hello\"".getBytes(StandardCharsets.UTF_8), FailureReason.NOT_AN_OBJECT));
        out.add(new BadRecord("missing feature", edit(base, e -> ((ObjectNode) e.get("http")).remove("latency_ms")),
                FailureReason.MISSING_FIELD));
        out.add(new BadRecord("wrong type", edit(base + 1, e -> ((ObjectNode) e.get("http")).put("latency_ms", "fast")),
                FailureReason.WRONG_TYPE));
        out.add(new BadRecord("NaN token", text(base + 2).replaceFirst("\"bytes\":[-0-9.Ee]+", "\"bytes\":NaN")
                .getBytes(StandardCharsets.UTF_8), FailureReason.NOT_FINITE));
        out.add(new BadRecord("\"NaN\" string", edit(base + 3, e -> e.put("bytes", "NaN")), FailureReason.NOT_FINITE));
        out.add(new BadRecord("arrays nested 1,001 deep", text(base + 4).replaceFirst("\\{", "{\"nest\":" + "[".repeat(1001)
                + "]".repeat(1001) + ",").getBytes(StandardCharsets.UTF_8), FailureReason.TOO_DEEP));
        out.add(new BadRecord("number of 1,001 digits", text(base + 5).replaceFirst("\\{", "{\"n\":" + "7".repeat(1001) + ",")
                .getBytes(StandardCharsets.UTF_8), FailureReason.NUMBER_TOO_LONG));
        out.add(new BadRecord("string of 100,000 characters", edit(base + 5, e -> e.put("note", "s".repeat(100_000))),
                FailureReason.STRING_TOO_LONG));
        out.add(new BadRecord("binary 0.5", edit(base + 6, e -> e.put("retried", 0.5)), FailureReason.INVALID_VALUE));
        out.add(new BadRecord("oversized record", oversized(base + 7), FailureReason.TOO_LARGE));
        final Random rnd = new Random(base);
        final byte[] random = new byte[200];
        rnd.nextBytes(random);
        random[0] = (byte) 0xff;
        out.add(new BadRecord("random bytes", random, FailureReason.MALFORMED));
        out.add(new BadRecord("empty value", new byte[0], FailureReason.MALFORMED));
        // scoreable oddities: an unseen category takes the out-of-vocabulary slot
        out.add(new BadRecord("unknown category", edit(base + 8, e -> e.put("region", "mars")), null));
        return out;
    }

    /**
     * An event with a value beyond what the model can take: scored as an anomaly, the feature clamped.
     *
     * @param name     what it is
     * @param value    record value
     * @param feature  the clamped feature
     * @param observed the raw value the outputs report for it
     */
    public record Extreme(String name, byte[] value, String feature, String observed) {
    }

    /**
     * @param base first event number to use
     * @return events with extreme values of the continuous feature {@code bytes}
     */
    public static List<Extreme> extremes(final int base) {
        return List.of(
                new Extreme("1e300", edit(base, e -> e.put("bytes", 1e300)), "bytes", "1.0E300"),
                new Extreme("-1e300", edit(base + 1, e -> e.put("bytes", -1e300)), "bytes", "-1.0E300"),
                new Extreme("1e400 (beyond a double)", text(base + 2).replaceFirst("\"bytes\":[-0-9.Ee]+", "\"bytes\":1e400")
                        .getBytes(StandardCharsets.UTF_8), "bytes", "Infinity"),
                new Extreme("\"Infinity\" string", edit(base + 3, e -> e.put("bytes", "Infinity")), "bytes", "Infinity"));
    }

    private static byte[] oversized(final int i) {
        final ObjectNode e = TestData.event(new Random(i), i);
        e.put("padding", "x".repeat(300 * 1024));
        return bytes(e);
    }

    private static String text(final int i) {
        return new String(normal(i), StandardCharsets.UTF_8);
    }

    private static byte[] edit(final int i, final java.util.function.Consumer<ObjectNode> change) {
        final ObjectNode e = TestData.event(new Random(i), i);
        change.accept(e);
        return bytes(e);
    }

    /**
     * @param node a JSON tree
     * @return its bytes
     */
    public static byte[] bytes(final JsonNode node) {
        try {
            return Json.EVENTS.writeValueAsBytes(node);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param bytes JSON bytes of a contract document
     * @param type  its Java type
     * @param <T>   the type
     * @return the document
     */
    public static <T> T read(final byte[] bytes, final Class<T> type) {
        try {
            return Json.DOCUMENTS.readValue(bytes, type);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param bytes JSON bytes
     * @return the tree
     */
    public static JsonNode parse(final byte[] bytes) {
        try {
            return Json.DOCUMENTS.readTree(bytes);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
