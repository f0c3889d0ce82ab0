package dev.nelbo.deploy.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The tools' Avro producer side: JSON events as records of an Avro schema, framed in the Confluent wire format (a zero
 * byte, the schema's id, the record) with the id the schema registry gives the schema when {@link #register}ed under
 * the topic's {@code -value} subject, as Confluent's and Apicurio's serializers do with auto-registration. A field
 * reads the event's member of its name: unions take the branch the value fits, enums their symbol, a
 * {@code timestamp-millis} long an epoch-milliseconds number or an ISO-8601 instant, a missing field its default.
 */
public final class AvroValues {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Schema schema;
    private final int id;
    private final GenericDatumWriter<GenericRecord> writer;

    private AvroValues(final Schema schema, final int id) {
        this.schema = schema;
        this.id = id;
        this.writer = new GenericDatumWriter<>(schema);
    }

    /**
     * Registers the schema (an existing identical version keeps its id).
     *
     * @param registry      the registry's Confluent-compatible API
     * @param subject       e.g. {@code events-value}
     * @param schema        the events' schema (a record)
     * @param authorization the {@code Authorization} header's value, if any
     * @return the encoder of records with the id the registry gave
     * @throws IllegalStateException when the registry refuses or cannot be reached
     */
    public static AvroValues register(final URI registry, final String subject, final Schema schema,
                                      final Optional<String> authorization) {
        if (schema.getType() != Schema.Type.RECORD) {
            throw new IllegalArgumentException("the events' schema must be a record, not " + schema.getType());
        }
        final String url = registry.toString().replaceAll("/+$", "") + "/subjects/"
                + URLEncoder.encode(subject, StandardCharsets.UTF_8) + "/versions";
        try {
            final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                    .POST(HttpRequest.BodyPublishers.ofString(MAPPER.createObjectNode().put("schema", schema.toString())
                            .toString()));
            authorization.ifPresent(a -> request.header("Authorization", a));
            final HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()
                    .send(request.build(), HttpResponse.BodyHandlers.ofString());
            final JsonNode body = r.statusCode() / 100 == 2 ? MAPPER.readTree(r.body()) : null;
            if (body == null || !body.path("id").canConvertToInt()) {
                throw new IllegalStateException("the schema registry at " + registry + " refused the schema for subject '"
                        + subject + "': HTTP " + r.statusCode() + " " + r.body());
            }
            return new AvroValues(schema, body.get("id").intValue());
        } catch (final IOException e) {
            throw new IllegalStateException("cannot register the schema at " + registry + ": " + e.getMessage(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while registering the schema", e);
        }
    }

    /** @return the schema's id in the registry */
    public int id() {
        return id;
    }

    /**
     * @param json one JSON event
     * @return it as a framed Avro record
     * @throws IllegalArgumentException naming the field when the event does not fit the schema
     */
    public byte[] encode(final String json) {
        final JsonNode event;
        try {
            event = MAPPER.readTree(json);
        } catch (final com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        final Object record = datum(schema, event, schema.getName());
        final ByteArrayOutputStream out = new ByteArrayOutputStream(json.length());
        out.write(0);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        try {
            final BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write((GenericRecord) record, enc);
            enc.flush();
        } catch (final IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot write the event as " + schema.getFullName() + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    private static Object datum(final Schema s, final JsonNode v, final String where) {
        switch (s.getType()) {
            case UNION -> {
                for (final Schema branch : s.getTypes()) {
                    if (branch.getType() == Schema.Type.NULL ? v == null || v.isNull() : v != null && !v.isNull()) {
                        try {
                            return datum(branch, v, where);
                        } catch (final IllegalArgumentException e) {
                            // try the next branch
                        }
                    }
                }
                throw new IllegalArgumentException("'" + where + "': no branch of " + s + " fits " + v);
            }
            case NULL -> {
                if (v == null || v.isNull()) {
                    return null;
                }
            }
            case RECORD -> {
                if (v != null && v.isObject()) {
                    final GenericRecord r = new GenericData.Record(s);
                    for (final Schema.Field f : s.getFields()) {
                        final JsonNode member = v.get(f.name());
                        r.put(f.pos(), member == null && f.hasDefaultValue()
                                ? GenericData.get().getDefaultValue(f) : datum(f.schema(), member, where + "." + f.name()));
                    }
                    return r;
                }
            }
            case MAP -> {
                if (v != null && v.isObject()) {
                    final Map<String, Object> m = new LinkedHashMap<>();
                    for (final Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                        final Map.Entry<String, JsonNode> e = it.next();
                        m.put(e.getKey(), datum(s.getValueType(), e.getValue(), where + "." + e.getKey()));
                    }
                    return m;
                }
            }
            case ARRAY -> {
                if (v != null && v.isArray()) {
                    final List<Object> l = new ArrayList<>();
                    v.forEach(e -> l.add(datum(s.getElementType(), e, where + "[]")));
                    return new GenericData.Array<>(s, l);
                }
            }
            case STRING -> {
                if (v != null && v.isValueNode() && !v.isNull()) {
                    return v.asText();
                }
            }
            case ENUM -> {
                if (v != null && v.isTextual() && s.hasEnumSymbol(v.asText())) {
                    return new GenericData.EnumSymbol(s, v.asText());
                }
            }
            case BOOLEAN -> {
                if (v != null && v.isBoolean()) {
                    return v.booleanValue();
                }
            }
            case INT -> {
                if (v != null && v.canConvertToInt() && v.isIntegralNumber()) {
                    return v.intValue();
                }
            }
            case LONG -> {
                final LogicalType t = s.getLogicalType();
                if (v != null && v.isIntegralNumber() && v.canConvertToLong()) {
                    return v.longValue();
                }
                if (v != null && v.isTextual() && t instanceof LogicalTypes.TimestampMillis) {
                    try {
                        return Instant.parse(v.asText()).toEpochMilli();
                    } catch (final DateTimeParseException e) {
                        throw new IllegalArgumentException("'" + where + "': not an ISO-8601 instant: " + v.asText());
                    }
                }
            }
            case FLOAT, DOUBLE -> {
                if (v != null && v.isNumber()) {
                    return s.getType() == Schema.Type.FLOAT ? (Object) v.floatValue() : (Object) v.doubleValue();
                }
            }
            default -> throw new IllegalArgumentException("'" + where + "': the tools do not write " + s.getType() + " fields");
        }
        throw new IllegalArgumentException("'" + where + "': " + (v == null ? "missing" : v.getNodeType().toString().toLowerCase(
                java.util.Locale.ROOT) + " " + v) + " where the schema has " + s.getType().getName());
    }
}
