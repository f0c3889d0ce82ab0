package dev.nelbo.deploy.cli;

import dev.nelbo.deploy.kafka.AvroValues;
import dev.nelbo.contract.settings.Settings;
import dev.nelbo.deploy.kafka.CheckedProducer;
import org.apache.avro.Schema;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * {@code --avro-schema} and {@code --schema-registry-url}: events go to the topic as Avro in the Confluent wire format,
 * the schema registered under the topic's {@code -value} subject, as a Confluent or Apicurio serializer writes them.
 * Without them, events go as JSON text.
 */
final class AvroOutputOptions {

    @Option(names = "--avro-schema", paramLabel = "FILE", description = "Write Avro records of this schema (.avsc;"
            + " deploy/demo/events.avsc fits the generator's events) instead of JSON; needs --schema-registry-url.")
    Path schemaFile;

    @Option(names = "--schema-registry-url", paramLabel = "URL", description = "Register the schema under <topic>-value"
            + " in this registry's Confluent-compatible API and frame each record with its id. Basic auth from"
            + " NELBO_INPUT_SCHEMA_REGISTRY_BASIC_AUTH_USERNAME and _PASSWORD.")
    URI registryUrl;

    /**
     * @param spec   the command (for errors)
     * @param client Kafka client settings
     * @param topic  destination topic
     * @return a producer that writes JSON, or Avro through the registry when the options say so
     */
    CheckedProducer producer(final CommandLine.Model.CommandSpec spec, final Properties client, final String topic) {
        if (schemaFile == null && registryUrl == null) {
            return new CheckedProducer(client, topic);
        }
        if (schemaFile == null || registryUrl == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--avro-schema and --schema-registry-url go together");
        }
        final Schema schema;
        try {
            schema = new Schema.Parser().parse(Files.readString(schemaFile, StandardCharsets.UTF_8));
        } catch (final IOException | RuntimeException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--avro-schema " + schemaFile + ": " + e.getMessage());
        }
        final String user = System.getenv("NELBO_INPUT_SCHEMA_REGISTRY_BASIC_AUTH_USERNAME");
        final String password = System.getenv("NELBO_INPUT_SCHEMA_REGISTRY_BASIC_AUTH_PASSWORD");
        final Optional<String> authorization = user == null || password == null ? Optional.empty()
                : Optional.of(Settings.basicHeader(user, password));
        final AvroValues avro = AvroValues.register(registryUrl, topic + "-value", schema, authorization);
        spec.commandLine().getErr().printf("writing Avro records of %s (schema id %d in %s)%n", schema.getFullName(), avro.id(),
                registryUrl);
        return new CheckedProducer(client, topic, avro::encode);
    }
}
