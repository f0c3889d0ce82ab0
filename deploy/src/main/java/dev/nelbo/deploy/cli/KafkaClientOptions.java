package dev.nelbo.deploy.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * How the tools reach Kafka: {@code --bootstrap-server} and {@code --config} (also spelled {@code --bootstrap-servers} and
 * {@code --client-config}), the same properties file
 * the scorer and the trainer take with {@code --config} (its {@code nelbo.*} keys are ignored here), so one file
 * holds a cluster's security settings ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}) for every component.
 */
final class KafkaClientOptions {

    static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";

    @Option(names = {"--bootstrap-server", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]",
            description = "Brokers (default: bootstrap.servers from --client-config, else " + DEFAULT_BOOTSTRAP + ").")
    String bootstrapServers;

    @Option(names = {"--config", "--client-config"}, paramLabel = "FILE",
            description = "Kafka client properties (security.protocol, sasl.*, ssl.*, bootstrap.servers), the file the scorer and the"
                    + " trainer take with --config; nelbo.* keys are ignored.")
    Path clientConfig;

    /**
     * @param spec the command (for usage errors)
     * @return the client properties: the file's Kafka keys, then {@code --bootstrap-servers}
     * @throws CommandLine.ParameterException when the file cannot be read
     */
    Properties properties(final CommandLine.Model.CommandSpec spec) {
        final Properties out = new Properties();
        if (clientConfig != null) {
            final Properties file = new Properties();
            try (Reader r = Files.newBufferedReader(clientConfig, StandardCharsets.UTF_8)) {
                file.load(r);
            } catch (final IOException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--client-config: cannot read " + clientConfig
                        + ": " + e.getMessage(), e);
            }
            file.stringPropertyNames().stream().filter(k -> !k.startsWith("nelbo.")).forEach(k -> out.put(k, file.getProperty(k).trim()));
        }
        if (bootstrapServers != null) {
            out.put("bootstrap.servers", bootstrapServers);
        }
        out.putIfAbsent("bootstrap.servers", DEFAULT_BOOTSTRAP);
        return out;
    }
}
