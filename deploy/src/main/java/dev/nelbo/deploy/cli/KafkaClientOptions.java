package dev.nelbo.deploy.cli;

import dev.nelbo.contract.settings.SettingSources;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * How the tools reach Kafka: the client options every nelbo command that talks to Kafka takes. {@code --config} is the
 * properties file the scorer and the trainer take (only its Kafka client keys are read here: its {@code nelbo.*} and
 * Kafka Streams keys are the scorer's), so one file holds a
 * cluster's security settings ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}) for every component; then
 * {@code NELBO_KAFKA_*} variables, then {@code --set}, then {@code --bootstrap-server}, later winning, as for the other jars.
 */
final class KafkaClientOptions {

    static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";

    private static final Set<String> CLIENT_KEYS = clientKeys();

    @Option(names = {"--bootstrap-server", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]",
            description = "Brokers (default: bootstrap.servers from --config or --set, else " + DEFAULT_BOOTSTRAP + ").")
    String bootstrapServers;

    @Option(names = {"--config", "--client-config"}, paramLabel = "FILE",
            description = "Kafka client properties (security.protocol, sasl.*, ssl.*, bootstrap.servers), the file the scorer and the"
                    + " trainer take with --config; its other keys (nelbo.*, Kafka Streams) are ignored.")
    Path clientConfig;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "One Kafka client setting (repeatable); wins over the file and NELBO_KAFKA_* variables.")
    Map<String, String> set = new LinkedHashMap<>();

    /**
     * @param spec the command (for usage errors)
     * @return the client properties: the file's Kafka keys, {@code NELBO_KAFKA_*} variables, {@code --set}, then
     *         {@code --bootstrap-server}
     * @throws CommandLine.ParameterException when the file cannot be read or a key is not a Kafka client setting
     */
    Properties properties(final CommandLine.Model.CommandSpec spec) {
        final Map<String, String> layered;
        try {
            layered = SettingSources.layer(clientConfig, SettingSources.fromEnvironment(System.getenv(), CLIENT_KEYS::contains,
                    k -> false, false), set);
        } catch (final IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        final Properties out = new Properties();
        for (final Map.Entry<String, String> e : layered.entrySet()) {
            final String key = e.getKey().trim();
            if (CLIENT_KEYS.contains(key)) {
                out.put(key, e.getValue() == null ? "" : e.getValue().trim());
            } else if (set.containsKey(e.getKey())) {
                // the file's other keys are the scorer's (nelbo.*, Streams) and stay there; a --set must be a client key
                throw new CommandLine.ParameterException(spec.commandLine(), "unknown setting '" + key
                        + "': not a Kafka producer, consumer or admin client setting");
            }
        }
        if (bootstrapServers != null) {
            out.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        }
        out.putIfAbsent(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, DEFAULT_BOOTSTRAP);
        return out;
    }

    private static Set<String> clientKeys() {
        final Set<String> keys = new HashSet<>(ProducerConfig.configNames());
        keys.addAll(ConsumerConfig.configNames());
        keys.addAll(AdminClientConfig.configNames());
        return keys;
    }
}
