package dev.nelbo.deploy.cli;

import dev.nelbo.deploy.replay.JsonPath;
import dev.nelbo.deploy.replay.JsonlReplayer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Streams any JSONL file into a topic: backfills, tests, reproducing an incident. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Stream a JSONL file into a topic, one record per non-blank line, values sent verbatim.",
                "Lines that are not JSON are sent too (without a key): the scorer dead-letters them.",
                "With --avro-schema and --schema-registry-url each line goes as an Avro record in the Confluent wire"
                        + " format; lines that do not fit the schema are skipped and counted."})
public final class ReplayCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--file", required = true, description = "JSONL file to replay.")
    private Path file;

    @Option(names = "--topic", required = true, description = "Destination topic.")
    private String topic;

    @CommandLine.Mixin
    private KafkaClientOptions kafka;

    @CommandLine.Mixin
    private AvroOutputOptions avro;

    @Option(names = "--key-path", description = "Record key: a JSON path in each line (/service, service or $.service). Default: no key.")
    private String keyPath;

    @Option(names = "--rate", defaultValue = "0", description = "Records per second, 0 = as fast as possible. Default: ${DEFAULT-VALUE}")
    private double rate;

    @Option(names = "--limit", defaultValue = "0", description = "Send at most this many records, 0 = all. Default: ${DEFAULT-VALUE}")
    private long limit;

    @Override
    public Integer call() {
        if (!Files.isReadable(file)) {
            throw new ParameterException(spec.commandLine(), "cannot read --file " + file);
        }
        final Optional<JsonPath> path;
        try {
            path = Optional.ofNullable(keyPath).map(JsonPath::parse);
        } catch (final IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--key-path: " + e.getMessage());
        }
        final JsonlReplayer.Result result = new JsonlReplayer(path, rate, limit).replay(file,
                avro.producer(spec, kafka.properties(spec), topic), line -> {
                    spec.commandLine().getErr().println(line);
                    spec.commandLine().getErr().flush();
                });
        spec.commandLine().getOut().printf("replayed %,d records from %s to %s in %.1f s (%,d not JSON, %,d without key%s)%n",
                result.sent(), file, topic, result.seconds(), result.unparsable(), result.withoutKey(),
                result.unencodable() > 0 ? String.format(", %,d skipped: not records of the Avro schema", result.unencodable()) : "");
        return 0;
    }
}
