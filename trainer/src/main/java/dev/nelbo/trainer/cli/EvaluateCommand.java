package dev.nelbo.trainer.cli;

import dev.nelbo.engine.EngineOptions;
import dev.nelbo.trainer.pipeline.Evaluation;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code evaluate}: detection quality of a bundle on labelled data. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = "Score labelled data with a model bundle (through the scoring engine) and report AUROC, average"
                + " precision, precision/recall at the bundle's threshold and counts; optionally JSON and ROC/PR PNGs.")
final class EvaluateCommand implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model bundle directory.")
    private Path model;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Labelled data: .csv or .jsonl.")
    private Path data;

    @Option(names = "--label-column", defaultValue = "label", paramLabel = "NAME", description = "Column/field with 0/1 labels (1 = anomaly).")
    private String labelColumn;

    @Option(names = "--json", paramLabel = "OUT", description = "Also write the figures as JSON to this file.")
    private Path json;

    @Option(names = "--plots", paramLabel = "DIR", description = "Write roc.png and pr.png here (default: next to --json, else none).")
    private Path plots;

    @Option(names = "--samples", defaultValue = EngineOptions.DEFAULT_SAMPLES_TEXT, description = "Monte Carlo samples per score (the scorer's nelbo.engine.samples).")
    private int samples;

    @Option(names = "--max-bad-fraction", defaultValue = "0.01", description = "Largest tolerated share of unusable lines.")
    private double maxBadFraction;

    @Override
    public Integer call() {
        if (!(maxBadFraction >= 0 && maxBadFraction <= 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-bad-fraction must be in [0, 1], got " + maxBadFraction);
        }
        final Path plotDir = plots != null ? plots
                : json != null ? json.toAbsolutePath().getParent() : null;
        Evaluation.run(model, data, labelColumn, samples, maxBadFraction, json, plotDir, spec.commandLine().getOut());
        return 0;
    }
}
