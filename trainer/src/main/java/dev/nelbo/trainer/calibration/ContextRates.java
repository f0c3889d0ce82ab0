package dev.nelbo.trainer.calibration;

import dev.nelbo.schemas.encoding.ColumnBlock;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.encoding.Likelihood;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The realised alert rate per value of each categorical context feature (per service, per region), on rows the
 * model did not train on: one threshold for all contexts is only right when every context's normal rows cross it
 * about as often as the target says. Reported by {@code train}; a context far off the target wants its own model
 * or more training rows of it.
 */
public final class ContextRates {

    /** Rates more than this factor from the target (either way) are pointed out. */
    static final double FAR = 3;

    /**
     * One context value.
     *
     * @param feature the context feature
     * @param value   its value
     * @param rows    validation rows with it
     * @param alerts  how many of them score above the threshold
     */
    public record Rate(String feature, String value, int rows, int alerts) {
        /** @return the realised rate */
        public double rate() {
            return rows == 0 ? 0 : (double) alerts / rows;
        }
    }

    private ContextRates() {
    }

    /**
     * @param encoder   the model's encoder
     * @param x         encoded validation rows, row-major
     * @param rows      number of rows
     * @param scores    their scores
     * @param thresholds each row's alert threshold
     * @return one rate per value of each categorical context feature, in layout and vocabulary order
     */
    public static List<Rate> of(final FeatureEncoder encoder, final float[] x, final int rows, final double[] scores,
                                final double[] thresholds) {
        final List<Rate> out = new ArrayList<>();
        final int width = encoder.width();
        final List<ColumnBlock> layout = encoder.layout();
        for (int f = 0; f < layout.size(); f++) {
            final ColumnBlock b = layout.get(f);
            if (!b.contextual() || b.likelihood() != Likelihood.CATEGORICAL) {
                continue;
            }
            final int[] count = new int[b.width()];
            final int[] alerts = new int[b.width()];
            for (int r = 0; r < rows; r++) {
                final int hot = b.hottest(x, r * width);
                count[hot]++;
                if (!(scores[r] <= thresholds[r])) {
                    alerts[hot]++;
                }
            }
            for (int k = 0; k < b.width(); k++) {
                if (count[k] > 0) {
                    out.add(new Rate(b.feature(), encoder.category(f, k), count[k], alerts[k]));
                }
            }
        }
        return out;
    }

    /**
     * @param rates     per-context rates
     * @param targetFpr the target
     * @return report lines, one per context feature, naming the values far from the target with enough rows to tell
     */
    public static List<String> describe(final List<Rate> rates, final double targetFpr) {
        final List<String> lines = new ArrayList<>();
        String feature = null;
        StringBuilder line = null;
        final List<String> far = new ArrayList<>();
        for (final Rate r : rates) {
            if (!r.feature().equals(feature)) {
                if (line != null) {
                    lines.add(finish(line, far));
                }
                feature = r.feature();
                line = new StringBuilder("context '" + feature + "', realised alert rate on validation rows (target "
                        + targetFpr + "):");
                far.clear();
            }
            line.append(String.format(Locale.ROOT, " %s %.4f (%d/%d);", r.value(), r.rate(), r.alerts(), r.rows()));
            // only where the rows could show the target at all: an expected count of at least one alert
            if (r.rows() * targetFpr >= 1 && (r.rate() > targetFpr * FAR || r.rate() < targetFpr / FAR)) {
                far.add(r.value());
            }
        }
        if (line != null) {
            lines.add(finish(line, far));
        }
        return lines;
    }

    private static String finish(final StringBuilder line, final List<String> far) {
        return far.isEmpty() ? line.toString() : line + " more than " + (int) FAR + "x off the target: " + String.join(", ", far);
    }
}
