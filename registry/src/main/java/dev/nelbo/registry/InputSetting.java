package dev.nelbo.registry;

import dev.nelbo.contract.settings.Setting;
import dev.nelbo.contract.settings.Settings;
import dev.nelbo.schemas.event.AvroEventReader;
import dev.nelbo.schemas.event.ConfluentAvroFormat;
import dev.nelbo.schemas.event.EventFormat;
import dev.nelbo.schemas.event.ProtobufEventReader;
import dev.nelbo.schemas.event.SchemaRegistryClient;
import org.apache.avro.Schema;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The settings of the events' wire format ({@code nelbo.input.*}), declared once for every reader of the events topic:
 * the scorer, and the retrain job that trains on the same topic (here, the module both use, since schemas stays free of
 * Kafka and its settings). {@link #eventFormat} makes the {@link EventFormat} they name.
 */
public enum InputSetting {
    FORMAT(Setting.of("nelbo.input.format", Type.STRING, "json",
            "wire format of the input events: `json` (a JSON object per record), `avro` (binary Avro, one record per"
                    + " Kafka record, written with the schema of `nelbo.input.avro.schema`, or in the Confluent wire"
                    + " format with `nelbo.input.schema.registry.url`) or `protobuf` (one message of"
                    + " `nelbo.input.protobuf.message` per record)")
            .checked(ConfigDef.CaseInsensitiveValidString.in("json", "avro", "protobuf"))),
    AVRO_SCHEMA(Setting.of("nelbo.input.avro.schema", Type.STRING, null,
            "`.avsc` file of the events' Avro schema (a record) for `nelbo.input.format=avro`; the feature spec's"
                    + " paths address its fields, see docs/scorer.md \"Avro and Protobuf input\". Without a schema"
                    + " registry, the events are written with it; with one, it is the reader schema each record's writer"
                    + " schema resolves to (unset: the latest version of `nelbo.input.schema.registry.subject`, read at"
                    + " start)")),
    SCHEMA_REGISTRY_URL(Setting.of("nelbo.input.schema.registry.url", Type.LIST, "",
            "with `nelbo.input.format=avro`: the events are in the Confluent wire format (a zero byte and a 4-byte schema"
                    + " id before the Avro record), and each writer schema is read by id from this schema registry's"
                    + " Confluent-compatible API, once (URLs separated by commas are tried in turn; e.g."
                    + " `http://registry:8081` or Apicurio's `http://apicurio:8080/apis/ccompat/v7`)")
            .defaultShownAs("unset (plain Avro with the schema file)").checked((name, value) -> {
                for (final Object url : (List<?>) value) {
                    if (!url.toString().matches("https?://[^\\s/@]+(/\\S*)?")) {
                        throw new ConfigException(name, url, "expected an http:// or https:// URL without credentials"
                                + " (they go in nelbo.input.schema.registry.basic.auth.*)");
                    }
                }
            })),
    SCHEMA_REGISTRY_SUBJECT(Setting.of("nelbo.input.schema.registry.subject", Type.STRING, null,
            "the subject whose latest version is the reader schema when `nelbo.input.avro.schema` is unset")
            .defaultShownAs("`<nelbo.topic.events>-value` (the topic name strategy)")),
    SCHEMA_REGISTRY_USERNAME(Setting.of("nelbo.input.schema.registry.basic.auth.username", Type.STRING, null,
            "basic-auth user for the schema registry (with the password)")),
    SCHEMA_REGISTRY_PASSWORD(Setting.of("nelbo.input.schema.registry.basic.auth.password", Type.PASSWORD, null,
            "basic-auth password for the schema registry (from the environment:"
                    + " `NELBO_INPUT_SCHEMA_REGISTRY_BASIC_AUTH_PASSWORD`)")),
    SCHEMA_REGISTRY_TIMEOUT_MS(Setting.of("nelbo.input.schema.registry.timeout.ms", Type.LONG, 5_000L,
            "longest wait for one schema registry request").checked(Range.atLeast(1))),
    SCHEMA_REGISTRY_RETRY_MS(Setting.of("nelbo.input.schema.registry.retry.ms", Type.LONG, 10_000L,
            "how long the lookup of a schema id not seen before retries a registry that does not answer (backoff from"
                    + " 100 ms) before its record is dead-lettered as `schema_registry_unavailable`; for as long again,"
                    + " other new ids fail at once rather than stall the stream thread. Ids already read are unaffected."
                    + " Failed requests count in `nelbo_schema_registry_requests_total{outcome=\"failed\"}`")
            .checked(Range.atLeast(1))),
    SCHEMA_REGISTRY_MAX_SCHEMAS(Setting.of("nelbo.input.schema.registry.max.schemas", Type.INT, 1_000,
            "most writer schemas (and ids the registry did not have, for a minute each) remembered per reader")
            .checked(Range.atLeast(1))),
    PROTOBUF_DESCRIPTOR(Setting.of("nelbo.input.protobuf.descriptor", Type.STRING, null,
            "descriptor set of the events' `.proto` files for `nelbo.input.format=protobuf`, as `protoc --include_imports"
                    + " --descriptor_set_out=FILE` writes it")),
    PROTOBUF_MESSAGE(Setting.of("nelbo.input.protobuf.message", Type.STRING, null,
            "the events' message type, fully qualified (e.g. `shop.v1.Event`), for `nelbo.input.format=protobuf`"));

    private final Setting setting;

    InputSetting(final Setting setting) {
        this.setting = setting;
    }

    /** @return the declaration */
    public Setting setting() {
        return setting;
    }

    /** @return the setting's name */
    public String key() {
        return setting.name();
    }

    /**
     * Reads the format the settings name: the Avro schema or Protobuf descriptor set read, and with a schema registry
     * the reader schema fetched when no file names it (so a registry that cannot be reached fails the start).
     *
     * @param settings    parsed settings that declare every {@link InputSetting}
     * @param eventsTopic the events topic (its {@code -value} subject is the default)
     * @return the format
     * @throws IllegalArgumentException naming the setting when a file is missing or unreadable, a schema or descriptor
     *                                  set lacks the events' type, or the registry cannot give the reader schema
     */
    public static EventFormat eventFormat(final Settings settings, final String eventsTopic) {
        final String format = settings.text(FORMAT.key()).orElse("json");
        final List<URI> registryUrls = settings.urls(SCHEMA_REGISTRY_URL.key());
        if (!registryUrls.isEmpty() && !"avro".equalsIgnoreCase(format)) {
            throw new IllegalArgumentException("setting 'nelbo.input.schema.registry.url' is for nelbo.input.format=avro;"
                    + " " + format + " events are not read through a schema registry");
        }
        if ("json".equalsIgnoreCase(format)) {
            return EventFormat.JSON;
        }
        if (!registryUrls.isEmpty()) {
            return registryAvro(settings, registryUrls, eventsTopic);
        }
        if ("protobuf".equalsIgnoreCase(format)) {
            final String file = settings.text(PROTOBUF_DESCRIPTOR.key()).orElseThrow(() -> new IllegalArgumentException(
                    "setting 'nelbo.input.protobuf.descriptor' is required with nelbo.input.format=protobuf: the events'"
                            + " descriptor set (protoc --include_imports --descriptor_set_out=FILE)"));
            final String message = settings.text(PROTOBUF_MESSAGE.key()).orElseThrow(() -> new IllegalArgumentException(
                    "setting 'nelbo.input.protobuf.message' is required with nelbo.input.format=protobuf: the events'"
                            + " message type, e.g. shop.v1.Event"));
            try {
                return ProtobufEventReader.format(ProtobufEventReader.messageType(Files.readAllBytes(Path.of(file)), message));
            } catch (final IOException e) {
                throw new IllegalArgumentException("setting 'nelbo.input.protobuf.descriptor': cannot read " + file + ": "
                        + e.getMessage(), e);
            } catch (final IllegalArgumentException e) {
                throw new IllegalArgumentException("settings 'nelbo.input.protobuf.*' (" + file + ", " + message + "): "
                        + e.getMessage(), e);
            }
        }
        final String file = settings.text(AVRO_SCHEMA.key()).orElseThrow(() -> new IllegalArgumentException(
                "setting 'nelbo.input.avro.schema' is required with nelbo.input.format=avro: the .avsc file of the events'"
                        + " writer schema (or set nelbo.input.schema.registry.url for the Confluent wire format)"));
        final Schema schema = avroSchemaFile(file);
        try {
            return AvroEventReader.format(schema);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("setting 'nelbo.input.avro.schema': " + file + " is " + e.getMessage(), e);
        }
    }

    private static Schema avroSchemaFile(final String file) {
        try {
            return AvroEventReader.parseSchema(Files.readString(Path.of(file), StandardCharsets.UTF_8));
        } catch (final IOException e) {
            throw new IllegalArgumentException("setting 'nelbo.input.avro.schema': cannot read " + file + ": " + e.getMessage(), e);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("setting 'nelbo.input.avro.schema': " + file + " is " + e.getMessage(), e);
        }
    }

    /** Avro in the Confluent wire format: writer schemas from the registry, resolved to the reader schema. */
    private static EventFormat registryAvro(final Settings settings, final List<URI> urls, final String eventsTopic) {
        final SchemaRegistryClient client = new SchemaRegistryClient(urls,
                Duration.ofMillis(settings.value(SCHEMA_REGISTRY_TIMEOUT_MS.key(), Long.class)),
                settings.basicAuthorization(SCHEMA_REGISTRY_USERNAME.key(), SCHEMA_REGISTRY_PASSWORD.key()));
        final Optional<String> file = settings.text(AVRO_SCHEMA.key());
        final Schema reader;
        final String from;
        if (file.isPresent()) {
            reader = avroSchemaFile(file.get());
            from = "setting 'nelbo.input.avro.schema': " + file.get();
        } else {
            final String subject = settings.text(SCHEMA_REGISTRY_SUBJECT.key()).orElse(eventsTopic + "-value");
            from = "the latest version of subject '" + subject + "' (nelbo.input.schema.registry.subject)";
            try {
                reader = AvroEventReader.parseSchema(client.latest(subject).schema());
            } catch (final SchemaRegistryClient.NotFoundException | SchemaRegistryClient.UnavailableException e) {
                throw new IllegalArgumentException("the reader schema: " + e.getMessage() + "; register the events'"
                        + " schema, or name it with nelbo.input.avro.schema", e);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading the reader schema", e);
            }
        }
        try {
            return new ConfluentAvroFormat(reader, client,
                    Duration.ofMillis(settings.value(SCHEMA_REGISTRY_RETRY_MS.key(), Long.class)),
                    settings.value(SCHEMA_REGISTRY_MAX_SCHEMAS.key(), Integer.class));
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("the reader schema, " + from + ", is " + e.getMessage(), e);
        }
    }
}
