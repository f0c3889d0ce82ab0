package dev.nelbo.scorer.cli;

import dev.nelbo.engine.EngineOptions;
import dev.nelbo.scorer.offline.OfflineScorer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code score}: offline scoring of a CSV or JSONL file with a model bundle. */
@Command(name = "score", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Score a file offline: one score record per input line, in input order.",
                "Input is CSV with a header row (.csv) or one JSON object per line (anything else).",
                "Records that cannot be encoded go to the errors file with line number and reason."})
public final class ScoreCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model bundle directory.")
    private Path model;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Input file (.csv with header, JSONL, or .avro: an Avro container file, each record read as its JSON twin).")
    private Path data;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output file of score records (JSONL).")
    private Path out;

    @Option(names = "--errors", paramLabel = "FILE", description = "Errors file (default: OUT.errors).")
    private Path errors;

    @Option(names = "--samples", paramLabel = "N", defaultValue = EngineOptions.DEFAULT_SAMPLES_TEXT, description = "Monte Carlo samples per record.")
    private int samples;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "256", description = "Records per engine call.")
    private int batch;

    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu", description = "cpu, cuda or cuda:N.")
    private String device;

    @Override
    public Integer call() {
        final Path errorsFile = errors != null ? errors : out.resolveSibling(out.getFileName() + ".errors");
        final OfflineScorer.Summary s = OfflineScorer.score(model, data, out, errorsFile, samples, batch, device);
        spec.commandLine().getOut().printf("scored %d, errors %d (model %s) -> %s%s%n", s.scored(), s.errors(), s.modelVersion(),
                out, s.errors() > 0 ? ", errors in " + errorsFile : "");
        return 0;
    }
}
