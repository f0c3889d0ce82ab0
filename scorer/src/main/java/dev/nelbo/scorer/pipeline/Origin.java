package dev.nelbo.scorer.pipeline;

/**
 * Where one input record came from, and what its outputs are forwarded with.
 *
 * @param topic     input topic
 * @param partition input partition
 * @param offset    input offset
 * @param timestamp the record's timestamp (epoch ms)
 * @param key       the record's key bytes, or null
 * @param context   the caller's handle on the record (Kafka Streams' record context), given back with each output
 */
public record Origin(String topic, int partition, long offset, long timestamp, byte[] key, Object context) {
}
