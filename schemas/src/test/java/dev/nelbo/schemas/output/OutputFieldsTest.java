package dev.nelbo.schemas.output;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nelbo.contract.output.OutputField;
import dev.nelbo.contract.output.OutputField.Part;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The output field names the scorer writes and the tools read are exactly the JSON Schemas' properties, object by object. */
class OutputFieldsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void each_output_object_has_the_fields_its_schema_defines() throws Exception {
        final JsonNode score = schema("score.schema.json");
        final JsonNode alert = schema("alert.schema.json");
        final JsonNode deadLetter = schema("dead-letter.schema.json");
        assertEquals(properties(score), fields(Part.SCORE), "score.schema.json");
        assertEquals(properties(alert), fields(Part.ALERT), "alert.schema.json");
        assertEquals(properties(deadLetter), fields(Part.DEAD_LETTER), "dead-letter.schema.json");
        assertEquals(properties(deadLetter.at("/$defs/source")), fields(Part.SOURCE), "source");
        assertEquals(properties(alert.at("/properties/top_features/items")), fields(Part.TOP_FEATURE), "top_features");
        assertEquals(properties(score.at("/$defs/clamped")), fields(Part.CLAMPED_VALUE), "clamped");
    }

    private static Set<String> fields(final Part part) {
        return Arrays.stream(OutputField.values()).filter(f -> f.in(part)).map(OutputField::wireName)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> properties(final JsonNode object) {
        final Set<String> names = new TreeSet<>();
        object.get("properties").fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static JsonNode schema(final String name) throws Exception {
        try (InputStream in = OutputFieldsTest.class.getResourceAsStream("/dev/nelbo/schemas/" + name)) {
            return JSON.readTree(in);
        }
    }
}
