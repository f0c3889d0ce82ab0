package dev.nelbo.deploy.replay;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * A path to one field of a JSON object, written as a JSON pointer ({@code /user/id}), a dotted path
 * ({@code user.id}) or a JSONPath-style dotted path ({@code $.user.id}).
 */
public final class JsonPath {

    private final String text;
    private final JsonPointer pointer;

    private JsonPath(final String text, final JsonPointer pointer) {
        this.text = text;
        this.pointer = pointer;
    }

    /**
     * @param path the path in one of the accepted notations
     * @return the compiled path
     * @throws IllegalArgumentException for an empty or malformed path
     */
    public static JsonPath parse(final String path) {
        final String trimmed = path == null ? "" : path.trim();
        if (trimmed.isEmpty() || "$".equals(trimmed) || "/".equals(trimmed)) {
            throw new IllegalArgumentException("a JSON path must name a field, e.g. /service or $.service");
        }
        final String pointer;
        if (trimmed.startsWith("/")) {
            pointer = trimmed;
        } else {
            final String dotted = trimmed.startsWith("$.") ? trimmed.substring(2) : trimmed;
            if (dotted.isEmpty() || dotted.startsWith(".") || dotted.endsWith(".") || dotted.contains("..")) {
                throw new IllegalArgumentException("malformed JSON path '" + path + "'");
            }
            pointer = "/" + dotted.replace("~", "~0").replace("/", "~1").replace('.', '/');
        }
        try {
            return new JsonPath(trimmed, JsonPointer.compile(pointer));
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed JSON path '" + path + "': " + e.getMessage(), e);
        }
    }

    /**
     * @param document a parsed JSON document
     * @return the value at this path as text (scalars as written, objects/arrays as JSON), empty when absent or null
     */
    public Optional<String> extract(final JsonNode document) {
        final JsonNode node = document.at(pointer);
        if (node.isMissingNode() || node.isNull()) {
            return Optional.empty();
        }
        return Optional.of(node.isValueNode() ? node.asText() : node.toString());
    }

    @Override
    public String toString() {
        return text;
    }
}
