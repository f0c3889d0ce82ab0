package dev.nelbo.schemas.output;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Where an input record came from: Kafka coordinates, or a file and line for offline scoring.
 *
 * @param topic     topic, or null
 * @param partition partition, or null
 * @param offset    offset, or null
 * @param file      file, or null
 * @param line      1-based line number, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SourceRef(String topic, Integer partition, Long offset, String file, Long line) {

    /** @return Kafka coordinates */
    public static SourceRef kafka(final String topic, final int partition, final long offset) {
        return new SourceRef(topic, partition, offset, null, null);
    }

    /** @return a file position */
    public static SourceRef fileLine(final String file, final long line) {
        return new SourceRef(null, null, null, file, line);
    }
}
