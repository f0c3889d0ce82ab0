package dev.nelbo.trainer.cli;

import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.schemas.event.AvroEventReader;
import dev.nelbo.schemas.event.ProtobufEventReader;
import dev.nelbo.schemas.event.SchemaRegistryClient;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.spec.SchemaSpecProposal;
import dev.nelbo.schemas.spec.SpecInference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code propose-spec}: a feature spec proposed from the events' Avro schema or Protobuf descriptor, for the user to edit. */
@Command(name = "propose-spec", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Propose a feature spec from the events' Avro schema (.avsc, or a subject's latest version in a schema"
                + " registry) or Protobuf descriptor set: booleans"
                + " binary, numbers continuous, enums and strings categorical, fields that may be missing imputed, the id,"
                + " key and time fields by name and the hour of day as context. Prints what it decided and why; edit the"
                + " spec, then train with --spec.",
                "What only data shows (skew for log1p, identifiers among strings) is left to the notes."})
final class ProposeSpecCommand implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--avro-schema", paramLabel = "FILE", description = "The events' Avro schema (.avsc).")
    private Path schemaFile;

    @Option(names = "--schema-registry-url", paramLabel = "URL", description = {"A schema registry's Confluent-compatible"
            + " API (e.g. http://registry:8081): the schema is the latest version of --subject. Basic auth from"
            + " NELBO_INPUT_SCHEMA_REGISTRY_BASIC_AUTH_USERNAME and _PASSWORD, as the scorer's."})
    private java.net.URI registryUrl;

    @Option(names = "--subject", paramLabel = "NAME", description = "With --schema-registry-url: the events' subject"
            + " (e.g. events-value).")
    private String subject;

    @Option(names = "--protobuf-descriptor", paramLabel = "FILE",
            description = "The events' descriptor set (protoc --include_imports --descriptor_set_out=FILE).")
    private Path descriptorFile;

    @Option(names = "--message", paramLabel = "NAME", description = "With --protobuf-descriptor: the events' message type.")
    private String message;

    @Option(names = "--label-column", paramLabel = "PATH", description = "A field to leave out (ground truth).")
    private String labelColumn;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Spec file to write (must not exist).")
    private Path out;

    @Override
    public Integer call() {
        if (Files.exists(out)) {
            throw new CommandLine.ParameterException(spec.commandLine(), out + " exists: propose-spec does not overwrite a spec");
        }
        final int sources = (schemaFile == null ? 0 : 1) + (descriptorFile == null ? 0 : 1) + (registryUrl == null ? 0 : 1);
        if (sources != 1 || (descriptorFile == null) != (message == null) || (registryUrl == null) != (subject == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give --avro-schema, --schema-registry-url with"
                    + " --subject, or --protobuf-descriptor with --message");
        }
        final SpecInference.Options options = SpecInference.Options.defaults().withLabel(labelColumn);
        final SpecInference.Result result = descriptorFile != null
                ? SchemaSpecProposal.fromProtobuf(ProtobufEventReader.messageType(read(descriptorFile), message), options)
                : SchemaSpecProposal.fromAvro(AvroEventReader.parseSchema(registryUrl != null ? latest()
                        : new String(read(schemaFile), java.nio.charset.StandardCharsets.UTF_8)), options);
        final List<String> problems = Schemas.validate(SchemaDocument.FEATURE_SPEC, Json.DOCUMENTS.valueToTree(result.spec()));
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the proposed spec does not validate: " + String.join("; ", problems));
        }
        try {
            Json.DOCUMENTS.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), result.spec());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write " + out, e);
        }
        final PrintWriter w = spec.commandLine().getOut();
        w.printf("wrote %s: %d features, id %s, key %s, time %s%n", out, result.spec().features().size(),
                result.spec().idPath(), result.spec().keyPath(), result.spec().timestampPath());
        result.notes().forEach(n -> w.println("  " + n));
        return 0;
    }

    private byte[] read(final Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (final IOException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "cannot read " + file + ": " + e.getMessage());
        }
    }

    /** @return the text of the subject's latest schema in the registry */
    private String latest() {
        final String user = System.getenv("NELBO_INPUT_SCHEMA_REGISTRY_BASIC_AUTH_USERNAME");
        final String password = System.getenv("NELBO_INPUT_SCHEMA_REGISTRY_BASIC_AUTH_PASSWORD");
        final java.util.Optional<String> authorization = user == null || password == null ? java.util.Optional.empty()
                : java.util.Optional.of(dev.nelbo.contract.settings.Settings.basicHeader(user, password));
        try {
            final SchemaRegistryClient.RegisteredSchema latest = new SchemaRegistryClient(List.of(registryUrl),
                    java.time.Duration.ofSeconds(10), authorization).latest(subject);
            if (!"AVRO".equalsIgnoreCase(latest.type())) {
                throw new CommandLine.ParameterException(spec.commandLine(), "subject '" + subject + "' holds a "
                        + latest.type() + " schema; propose-spec reads Avro from a registry");
            }
            spec.commandLine().getOut().printf("read subject '%s' (schema id %d) from %s%n", subject, latest.id(), registryUrl);
            return latest.schema();
        } catch (final SchemaRegistryClient.NotFoundException | SchemaRegistryClient.UnavailableException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the schema registry", e);
        }
    }
}
