package dev.nelbo.scorer.feedback;

import dev.nelbo.schemas.feedback.AlertFeedback;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.nelbo.schemas.feedback.AlertFeedback.Label.FALSE_POSITIVE;
import static dev.nelbo.schemas.feedback.AlertFeedback.Label.TRUE_POSITIVE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AlertPrecisionTest {

    private static AlertFeedback label(final AlertFeedback.Label l, final String version, final Map<String, String> context) {
        return new AlertFeedback(l, version, "event", "k", context, null, null, null);
    }

    private static AlertPrecision.Row row(final AlertPrecision p, final String version, final String context, final String value) {
        return p.rows().stream().filter(r -> r.modelVersion().equals(version) && java.util.Objects.equals(r.context(), context)
                && java.util.Objects.equals(r.value(), value)).findFirst().orElseThrow();
    }

    @Test
    void counts_each_version_and_context_value_exactly() {
        final AlertPrecision p = AlertPrecision.of(List.of(
                label(TRUE_POSITIVE, "v1", Map.of("region", "eu", "tier", "gold")),
                label(TRUE_POSITIVE, "v1", Map.of("region", "eu")),
                label(FALSE_POSITIVE, "v1", Map.of("region", "us")),
                label(FALSE_POSITIVE, "v2", Map.of("region", "eu")),
                label(TRUE_POSITIVE, null, Map.of())));
        assertEquals(new AlertPrecision.Row("v1", null, null, 2, 1), row(p, "v1", null, null));
        assertEquals(2.0 / 3, row(p, "v1", null, null).precision());
        assertEquals(new AlertPrecision.Row("v1", "region", "eu", 2, 0), row(p, "v1", "region", "eu"));
        assertEquals(new AlertPrecision.Row("v1", "region", "us", 0, 1), row(p, "v1", "region", "us"));
        assertEquals(new AlertPrecision.Row("v1", "tier", "gold", 1, 0), row(p, "v1", "tier", "gold"));
        assertEquals(new AlertPrecision.Row("v2", null, null, 0, 1), row(p, "v2", null, null));
        assertEquals(new AlertPrecision.Row(AlertFeedback.UNKNOWN_VERSION, null, null, 1, 0),
                row(p, AlertFeedback.UNKNOWN_VERSION, null, null));
        assertEquals(7, p.rows().size(), p.rows().toString());
        assertEquals(List.of(), AlertPrecision.of(List.of()).rows());
    }

    @Test
    void labels_written_by_anyone_cannot_explode_the_metric_labels() {
        final Random rnd = new Random(5);
        final List<AlertFeedback> labels = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            labels.add(label(rnd.nextBoolean() ? TRUE_POSITIVE : FALSE_POSITIVE, "v" + rnd.nextInt(200),
                    Map.of("c" + rnd.nextInt(30), "x" + rnd.nextInt(500))));
        }
        final AlertPrecision p = AlertPrecision.of(labels);
        final long versions = p.rows().stream().map(AlertPrecision.Row::modelVersion).distinct().count();
        assertEquals(AlertPrecision.MAX_VERSIONS + 1, versions, "the most labelled versions, the rest under _other");
        assertTrue(p.rows().stream().map(AlertPrecision.Row::context).filter(java.util.Objects::nonNull).distinct().count()
                <= AlertPrecision.MAX_CONTEXTS);
        assertTrue(p.rows().size() <= (AlertPrecision.MAX_VERSIONS + 1) * (1 + AlertPrecision.MAX_CONTEXTS
                * (AlertPrecision.MAX_VALUES + 1)));
        // nothing is lost: every label is counted once per version row
        assertEquals(labels.size(), p.rows().stream().filter(r -> r.context() == null)
                .mapToLong(r -> r.truePositives() + r.falsePositives()).sum());
    }
}
