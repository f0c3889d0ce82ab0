package dev.nelbo.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates documents against nelbo's JSON Schemas (draft 2020-12). Every problem is reported with
 * the JSON path of the failing value (for example {@code $.features[0].type: does not have a value in
 * the enumeration [continuous, binary, categorical]}).
 */
public final class Schemas {

    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
            b -> b.schemaMappers(m -> m.mapPrefix(SchemaDocument.ID_PREFIX, "classpath:dev/nelbo/schemas/")));
    private static final Map<SchemaDocument, JsonSchema> SCHEMAS = new EnumMap<>(SchemaDocument.class);

    static {
        for (SchemaDocument d : SchemaDocument.values()) {
            final JsonSchema s = FACTORY.getSchema(SchemaLocation.of(d.id()));
            s.initializeValidators();
            SCHEMAS.put(d, s);
        }
    }

    private Schemas() {
    }

    /**
     * @param document which schema
     * @param json     the document
     * @return problems, each as {@code path: message}; empty when valid
     */
    public static List<String> validate(final SchemaDocument document, final JsonNode json) {
        if (json == null) {
            return List.of("$: document is empty");
        }
        final Set<ValidationMessage> messages = SCHEMAS.get(document).validate(json);
        final List<String> out = new ArrayList<>(messages.size());
        for (ValidationMessage m : messages) {
            out.add(m.getMessage());
        }
        out.sort(null);
        return out;
    }
}
