package dev.nelbo.trainer.cli;

import dev.nelbo.trainer.retrain.RetrainConfig;
import dev.nelbo.trainer.retrain.RetrainJob;
import dev.nelbo.trainer.retrain.RetrainKey;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code retrain}: the scheduled job that trains a challenger on recent traffic and publishes it when it is no worse. */
@Command(name = "retrain", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Read the events topic over a time window, train a challenger with the champion's feature spec and"
                + " settings, compare both on the most recent held-back slice (mean negative ELBO, alert rate, score drift)"
                + " and publish the challenger to the model registry only when it passes the gates. With no champion"
                + " (a fresh install) it trains, checks and publishes a first model with the default settings.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:published (as current, or as shadow with nelbo.retrain.publish.as=shadow)",
            "1:error (Kafka, training or scoring failed; nothing published)",
            "2:bad usage or configuration (the message names the setting)",
            "3:the challenger failed a gate; the champion stays (the report says which)",
            "4:nothing new: too few records in the window, or an identical model is already in the registry",
            "5:the registry's current model changed during the run (a rollback or another publish): nothing published"})
final class RetrainCommand implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    private ConfigOptions config;

    @Option(names = "--window", paramLabel = "DURATION", description = "Window length, e.g. 7d, 12h (nelbo.retrain.window; default 7d).")
    private String window;

    @Option(names = "--window-end", paramLabel = "INSTANT", description = "Window end, e.g. 2026-11-21T12:00:00Z (default now); pin it to rerun a window.")
    private String windowEnd;

    @Option(names = "--max-rows", paramLabel = "N", description = "Training sample cap (nelbo.retrain.max.rows; default 200000).")
    private String maxRows;

    @Option(names = "--shadow", description = "Publish a passing challenger as shadow instead of current.")
    private boolean shadow;

    @Option(names = "--report", paramLabel = "FILE", description = "Write the JSON report here (nelbo.retrain.report).")
    private Path report;

    @Option(names = "--work-dir", paramLabel = "DIR", description = "Keep the champion and challenger bundles here (nelbo.retrain.work.dir).")
    private Path workDir;

    @Override
    public Integer call() {
        final Map<String, String> flags = new LinkedHashMap<>();
        put(flags, RetrainKey.WINDOW, window);
        put(flags, RetrainKey.WINDOW_END, windowEnd);
        put(flags, RetrainKey.MAX_ROWS, maxRows);
        put(flags, RetrainKey.PUBLISH_AS, shadow ? "shadow" : null);
        put(flags, RetrainKey.REPORT, report == null ? null : report.toString());
        put(flags, RetrainKey.WORK_DIR, workDir == null ? null : workDir.toString());
        final RetrainConfig settings = config.load(spec, flags);
        // as for train: one PyTorch intra-op thread was fastest for models this size on 2 cores
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
        return RetrainJob.run(settings, Instant.now(), spec.commandLine().getOut()).decision().exitCode();
    }

    private static void put(final Map<String, String> flags, final RetrainKey key, final String value) {
        if (value != null) {
            flags.put(key.key(), value);
        }
    }
}
