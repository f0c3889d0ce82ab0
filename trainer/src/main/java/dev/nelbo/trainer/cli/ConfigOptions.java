package dev.nelbo.trainer.cli;

import dev.nelbo.trainer.retrain.RetrainConfig;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code --config FILE}, {@code --set KEY=VALUE} and {@code --bootstrap-server}, shared by the commands that talk to Kafka. */
final class ConfigOptions {

    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file (bootstrap.servers, Kafka client keys, nelbo.topic.*, nelbo.retrain.*; see docs/retraining.md).")
    Path file;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one setting (repeatable); wins over the file and NELBO_* variables.")
    Map<String, String> set = new LinkedHashMap<>();

    @Option(names = {"--bootstrap-server", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]",
            description = "Brokers: bootstrap.servers, as Kafka's own tools take it (wins over --set, the file and NELBO_* variables).")
    String bootstrapServer;

    /**
     * @param spec     the command (for usage errors)
     * @param fromFlags settings given by the command's own flags (win over everything)
     * @return the validated configuration
     * @throws CommandLine.ParameterException for a bad setting (exit code 2)
     */
    RetrainConfig load(final CommandLine.Model.CommandSpec spec, final Map<String, String> fromFlags) {
        final Map<String, String> overrides = new LinkedHashMap<>(set);
        if (bootstrapServer != null) {
            overrides.put("bootstrap.servers", bootstrapServer);
        }
        overrides.putAll(fromFlags);
        try {
            return RetrainConfig.load(file, System.getenv(), overrides);
        } catch (final IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }
}
