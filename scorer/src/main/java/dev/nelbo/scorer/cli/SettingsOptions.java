package dev.nelbo.scorer.cli;

import dev.nelbo.scorer.config.ScorerConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where a service command's settings come from: a properties file, the environment, and the command line. */
final class SettingsOptions {

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with the settings.")
    private Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A setting overriding file and environment (repeatable).")
    private Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = {"--bootstrap-server", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]",
            description = "Brokers: bootstrap.servers, as Kafka's own tools take it (wins over --set, file and environment).")
    private String bootstrapServer;

    /** @return the settings given on the command line, which win over the file and the environment */
    Map<String, String> overrides() {
        final Map<String, String> out = new LinkedHashMap<>(settings);
        if (bootstrapServer != null) {
            out.put("bootstrap.servers", bootstrapServer);
        }
        return out;
    }

    /** @return the settings: file < NELBO_* environment < command line */
    ScorerConfig load() {
        return ScorerConfig.load(config, System.getenv(), overrides());
    }
}
