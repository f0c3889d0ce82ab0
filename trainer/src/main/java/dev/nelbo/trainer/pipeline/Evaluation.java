package dev.nelbo.trainer.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.engine.ScoringModel;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.trainer.data.Dataset;
import dev.nelbo.trainer.data.DatasetReader;
import dev.nelbo.trainer.evaluate.DetectionMetrics;
import dev.nelbo.trainer.report.Chart;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * One {@code evaluate} run: read labelled data with the bundle's encoder, score it with the engine,
 * and report detection quality for the negative ELBO (and, for comparison, the importance-weighted
 * -log p(x) the engine also returns).
 */
public final class Evaluation {

    private Evaluation() {
    }

    /**
     * Figures of one evaluation.
     *
     * @param nelbo          metrics of the negative ELBO at the bundle's threshold
     * @param iwAuroc        AUROC of the importance-weighted score
     * @param iwAp           average precision of the importance-weighted score
     * @param rows           rows scored
     * @param anomalies      rows labelled 1
     * @param unusableLines  lines refused while reading
     */
    public record Result(DetectionMetrics nelbo, double iwAuroc, double iwAp, int rows, long anomalies,
                         long unusableLines) {
    }

    /**
     * @param model          bundle directory
     * @param data           labelled CSV/JSONL
     * @param labelColumn    0/1 label column
     * @param samples        engine samples per score
     * @param maxBadFraction largest tolerated share of unusable lines
     * @param json           JSON output file, or null
     * @param plots          folder for roc.png and pr.png, or null
     * @param out            printed summary
     * @return the figures
     * @throws IllegalArgumentException for bad input (message says what to fix)
     */
    public static Result run(final Path model, final Path data, final String labelColumn, final int samples,
                             final double maxBadFraction, final Path json, final Path plots, final PrintWriter out) {
        final ModelBundle bundle = ModelBundle.load(model);
        final Dataset rows = DatasetReader.readForEvaluation(data, bundle.encoder(), labelColumn, maxBadFraction);
        if (rows.bad().total() > 0) {
            out.println("skipped " + rows.bad().total() + " unusable lines: " + rows.bad().summary());
        }
        final EngineScores scores = EngineScores.score(ScoringModel.of(bundle),
                EngineOptions.defaults().withSamples(samples), rows.x(), rows.mask(), rows.rows());
        final double threshold = bundle.manifest().calibration().threshold();
        // per row: a model with per-context thresholds judges each row by its context value's
        final DetectionMetrics nelbo = DetectionMetrics.of(scores.nelbo(), rows.labels(), scores.thresholds(), threshold);
        final DetectionMetrics iw = DetectionMetrics.of(scores.iwNll(), rows.labels(), Double.POSITIVE_INFINITY);
        final long anomalies = java.util.Arrays.stream(rows.labels()).filter(l -> l == 1).count();
        final Result result = new Result(nelbo, iw.auroc(), iw.averagePrecision(), rows.rows(), anomalies, rows.bad().total());

        out.printf(Locale.ROOT, "model %s on %s: %d rows (%d anomalies)%n", bundle.version(), data, rows.rows(), anomalies);
        out.printf(Locale.ROOT, "AUROC %.4f  average precision %.4f  (importance-weighted score: AUROC %.4f, AP %.4f)%n",
                nelbo.auroc(), nelbo.averagePrecision(), iw.auroc(), iw.averagePrecision());
        out.printf(Locale.ROOT, "at threshold %.4f%s: precision %.4f recall %.4f fpr %.4f (tp %d, fp %d, tn %d, fn %d)%n",
                threshold, bundle.manifest().calibration().thresholdsBy() == null ? ""
                        : " (and per-" + bundle.manifest().calibration().thresholdsBy().feature() + " thresholds)",
                nelbo.precision(), nelbo.recall(), nelbo.falsePositiveRate(), nelbo.truePositives(),
                nelbo.falsePositives(), nelbo.trueNegatives(), nelbo.falseNegatives());
        if (json != null) {
            writeJson(json, bundle.version(), data, result);
            out.println("wrote " + json);
        }
        if (plots != null) {
            writePlots(plots, scores.nelbo(), rows.labels(), nelbo);
            out.println("wrote " + plots.resolve("roc.png") + " and " + plots.resolve("pr.png"));
        }
        out.flush();
        return result;
    }

    private static void writeJson(final Path file, final String version, final Path data, final Result r) {
        final ObjectNode o = Json.DOCUMENTS.createObjectNode();
        o.put("model_version", version);
        o.put("data", data.toString());
        o.put("rows", r.rows());
        o.put("anomalies", r.anomalies());
        o.put("unusable_lines", r.unusableLines());
        o.put("auroc", r.nelbo().auroc());
        o.put("average_precision", r.nelbo().averagePrecision());
        o.put("threshold", r.nelbo().threshold());
        o.put("precision", r.nelbo().precision());
        o.put("recall", r.nelbo().recall());
        o.put("false_positive_rate", r.nelbo().falsePositiveRate());
        o.put("true_positives", r.nelbo().truePositives());
        o.put("false_positives", r.nelbo().falsePositives());
        o.put("true_negatives", r.nelbo().trueNegatives());
        o.put("false_negatives", r.nelbo().falseNegatives());
        o.put("iw_auroc", r.iwAuroc());
        o.put("iw_average_precision", r.iwAp());
        try {
            final Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Json.DOCUMENTS.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), o);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void writePlots(final Path dir, final double[] scores, final int[] labels, final DetectionMetrics m) {
        final List<DetectionMetrics.Point> roc = DetectionMetrics.rocCurve(scores, labels);
        final List<DetectionMetrics.Point> pr = DetectionMetrics.prCurve(scores, labels);
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve("roc.png"), new Chart(String.format(Locale.ROOT, "ROC (AUROC %.4f)", m.auroc()),
                    "false-positive rate", "true-positive rate").range(0, 1, 0, 1.02)
                    .line("negative ELBO", xs(roc), ys(roc)).line("chance", new double[] {0, 1}, new double[] {0, 1})
                    .toPng());
            Files.write(dir.resolve("pr.png"), new Chart(String.format(Locale.ROOT, "Precision-recall (AP %.4f)",
                    m.averagePrecision()), "recall", "precision").range(0, 1, 0, 1.02)
                    .line("negative ELBO", xs(pr), ys(pr)).toPng());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write plots to " + dir, e);
        }
    }

    private static double[] xs(final List<DetectionMetrics.Point> points) {
        return points.stream().mapToDouble(DetectionMetrics.Point::x).toArray();
    }

    private static double[] ys(final List<DetectionMetrics.Point> points) {
        return points.stream().mapToDouble(DetectionMetrics.Point::y).toArray();
    }
}
