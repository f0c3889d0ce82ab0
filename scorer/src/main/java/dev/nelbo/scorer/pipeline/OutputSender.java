package dev.nelbo.scorer.pipeline;

import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.output.DeadLetter;
import dev.nelbo.schemas.output.SourceRef;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.output.ScoreWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * What the pipeline's outputs may be when they reach the producer: each within {@code max.request.size}, with the
 * input's key when it fits, and every input accounted for. A score or dead letter that does not fit even without its
 * key becomes a dead letter saying so; any other output that does not fit is dropped and counted. Every output
 * carries the version of the model that produced it in a header.
 */
final class OutputSender {

    private static final Logger LOG = LoggerFactory.getLogger(OutputSender.class);
    /** Record overhead besides key, value and headers that the producer counts against {@code max.request.size}. */
    static final int RECORD_OVERHEAD_BYTES = 128;

    private final Outputs outputs;
    private final ScorerMetrics metrics;
    private final int maxOutputBytes;
    private String modelVersion;
    private byte[] versionHeader;

    /**
     * @param outputs        where outputs go
     * @param metrics        metrics
     * @param maxOutputBytes the producer's {@code max.request.size}
     */
    OutputSender(final Outputs outputs, final ScorerMetrics metrics, final int maxOutputBytes) {
        this.outputs = outputs;
        this.metrics = metrics;
        this.maxOutputBytes = maxOutputBytes;
    }

    /** @param version the model whose outputs follow (named in their header and in dead letters) */
    void model(final String version) {
        this.modelVersion = version;
        this.versionHeader = version.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Sends an output with the input's key when it fits the producer's limit, else without it (the document keeps
     * the capped key). A score or dead letter that still does not fit is replaced by a dead letter saying so, so the
     * input is accounted for; any other output is dropped and counted.
     *
     * @param kind   which output
     * @param origin the input's coordinates and key
     * @param input  the input's value (kept in a dead letter)
     * @param value  the output's value
     */
    void send(final Outputs.Kind kind, final Origin origin, final byte[] input, final byte[] value) {
        final byte[] key = origin.key();
        if (fits(key, value)) {
            outputs.emit(kind, origin, key, value, versionHeader);
            return;
        }
        if (key != null && fits(null, value)) {
            metrics.outputUnkeyed(kind.name().toLowerCase(Locale.ROOT));
            outputs.emit(kind, origin, null, value, versionHeader);
            return;
        }
        metrics.outputTooLarge(kind.name().toLowerCase(Locale.ROOT));
        if (kind == Outputs.Kind.SCORE || kind == Outputs.Kind.DEAD_LETTER) {
            final DeadLetter letter = DeadLetter.of(FailureReason.OUTPUT_TOO_LARGE, null, "the " + kind.name().toLowerCase(
                    Locale.ROOT) + " record for this event (" + value.length + " bytes) exceeds the producer's"
                    + " max.request.size of " + maxOutputBytes + " bytes", source(origin), input, modelVersion);
            outputs.emit(Outputs.Kind.DEAD_LETTER, origin, null, ScoreWriter.deadLetter(letter), versionHeader);
            metrics.deadLettered(FailureReason.OUTPUT_TOO_LARGE.wireName());
        }
    }

    /**
     * Dead-letters an input that did not decode, with its typed reason.
     *
     * @param value  the input's value
     * @param origin its coordinates
     * @param e      why it did not decode
     */
    void deadLetter(final byte[] value, final Origin origin, final EncodingException e) {
        final DeadLetter letter = DeadLetter.of(e.reason(), e.field(), e.getMessage(), source(origin), value, modelVersion);
        send(Outputs.Kind.DEAD_LETTER, origin, value, ScoreWriter.deadLetter(letter));
        metrics.deadLettered(e.reason().wireName());
        if (e.reason() == FailureReason.INTERNAL_ERROR) {
            LOG.warn("Dead-lettered {}-{}@{} after an unexpected error (a bug: please report it)", origin.topic(),
                    origin.partition(), origin.offset(), e.getCause());
        } else {
            LOG.debug("Dead-lettered {}-{}@{}: {} {}", origin.topic(), origin.partition(), origin.offset(),
                    e.reason().wireName(), e.getMessage());
        }
    }

    private static SourceRef source(final Origin origin) {
        return SourceRef.kafka(origin.topic(), origin.partition(), origin.offset());
    }

    private boolean fits(final byte[] key, final byte[] value) {
        final long size = (long) (key == null ? 0 : key.length) + value.length + versionHeader.length + RECORD_OVERHEAD_BYTES;
        return size <= maxOutputBytes;
    }
}
