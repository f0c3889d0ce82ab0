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
        final GenericRecord r = new GenericData.Record(SCHEMA);
        r.put("event_id", e.get("event_id").asText());
        r.put("key", e.get("key").asText());
        r.put("ts", e.get("ts").asLong());
        final GenericRecord http = new GenericData.Record(SCHEMA.getField("http").schema());
        http.put("latency_ms", e.get("http").get("latency_ms").asDouble());
        r.put("http", http);
        r.put("bytes", e.get("bytes").isNull() ? null : e.get("bytes").asDouble());
        r.put("retried", e.get("retried").asBoolean());
        r.put("region", new GenericData.EnumSymbol(SCHEMA.getField("region").schema(), e.get("region").asText()));
        r.put("tags", Map.of("team", "payments"));
        return r;
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
