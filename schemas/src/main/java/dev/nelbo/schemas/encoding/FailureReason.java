package dev.nelbo.schemas.encoding;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.nelbo.schemas.json.WireEnum;

/**
 * Why a record could not be scored. The wire names are stable: dead letters, error files and the
 * {@code nelbo_records_dead_lettered_total{reason}} metric use them.
 */
public enum FailureReason {
    /** Not parseable at all (broken JSON, bad CSV line, bytes that are not UTF-8 JSON). */
    MALFORMED,
    /** Valid JSON, but not a JSON object. */
    NOT_AN_OBJECT,
    /** A feature with missing policy {@code reject} is absent or null. */
    MISSING_FIELD,
    /** A value of the wrong JSON type (a string where a number belongs, an object, ...). */
    WRONG_TYPE,
    /**
     * NaN: a value with no magnitude to score. (Infinity and numbers beyond what a double holds are extreme
     * values: they are scored as anomalies, clamped into the model's range.)
     */
    NOT_FINITE,
    /** A value of the right type that the feature does not allow (a binary 0.5, log1p of -3). */
    INVALID_VALUE,
    /** The record is larger than the configured maximum. */
    TOO_LARGE,
    /** Objects and arrays nested deeper than the configured maximum. */
    TOO_DEEP,
    /** A number literal longer than the configured maximum. */
    NUMBER_TOO_LONG,
    /** A string or field name longer than the configured maximum. */
    STRING_TOO_LONG,
    /**
     * A record in the Confluent wire format names a schema id the schema registry does not have (a producer that
     * registered elsewhere, a forged header).
     */
    UNKNOWN_SCHEMA,
    /**
     * A record's writer schema (from the schema registry) cannot be read as the events' schema: a type change, a field
     * removed without a default, a recursive or non-Avro schema.
     */
    INCOMPATIBLE_SCHEMA,
    /**
     * A record's writer schema was not cached and the schema registry did not answer within the retry bound: the record
     * can be replayed from the dead-letter topic once it does.
     */
    SCHEMA_REGISTRY_UNAVAILABLE,
    /** The record was read, but an output for it would exceed what the producer may send (e.g. a huge Kafka key). */
    OUTPUT_TOO_LARGE,
    /**
     * The record was read, but the broker refused an output for it as one record's fault (its timestamp outside the
     * output topic's bounds, a record the topic's validation refuses).
     */
    OUTPUT_REFUSED,
    /** Reading or encoding the record hit an unexpected error (a bug, logged with its cause); the record is kept here. */
    INTERNAL_ERROR;

    /** @return wire name */
    @JsonValue
    public String wireName() {
        return WireEnum.wireName(this);
    }

    /** @return the constant for a wire name */
    @JsonCreator
    public static FailureReason fromWire(final String text) {
        return WireEnum.parse(FailureReason.class, text, "failure reason");
    }
}
