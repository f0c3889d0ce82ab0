package dev.nelbo.schemas.spec;

import dev.nelbo.schemas.testing.TestData;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeatureSpecTest {

    @Test
    void should_accept_the_same_spec_and_refuse_specs_the_input_does_not_carry() {
        final FeatureSpec serving = TestData.spec();
        assertEquals(List.of(), TestData.spec().incompatibilitiesWith(serving));
        final List<FeatureDef> fewer = new ArrayList<>(serving.features().subList(0, 2));
        assertEquals(List.of(), new FeatureSpec("event_id", "key", "ts", 8, fewer).incompatibilitiesWith(serving),
                "a subset of the input's features is fine");
        final List<FeatureDef> extra = new ArrayList<>(serving.features());
        extra.add(new FeatureDef("cpu", "host.cpu", FeatureType.CONTINUOUS, null, null));
        assertTrue(new FeatureSpec("event_id", "key", "ts", 8, extra).incompatibilitiesWith(serving).get(0)
                .contains("host.cpu"));
        final List<FeatureDef> retyped = new ArrayList<>(serving.features());
        retyped.set(2, new FeatureDef("retried", "retried", FeatureType.CATEGORICAL, null, null));
        assertTrue(new FeatureSpec("event_id", "key", "ts", 8, retyped).incompatibilitiesWith(serving).get(0)
                .contains("retried"));
        assertTrue(new FeatureSpec("id", "key", "ts", 8, serving.features()).incompatibilitiesWith(serving).get(0)
                .contains("id path"));
    }

    @Test
    void a_spec_and_layout_without_context_serialise_exactly_as_before_context_existed() throws Exception {
        // content hashes (and so model versions and the retrain job's "nothing new") cover these documents
        final String spec = dev.nelbo.schemas.json.Json.DOCUMENTS.writeValueAsString(TestData.spec());
        assertTrue(!spec.contains("context") && !spec.contains("period") && !spec.contains("time_zone"), spec);
        final String layout = dev.nelbo.schemas.json.Json.DOCUMENTS.writeValueAsString(TestData.fittedEncoder(1, 100).layout());
        assertTrue(!layout.contains("context"), layout);
        final FeatureDef ctx = new FeatureDef("service", null, FeatureType.CATEGORICAL, null, null, true, null);
        final String withContext = dev.nelbo.schemas.json.Json.DOCUMENTS.writeValueAsString(ctx);
        assertTrue(withContext.contains("\"context\":true"), withContext);
        assertEquals(ctx, dev.nelbo.schemas.json.Json.DOCUMENTS.readValue(withContext, FeatureDef.class));
    }
}
