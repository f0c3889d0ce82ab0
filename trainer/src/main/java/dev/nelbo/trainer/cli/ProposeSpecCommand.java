package dev.nelbo.trainer.cli;

import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.schemas.event.AvroEventReader;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.event.ProtobufEventReader;
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
        description = {"Propose a feature spec from the events' Avro schema (.avsc) or Protobuf descriptor set: booleans"
                + " binary, numbers continuous, enums and strings categorical, fields that may be missing imputed, the id,"
                + " key and time fields by name and the hour of day as context. Prints what it decided and why; edit the"
                + " spec, then train with --spec.",
                "What only data shows (skew for log1p, identifiers among strings) is left to the notes."})
final class ProposeSpecCommand implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--avro-schema", paramLabel = "FILE", description = "The events' Avro schema (.avsc).")
    private Path schemaFile;

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
        if ((schemaFile == null) == (descriptorFile == null) || (descriptorFile == null) != (message == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give --avro-schema, or --protobuf-descriptor with"
                    + " --message");
        }
        final Path file = schemaFile != null ? schemaFile : descriptorFile;
        final byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (final IOException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "cannot read " + file + ": " + e.getMessage());
        }
        final SpecInference.Options options = SpecInference.Options.defaults().withLabel(labelColumn);
        final SpecInference.Result result = schemaFile != null
                ? SchemaSpecProposal.fromAvro(AvroEventReader.parseSchema(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)),
                        options)
                : SchemaSpecProposal.fromProtobuf(ProtobufEventReader.messageType(bytes, message), options);
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
}
