package dev.nelbo.schemas.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The two Jackson mappers nelbo uses. {@link #DOCUMENTS} reads and writes nelbo's own documents
 * (snake_case, unknown properties rejected, so a typo in a spec is an error, not a silent default);
 * {@link #EVENTS} parses user events leniently enough to classify what is wrong with them (NaN and
 * Infinity tokens become numbers, so they are reported as {@code not_finite}, not as malformed JSON).
 */
public final class Json {

    /** Mapper for manifests, specs, scores, alerts and dead letters. Thread-safe. */
    public static final ObjectMapper DOCUMENTS = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    /** Mapper for user events. Thread-safe. */
    public static final ObjectMapper EVENTS = JsonMapper.builder(JsonFactory.builder()
                    .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonParser.Feature.AUTO_CLOSE_SOURCE)
            .build();

    private Json() {
    }
}
