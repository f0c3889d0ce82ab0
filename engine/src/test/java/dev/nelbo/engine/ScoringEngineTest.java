package dev.nelbo.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.engine.testing.EngineFixtures;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.testing.TestData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine end to end on a real bundle with continuous, binary and categorical features. */
class ScoringEngineTest {

    private static final int RECORDS = 300;

    @TempDir
    static Path dir;
    private static ModelBundle bundle;
    private static List<JsonNode> events;

    @BeforeAll
    static void writeBundle() {
        bundle = EngineFixtures.randomMixedBundle(dir.resolve("mixed"), 11);
        events = TestData.events(99, RECORDS);
    }

    @Test
    void scores_are_consistent_and_contributions_sum_to_the_reconstruction_term() {
        try (ScoringEngine engine = ScoringEngine.open(bundle, EngineOptions.defaults().withMaxBatch(64))) {
            final double[][] s = scoreAll(engine, 64);
            final double threshold = bundle.manifest().calibration().threshold();
            for (int i = 0; i < RECORDS; i++) {
                final double[] r = s[i];
                assertEquals(r[1] + r[2], r[0], 1e-9, "nelbo = recon + kl");
                assertTrue(r[2] >= 0, "kl >= 0");
                assertTrue(Double.isFinite(r[3]));
                assertTrue(r[4] >= 0 && r[4] <= 1, "tail probability " + r[4]);
                assertEquals(r[0] > threshold ? 1.0 : 0.0, r[5]);
                double sum = 0;
                for (int f = 0; f < 4; f++) {
                    sum += r[6 + f];
                }
                assertEquals(r[1], sum, 1e-9, "contributions sum to recon");
                // expected: probability for the binary feature, a category index within the block for region
                assertTrue(r[6 + 4 + 2] > 0 && r[6 + 4 + 2] < 1);
                final double category = r[6 + 4 + 3];
                assertTrue(category == Math.rint(category) && category >= 0
                        && category < engine.layout().block(3).width());
            }
        }
    }

    @Test
    void a_record_gets_the_same_numbers_whatever_its_batch_size_position_or_run() {
        final double[][] reference;
        try (ScoringEngine engine = ScoringEngine.open(bundle, EngineOptions.defaults().withMaxBatch(256))) {
            reference = scoreAll(engine, 1);
            for (int batch : new int[] {7, 256}) {
                final double[][] other = scoreAll(engine, batch);
                for (int i = 0; i < RECORDS; i++) {
                    assertArrayEquals(reference[i], other[i], "record " + i + " with batch size " + batch);
                }
            }
        }
        try (ScoringEngine second = ScoringEngine.open(bundle, EngineOptions.defaults().withMaxBatch(16))) {
            final double[][] again = scoreAll(second, 13);
            for (int i = 0; i < RECORDS; i++) {
                assertArrayEquals(reference[i], again[i], "record " + i + " in a second engine");
            }
        }
    }

    @Test
    void the_noise_follows_the_content_hash_when_the_manifest_says_so_and_the_version_otherwise() {
        final ModelBundle b = bundle;
        assertEquals(b.version(), ScoringModel.of(b).noiseKey(), "a bundle without noise_seed (written before it existed)");
        final Manifest m = b.manifest();
        final Manifest.Architecture a = m.architecture();
        final Manifest byHash = new Manifest(m.schemaVersion(),
                m.modelVersion(), m.createdAt(), m.contentHash(), m.featureSpec(), m.encoderStats(),
                new Manifest.Architecture(a.inputDim(), a.latentDim(), a.encoderHidden(),
                        a.decoderHidden(), a.activation(), a.decoderVariance(), a.logvarMin(), a.logvarMax(), a.layout(),
                        null, Manifest.Architecture.SEED_CONTENT_HASH),
                m.graphs(), m.files(), m.calibration(), m.provenance());
        assertEquals(m.contentHash(), ScoringModel.noiseKey(byHash));
    }

    @Test
    void missing_features_contribute_nothing() {
        try (ScoringEngine engine = ScoringEngine.open(bundle, EngineOptions.defaults().withMaxBatch(4))) {
            final ScoringBatch batch = engine.newBatch();
            final ScoringResults results = engine.newResults();
            final FeatureEncoder encoder = bundle.encoder();
            final int full = batch.addRow("e-1");
            encoder.encode(TestData.fields(bundle.encoder().spec(), events.get(1)), batch.x(), batch.mask(), full);
            final int partial = batch.addRow("e-1");
            encoder.encode(TestData.fields(bundle.encoder().spec(), events.get(1)), batch.x(), batch.mask(), partial);
            final int bytes = 1;
            batch.mask()[batch.offset(partial) + engine.layout().block(bytes).offset()] = 0f;
            engine.score(batch, results);
            assertEquals(0, results.contribution(partial, bytes));
            assertTrue(results.contribution(full, bytes) != 0);
            assertEquals(results.reconNll(full) - results.contribution(full, bytes), results.reconNll(partial), 1e-9);
            assertEquals(results.kl(full), results.kl(partial), "the encoder saw the same vector");
        }
    }

    @Test
    void top_features_are_the_largest_contributions_in_order() {
        try (ScoringEngine engine = ScoringEngine.open(bundle, EngineOptions.defaults().withMaxBatch(8))) {
            final ScoringBatch batch = engine.newBatch();
            final ScoringResults results = engine.newResults();
            for (int i = 0; i < 8; i++) {
                bundle.encoder().encode(TestData.fields(bundle.encoder().spec(), events.get(i)), batch.x(), batch.mask(), batch.addRow("t" + i));
            }
            engine.score(batch, results);
            final int[] top = new int[3];
            final int[] all = new int[10];
            for (int i = 0; i < 8; i++) {
                assertEquals(3, results.topFeatures(i, top));
                assertEquals(4, results.topFeatures(i, all), "at most F features");
                final Integer[] sorted = {0, 1, 2, 3};
                final int row = i;
                java.util.Arrays.sort(sorted, (a, b) -> Double.compare(results.contribution(row, b), results.contribution(row, a)));
                for (int j = 0; j < 3; j++) {
                    assertEquals(results.contribution(i, sorted[j]), results.contribution(i, top[j]), "rank " + j);
                }
                assertEquals(java.util.Set.of(0, 1, 2, 3), java.util.Set.of(all[0], all[1], all[2], all[3]));
            }
        }
    }

    @Test
    void different_ids_draw_different_samples() {
        try (ScoringEngine engine = ScoringEngine.open(bundle, EngineOptions.defaults().withMaxBatch(2))) {
            final ScoringBatch batch = engine.newBatch();
            final ScoringResults results = engine.newResults();
            for (String id : new String[] {"a", "b"}) {
                bundle.encoder().encode(TestData.fields(bundle.encoder().spec(), events.get(0)), batch.x(), batch.mask(), batch.addRow(id));
            }
            engine.score(batch, results);
            assertEquals(results.kl(0), results.kl(1));
            assertTrue(results.reconNll(0) != results.reconNll(1), "same record, different id, different noise");
        }
    }

    @Test
    void refuses_batches_that_do_not_fit_and_empty_batches_score_nothing() {
        try (ScoringEngine engine = ScoringEngine.open(bundle, EngineOptions.defaults().withMaxBatch(4))) {
            final ScoringResults results = engine.newResults();
            engine.score(engine.newBatch(), results);
            assertEquals(0, results.size());
            assertThrows(IllegalArgumentException.class, () -> engine.score(new ScoringBatch(8, engine.layout().width()), results));
            assertThrows(IllegalArgumentException.class, () -> engine.score(new ScoringBatch(4, 3), results));
            final ScoringBatch full = engine.newBatch();
            for (int i = 0; i < 4; i++) {
                full.addRow("r" + i);
            }
            assertThrows(IllegalStateException.class, () -> full.addRow("one too many"));
        }
    }

    /** Columns: nelbo, recon, kl, iw, tail, anomaly, 4 contributions, 4 expected. */
    private static double[][] scoreAll(final ScoringEngine engine, final int batchSize) {
        final ScoringBatch batch = engine.newBatch();
        final ScoringResults results = engine.newResults();
        final FeatureEncoder encoder = bundle.encoder();
        final double[][] out = new double[RECORDS][];
        int first = 0;
        while (first < RECORDS) {
            batch.clear();
            final int n = Math.min(batchSize, RECORDS - first);
            for (int i = 0; i < n; i++) {
                final JsonNode e = events.get(first + i);
                final int row = batch.addRow(e.get("event_id").asText());
                encoder.encode(TestData.fields(encoder.spec(), e), batch.x(), batch.mask(), row);
            }
            engine.score(batch, results);
            for (int i = 0; i < n; i++) {
                final double[] r = new double[14];
                r[0] = results.nelbo(i);
                r[1] = results.reconNll(i);
                r[2] = results.kl(i);
                r[3] = results.iwNll(i);
                r[4] = results.tailProbability(i);
                r[5] = results.anomaly(i) ? 1 : 0;
                for (int f = 0; f < 4; f++) {
                    r[6 + f] = results.contribution(i, f);
                    r[10 + f] = results.expected(i, f);
                }
                out[first + i] = r;
            }
            first += n;
        }
        return out;
    }
}
