package dev.nelbo.schemas.encoding;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.event.DecodeLimits;
import dev.nelbo.schemas.event.EventFields;
import dev.nelbo.schemas.event.EventReader;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;
import dev.nelbo.schemas.spec.MissingPolicy;
import dev.nelbo.schemas.spec.Transform;
import dev.nelbo.schemas.testing.TestData;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeatureEncoderTest {

    private final FeatureEncoder encoder = TestData.fittedEncoder(1, 2000);
    private final EventReader reader = EventReader.forSpec(encoder.spec(), DecodeLimits.defaults());
    private final EventFields fields = reader.newFields();
    private final int[] clamped = new int[encoder.layout().size()];
    private int clamps;

    private float[][] encode(final String json) {
        final float[] x = new float[encoder.width()];
        final float[] m = new float[encoder.width()];
        reader.read(json.getBytes(StandardCharsets.UTF_8), fields);
        clamps = encoder.encode(fields, x, m, 0, clamped);
        return new float[][] {x, m};
    }

    private EventFields read(final JsonNode event) {
        reader.read(TestData.bytes(event), fields);
        return fields;
    }

    private EncodingException failure(final String json) {
        return assertThrows(EncodingException.class, () -> encode(json));
    }

    @Test
    void fitted_statistics_standardise_training_data_and_survive_a_rebuild_from_the_manifest() {
        // layout: latency(1) bytes(1) retried(1) region(3 + oov)
        assertEquals(7, encoder.width());
        assertEquals(List.of(new ColumnBlock("latency_ms", Likelihood.GAUSSIAN, 0, 1),
                new ColumnBlock("bytes", Likelihood.GAUSSIAN, 1, 1),
                new ColumnBlock("retried", Likelihood.BERNOULLI, 2, 1),
                new ColumnBlock("region", Likelihood.CATEGORICAL, 3, 4)), encoder.layout());
        // log1p(latency) ~ N(4, 0.3): the centre is about 4 and the scale about 0.3
        final FeatureStats lat = encoder.stats().features().get(0);
        assertEquals(4.0, lat.centre(), 0.03);
        assertEquals(0.3, lat.scale(), 0.02);
        // encoding every training row gives mean ~0 and sd ~1 for continuous columns
        double s = 0;
        double ss = 0;
        final List<JsonNode> events = TestData.events(1, 2000);
        final float[] x = new float[encoder.width() * events.size()];
        final float[] m = new float[x.length];
        for (int i = 0; i < events.size(); i++) {
            encoder.encode(read(events.get(i)), x, m, i);
            s += x[i * encoder.width() + 1];
            ss += x[i * encoder.width() + 1] * x[i * encoder.width() + 1];
        }
        assertEquals(0.0, s / events.size(), 1e-3);
        assertEquals(1.0, ss / events.size(), 1e-2);
        // a rebuilt encoder (as the scorer makes it from the manifest) encodes identically
        final FeatureEncoder rebuilt = new FeatureEncoder(encoder.spec(), encoder.stats());
        final float[] x2 = new float[x.length];
        final float[] m2 = new float[x.length];
        for (int i = 0; i < events.size(); i++) {
            rebuilt.encode(read(events.get(i)), x2, m2, i);
        }
        assertArrayEquals(x, x2);
        assertArrayEquals(m, m2);
    }

    @Test
    void one_hot_with_out_of_vocabulary_slot_for_unknown_category() {
        final float[][] known = encode("{\"http\":{\"latency_ms\":50},\"bytes\":1000,\"retried\":0,\"region\":\"us\"}");
        final int us = encoder.stats().features().get(3).vocabulary().indexOf("us");
        assertEquals(1f, known[0][3 + us]);
        assertEquals(1f, known[0][3] + known[0][4] + known[0][5] + known[0][6]);
        final float[][] unknown = encode("{\"http\":{\"latency_ms\":50},\"bytes\":1000,\"retried\":true,\"region\":\"mars\"}");
        assertArrayEquals(new float[] {0, 0, 0, 1}, java.util.Arrays.copyOfRange(unknown[0], 3, 7));
        assertEquals(1f, unknown[0][2]);
        assertEquals("<other>", encoder.category(3, 3));
    }

    @Test
    void missing_field_is_rejected_or_imputed_and_masked_by_policy() {
        final EncodingException e = failure("{\"bytes\":1000,\"retried\":0,\"region\":\"us\"}");
        assertEquals(FailureReason.MISSING_FIELD, e.reason());
        assertEquals("latency_ms", e.field());
        assertTrue(e.getMessage().contains("http.latency_ms"), e.getMessage());
        // bytes has policy impute: value = training mean (0 after standardisation), mask 0
        final float[][] imputed = encode("{\"http\":{\"latency_ms\":50},\"bytes\":null,\"retried\":0,\"region\":\"us\"}");
        assertEquals(0f, imputed[0][1]);
        assertEquals(0f, imputed[1][1]);
        assertEquals(1f, imputed[1][0]);
        assertEquals(1f, imputed[1][3]);
    }

    @Test
    void non_finite_wrong_type_and_invalid_values_have_typed_reasons() {
        assertEquals(FailureReason.NOT_FINITE, failure("{\"http\":{\"latency_ms\":NaN},\"bytes\":1,\"retried\":0,\"region\":\"us\"}").reason());
        assertEquals(FailureReason.NOT_FINITE, failure("{\"http\":{\"latency_ms\":\"NaN\"},\"bytes\":1,\"retried\":0,\"region\":\"us\"}").reason());
        final EncodingException wrong = failure("{\"http\":{\"latency_ms\":\"fast\"},\"bytes\":1,\"retried\":0,\"region\":\"us\"}");
        assertEquals(FailureReason.WRONG_TYPE, wrong.reason());
        assertTrue(wrong.getMessage().contains("should be a number but is a string"), wrong.getMessage());
        assertEquals(FailureReason.WRONG_TYPE, failure("{\"http\":{\"latency_ms\":5},\"bytes\":1,\"retried\":0,\"region\":{\"a\":1}}").reason());
        assertEquals(FailureReason.INVALID_VALUE, failure("{\"http\":{\"latency_ms\":5},\"bytes\":1,\"retried\":0.5,\"region\":\"us\"}").reason());
        assertEquals(FailureReason.INVALID_VALUE, failure("{\"http\":{\"latency_ms\":-7},\"bytes\":1,\"retried\":0,\"region\":\"us\"}").reason());
        assertEquals(FailureReason.INVALID_VALUE, failure("{\"http\":{\"latency_ms\":-Infinity},\"bytes\":1,\"retried\":0,\"region\":\"us\"}").reason());
    }

    @Test
    void extreme_values_are_clamped_into_range_and_reported_not_refused() {
        for (final String bytes : new String[] {"1e300", "-1e300", "1e400", "Infinity", "\"-Infinity\""}) {
            final float[][] enc = encode("{\"http\":{\"latency_ms\":50},\"bytes\":" + bytes + ",\"retried\":0,\"region\":\"us\"}");
            assertEquals(1, clamps, bytes);
            assertEquals(1, clamped[0], bytes);
            final float bound = (float) FeatureEncoder.MAX_ABS_ENCODED;
            assertEquals(bytes.contains("-") ? -bound : bound, enc[0][1], bytes);
            assertEquals(1f, enc[1][1], bytes);
        }
        // log1p(1e400) is infinite, log1p(1e300) = 690 is "only" ~2,300 standard deviations: scored as is
        encode("{\"http\":{\"latency_ms\":1e400},\"bytes\":1,\"retried\":0,\"region\":\"us\"}");
        assertEquals(1, clamps);
        assertEquals(0, clamped[0]);
        final float[][] far = encode("{\"http\":{\"latency_ms\":1e300},\"bytes\":1,\"retried\":0,\"region\":\"us\"}");
        assertEquals(0, clamps);
        assertTrue(far[0][0] > 1000 && far[0][0] < FeatureEncoder.MAX_ABS_ENCODED, "z " + far[0][0]);
        // both extreme at once: both reported, in feature order
        encode("{\"http\":{\"latency_ms\":1e400},\"bytes\":-1e308,\"retried\":0,\"region\":\"us\"}");
        assertEquals(2, clamps);
        assertEquals(0, clamped[0]);
        assertEquals(1, clamped[1]);
    }

    @Test
    void fitting_refuses_infinite_values_that_scoring_would_clamp() {
        final FeatureEncoder.Fitter fitter = new FeatureEncoder.Fitter(encoder.spec());
        reader.read("{\"http\":{\"latency_ms\":50},\"bytes\":1e400,\"retried\":0,\"region\":\"us\"}".getBytes(StandardCharsets.UTF_8),
                fields);
        final EncodingException e = assertThrows(EncodingException.class, () -> fitter.accept(fields));
        assertEquals(FailureReason.NOT_FINITE, e.reason());
        assertEquals("bytes", e.field());
    }

    @Test
    void constant_and_nearly_constant_columns_get_scale_one_and_a_note() {
        final FeatureSpec spec = new FeatureSpec(null, null, null, null, List.of(
                new FeatureDef("flat", null, FeatureType.CONTINUOUS, Transform.NONE, MissingPolicy.REJECT),
                new FeatureDef("almost", null, FeatureType.CONTINUOUS, Transform.NONE, MissingPolicy.REJECT),
                new FeatureDef("varied", null, FeatureType.CONTINUOUS, Transform.NONE, MissingPolicy.REJECT)));
        final List<CsvRecordSource> rows = new ArrayList<>();
        final Random rnd = new Random(3);
        for (int i = 0; i < 100; i++) {
            rows.add(new CsvRecordSource(spec, List.of("flat", "almost", "varied"))
                    .reset(new String[] {"5", Double.toString(1.0 + (i % 2) * 1e-14), Double.toString(rnd.nextGaussian())}));
        }
        final FeatureEncoder.Fitted fitted = FeatureEncoder.fit(spec, rows);
        final List<FeatureStats> st = fitted.encoder().stats().features();
        assertEquals(1.0, st.get(0).scale());
        assertTrue(st.get(0).constant());
        assertEquals(1.0, st.get(1).scale());
        assertTrue(st.get(1).constant());
        assertTrue(!st.get(2).constant() && st.get(2).scale() > 0.5);
        assertEquals(2, fitted.summary().notes().stream().filter(n -> n.contains("constant")).count(), fitted.summary().notes().toString());
        final float[] x = new float[3];
        final float[] m = new float[3];
        fitted.encoder().encode(new CsvRecordSource(spec, List.of("flat", "almost", "varied")).reset(new String[] {"6", "1", "0"}), x, m, 0);
        assertEquals(1f, x[0], 1e-6);
        assertTrue(Float.isFinite(x[1]));
    }

    @Test
    void csv_cells_are_classified_like_json_values() {
        final FeatureSpec spec = TestData.spec();
        final FeatureSpec csvSpec = new FeatureSpec(null, null, null, 8, spec.features().stream()
                .map(f -> new FeatureDef(f.name(), f.name(), f.type(), f.transform(), f.missing())).toList());
        final FeatureEncoder csvEncoder = new FeatureEncoder(csvSpec, encoder.stats());
        final CsvRecordSource csv = new CsvRecordSource(csvSpec, List.of("region", "latency_ms", "bytes", "retried"));
        final float[] x = new float[7];
        final float[] m = new float[7];
        csvEncoder.encode(csv.reset(new String[] {"us", "50", "", "1"}), x, m, 0);
        final float[][] json = encode("{\"http\":{\"latency_ms\":50},\"retried\":1,\"region\":\"us\"}");
        assertArrayEquals(json[0], x);
        assertArrayEquals(json[1], m);
        final EncodingException nan = assertThrows(EncodingException.class,
                () -> csvEncoder.encode(csv.reset(new String[] {"us", "NaN", "1", "1"}), x, m, 0));
        assertEquals(FailureReason.NOT_FINITE, nan.reason());
        final IllegalArgumentException header = assertThrows(IllegalArgumentException.class,
                () -> new CsvRecordSource(csvSpec, List.of("region", "bytes")));
        assertTrue(header.getMessage().contains("latency_ms") && header.getMessage().contains("retried"), header.getMessage());
    }

    @Test
    void encoding_a_record_allocates_nothing_in_steady_state() {
        final EventFields e = read(TestData.events(5, 1).get(0));
        final float[] x = new float[encoder.width()];
        final float[] m = new float[encoder.width()];
        final com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20_000; i++) {
            encoder.encode(e, x, m, 0, clamped);
        }
        final long before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
            encoder.encode(e, x, m, 0, clamped);
        }
        final long perRecord = (mx.getCurrentThreadAllocatedBytes() - before) / 100_000;
        assertTrue(perRecord < 8, "bytes allocated per encoded record: " + perRecord);
    }

    @Test
    void time_features_are_the_sine_and_cosine_of_the_local_hour_and_weekday_after_the_modelled_columns() {
        final FeatureSpec spec = new FeatureSpec("event_id", null, "ts", 8, List.of(
                new FeatureDef("latency", null, FeatureType.CONTINUOUS, null, null),
                new FeatureDef("hour", null, FeatureType.TIME, null, null, true, dev.nelbo.schemas.spec.TimePeriod.HOUR_OF_DAY),
                new FeatureDef("weekday", null, FeatureType.TIME, null, null, true, dev.nelbo.schemas.spec.TimePeriod.DAY_OF_WEEK)),
                "Europe/Berlin");
        final EventReader r = EventReader.forSpec(spec, DecodeLimits.defaults());
        final EventFields f = r.newFields();
        final FeatureEncoder.Fitter fitter = new FeatureEncoder.Fitter(spec);
        for (int i = 0; i < 10; i++) {
            r.read(("{\"latency\": " + (10 + i) + ", \"ts\": " + (1_700_000_000_000L + i * 3_600_000L) + "}").getBytes(StandardCharsets.UTF_8), f);
            fitter.accept(f);
        }
        final FeatureEncoder enc = fitter.finish().encoder();
        assertEquals(1, enc.reconstructedWidth());
        assertEquals(5, enc.width());
        assertTrue(enc.layout().get(1).contextual() && enc.layout().get(1).width() == 2);
        final float[] x = new float[5];
        final float[] m = new float[5];
        // Wednesday 2026-06-03 16:30 UTC is 18:30 in Berlin (summer time): hour fraction 18.5 / 24, weekday (2 + 18.5/24) / 7
        r.read("{\"latency\": 12, \"ts\": \"2026-06-03T16:30:00Z\"}".getBytes(StandardCharsets.UTF_8), f);
        enc.encode(f, x, m, 0);
        final double hour = 2 * Math.PI * 18.5 / 24;
        final double day = 2 * Math.PI * (2 + 18.5 / 24) / 7;
        assertEquals(Math.sin(hour), x[1], 1e-6);
        assertEquals(Math.cos(hour), x[2], 1e-6);
        assertEquals(Math.sin(day), x[3], 1e-6);
        assertEquals(Math.cos(day), x[4], 1e-6);
        // the same instant as epoch milliseconds encodes the same
        final float[] y = new float[5];
        r.read(("{\"latency\": 12, \"ts\": " + java.time.Instant.parse("2026-06-03T16:30:00Z").toEpochMilli() + "}")
                .getBytes(StandardCharsets.UTF_8), f);
        enc.encode(f, y, m, 0);
        assertArrayEquals(x, y, 1e-6f);
        r.read("{\"latency\": 12, \"ts\": \"yesterday\"}".getBytes(StandardCharsets.UTF_8), f);
        final EncodingException e = assertThrows(EncodingException.class, () -> enc.encode(f, y, m, 0));
        assertEquals(FailureReason.WRONG_TYPE, e.reason());
        assertEquals("hour", e.field());
    }
}
