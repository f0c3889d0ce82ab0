package dev.nelbo.trainer.report;

import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.encoding.ColumnBlock;
import dev.nelbo.trainer.vae.EpochStats;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training report stored in the bundle under {@code report/}: loss curves with the
 * reconstruction/KL split, the validation score histogram with the alert threshold, the
 * per-feature reconstruction error, and an HTML page that shows them with the key figures.
 */
public final class TrainingReport {

    /** Folder of the report inside the bundle. */
    public static final String DIR = "report/";

    private TrainingReport() {
    }

    /**
     * @param history        per-epoch training figures
     * @param scores         validation scores (from the scoring engine)
     * @param calibration    the calibration derived from them
     * @param layout         column layout (feature names)
     * @param featureError   reconstruction error per feature, in layout order
     * @param summary        key figures for the HTML page, by label
     * @return report files by bundle-relative name
     */
    public static Map<String, byte[]> render(final List<EpochStats> history, final double[] scores,
                                             final Manifest.Calibration calibration, final List<ColumnBlock> layout,
                                             final double[] featureError, final Map<String, String> summary) {
        final Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(DIR + "loss.png", lossCurves(history).toPng());
        files.put(DIR + "scores.png", scoreHistogram(scores, calibration).toPng());
        files.put(DIR + "features.png", featureErrors(layout, featureError).toPng());
        files.put(DIR + "report.html", html(summary).getBytes(StandardCharsets.UTF_8));
        return files;
    }

    static Chart lossCurves(final List<EpochStats> history) {
        final int n = history.size();
        final double[] epoch = new double[n];
        final double[] loss = new double[n];
        final double[] recon = new double[n];
        final double[] kl = new double[n];
        final double[] val = new double[n];
        final double[] valRecon = new double[n];
        final double[] valKl = new double[n];
        for (int i = 0; i < n; i++) {
            final EpochStats s = history.get(i);
            epoch[i] = s.epoch() + 1;
            loss[i] = s.trainLoss();
            recon[i] = s.trainRecon();
            kl[i] = s.trainKl();
            val[i] = s.valNelbo();
            valRecon[i] = s.valRecon();
            valKl[i] = s.valKl();
        }
        return new Chart("Training and validation loss per row", "epoch", "nats per row")
                .line("train loss (recon + beta KL)", epoch, loss)
                .line("train reconstruction", epoch, recon)
                .line("train KL", epoch, kl)
                .line("validation negative ELBO", epoch, val)
                .line("validation reconstruction", epoch, valRecon)
                .line("validation KL", epoch, valKl);
    }

    static Chart scoreHistogram(final double[] scores, final Manifest.Calibration calibration) {
        final double[] sorted = scores.clone();
        java.util.Arrays.sort(sorted);
        // Clip the axis at the 99.5th percentile or the threshold so one extreme row does not flatten the plot.
        final double lo = sorted[0];
        final double hi = Math.max(sorted[(int) Math.floor(0.995 * (sorted.length - 1))], calibration.threshold());
        final int bins = 40;
        final double width = (hi - lo) / bins > 0 ? (hi - lo) / bins : 1;
        final double[] counts = new double[bins];
        for (double s : sorted) {
            counts[(int) Math.min(bins - 1, Math.max(0, Math.floor((s - lo) / width)))]++;
        }
        final Chart chart = new Chart("Validation scores (negative ELBO) of held-back normal rows",
                "score", "rows");
        for (int b = 0; b < bins; b++) {
            chart.bar(lo + b * width, lo + (b + 1) * width, counts[b]);
        }
        return chart.marker(calibration.threshold(), String.format(Locale.ROOT, "threshold %.2f (fpr %s, %s)",
                calibration.threshold(), calibration.targetFpr(), calibration.method()));
    }

    static Chart featureErrors(final List<ColumnBlock> layout, final double[] featureError) {
        return new Chart("Reconstruction error per feature on validation rows (at z = mu)",
                "feature (gaussian: mean |x - mean| in sd; binary/categorical: error rate)", "error")
                .categoryBars(layout.stream().map(ColumnBlock::feature).toList(), featureError);
    }

    private static String html(final Map<String, String> summary) {
        final StringBuilder rows = new StringBuilder();
        summary.forEach((k, v) -> rows.append("<tr><th>").append(escape(k)).append("</th><td>").append(escape(v))
                .append("</td></tr>\n"));
        return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>nelbo training report</title>"
                + "<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}th{text-align:left;padding-right:1em}"
                + "img{max-width:100%;border:1px solid #ddd;margin:1em 0}</style></head><body>\n"
                + "<h1>nelbo training report</h1>\n<table>\n" + rows + "</table>\n"
                + "<img src=\"loss.png\" alt=\"loss curves\">\n<img src=\"scores.png\" alt=\"validation score histogram\">\n"
                + "<img src=\"features.png\" alt=\"per-feature reconstruction error\">\n</body></html>\n";
    }

    private static String escape(final String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
