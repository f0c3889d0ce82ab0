package dev.nelbo.schemas.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.event.AvroEventReader;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@link TestData}'s events as Avro ({@code event.avsc}: the same fields, with a union, an enum, a logical timestamp
 * and a map), written by Apache Avro's own writer, not by nelbo.
 */
public final class TestAvro {

    /** The schema's text. */
    public static final String SCHEMA_JSON = read();
    /** The events' writer schema. */
    public static final Schema SCHEMA = AvroEventReader.parseSchema(SCHEMA_JSON);

    private TestAvro() {
    }

    private static String read() {
        try (InputStream in = TestAvro.class.getResourceAsStream("event.avsc")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param e one of {@link TestData}'s JSON events (bytes may be null)
     * @return it as a record of {@link #SCHEMA}
     */
    public static GenericRecord record(final JsonNode e) {
        return record(e, SCHEMA);
    }

    /**
     * @param e      one of {@link TestData}'s JSON events
     * @param schema {@link #SCHEMA} or an evolution of it ({@link #evolved}): the fields it has are filled, an added
     *               optional one is left null
     * @return it as a record of that schema
     */
    public static GenericRecord record(final JsonNode e, final Schema schema) {
        final GenericRecord r = new GenericData.Record(schema);
        r.put("event_id", e.get("event_id").asText());
        r.put("key", e.get("key").asText());
        r.put("ts", e.get("ts").asLong());
        final GenericRecord http = new GenericData.Record(schema.getField("http").schema());
        http.put("latency_ms", e.get("http").get("latency_ms").asDouble());
        r.put("http", http);
        if (schema.getField("bytes") != null) {
            r.put("bytes", e.get("bytes").isNull() ? null : e.get("bytes").asDouble());
        }
        r.put("retried", e.get("retried").asBoolean());
        r.put("region", new GenericData.EnumSymbol(schema.getField("region").schema(), e.get("region").asText()));
        r.put("tags", Map.of("team", "payments"));
        return r;
    }

    /**
     * @param edit what to change in {@link #SCHEMA_JSON}: {@code added} (an optional field {@code host_os} added),
     *             {@code removed} (the field {@code bytes}, which has a default, removed), {@code incompatible}
     *             ({@code retried} a string)
     * @return the schema's text after that change, as a producer would register it
     */
    public static String evolved(final String edit) {
        final String bytesField = "    {\"name\": \"bytes\", \"type\": [\"null\", \"double\"], \"default\": null},\n";
        final String out = switch (edit) {
            case "added" -> SCHEMA_JSON.replace("    {\"name\": \"tags\"",
                    "    {\"name\": \"host_os\", \"type\": [\"null\", \"string\"], \"default\": null},\n    {\"name\": \"tags\"");
            case "removed" -> SCHEMA_JSON.replace(bytesField, "");
            case "incompatible" -> SCHEMA_JSON.replace("{\"name\": \"retried\", \"type\": \"boolean\"}",
                    "{\"name\": \"retried\", \"type\": \"string\"}");
            default -> throw new IllegalArgumentException(edit);
        };
        if (out.equals(SCHEMA_JSON)) {
            throw new IllegalStateException("event.avsc changed: the '" + edit + "' edit no longer applies");
        }
        return out;
    }

    /**
     * @param id   the writer schema's id in the schema registry
     * @param avro an Avro binary record
     * @return it in the Confluent wire format (a zero byte, the id in 4 big-endian bytes, the record), as Confluent's
     *         and Apicurio's serializers frame it
     */
    public static byte[] framed(final int id, final byte[] avro) {
        return java.nio.ByteBuffer.allocate(5 + avro.length).put((byte) 0).putInt(id).put(avro).array();
    }

    /**
     * @param r a record
     * @return its binary encoding with its own schema (Avro's {@code GenericDatumWriter})
     */
    public static byte[] bytes(final GenericRecord r) {
        try {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<GenericRecord>(r.getSchema()).write(r, enc);
            enc.flush();
            return out.toByteArray();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param e one of {@link TestData}'s JSON events
     * @return it as Avro bytes
     */
    public static byte[] bytes(final JsonNode e) {
        return bytes(record(e));
    }
}
