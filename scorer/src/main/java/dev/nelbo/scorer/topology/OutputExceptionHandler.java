package dev.nelbo.scorer.topology;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.output.DeadLetter;
import dev.nelbo.schemas.output.SourceRef;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.output.ScoreWriter;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The last line behind the pipeline's own checks: an output the producer or broker refuses as one record's fault
 * (too large, a timestamp outside the topic's bounds, a record the topic's validation refuses) is skipped and
 * counted instead of failing the stream thread; Streams' default handler fails it, and the record would then stop
 * every instance that takes the partition over. A refused score record or dead letter is replaced by a small dead
 * letter for its input ({@code output_too_large} or {@code output_refused}: no key, a bounded payload prefix, the
 * producer's own timestamp), so the input is still accounted for.
 *
 * <p>Every other production error fails the thread loudly, as before: authorization, authentication, fencing or a
 * missing topic are the cluster refusing the application, not one record's fault, and skipping them would drop
 * outputs silently. (Streams itself treats authorization and fencing errors as fatal before this handler is asked.)
 *
 * <p>Configured by the service ({@link #configure}) with the metrics instance and the topic names.
 */
public final class OutputExceptionHandler implements ProductionExceptionHandler {

    /** Config key of the {@link ScorerMetrics} instance (an object, passed through the Streams properties). */
    public static final String METRICS = "nelbo.internal.metrics";
    /** Config key of the scores topic. */
    public static final String SCORES_TOPIC = "nelbo.internal.topic.scores";
    /** Config key of the dead-letter topic. */
    public static final String DLQ_TOPIC = "nelbo.internal.topic.dlq";
    /** Header on the dead letters this handler writes, so that one refused in turn is not replaced again (a loop). */
    static final String REPLACEMENT_HEADER = "nelbo-replaces-refused-output";

    private static final Logger LOG = LoggerFactory.getLogger(OutputExceptionHandler.class);

    private ScorerMetrics metrics;
    private String scores;
    private String dlq;

    @Override
    public void configure(final Map<String, ?> configs) {
        metrics = configs.get(METRICS) instanceof ScorerMetrics m ? m : null;
        scores = configs.get(SCORES_TOPIC) == null ? null : configs.get(SCORES_TOPIC).toString();
        dlq = configs.get(DLQ_TOPIC) == null ? null : configs.get(DLQ_TOPIC).toString();
    }

    /**
     * @param exception what the producer reported
     * @return the dead-letter reason when the error is this record's alone, else null
     */
    static FailureReason oneRecordsFault(final Exception exception) {
        if (exception instanceof RecordTooLargeException) {
            return FailureReason.OUTPUT_TOO_LARGE;
        }
        if (exception instanceof InvalidTimestampException || exception instanceof InvalidRecordException) {
            return FailureReason.OUTPUT_REFUSED;
        }
        return null;
    }

    @Override
    public Response handleError(final ErrorHandlerContext context, final ProducerRecord<byte[], byte[]> record,
                                final Exception exception) {
        final FailureReason reason = oneRecordsFault(exception);
        if (reason == null) {
            LOG.error("The producer refused an output to {} for input {}-{}@{} with {}: not one record's fault, so the stream"
                    + " thread stops rather than drop outputs", record.topic(), context.topic(), context.partition(),
                    context.offset(), exception.getClass().getSimpleName());
            return Response.fail();
        }
        if (metrics != null) {
            metrics.outputDropped(record.topic(), exception.getClass().getSimpleName());
        }
        LOG.warn("Skipped an output to {} for input {}-{}@{}: {} (key {} bytes, value {} bytes, timestamp {})", record.topic(),
                context.topic(), context.partition(), context.offset(), exception.getMessage(),
                record.key() == null ? 0 : record.key().length, record.value() == null ? 0 : record.value().length,
                record.timestamp());
        if (dlq == null || !(record.topic().equals(scores) || record.topic().equals(dlq))
                || record.headers().lastHeader(REPLACEMENT_HEADER) != null) {
            // an alert or shadow score is not the input's account; a replacement refused in turn would loop
            return Response.resume();
        }
        final SourceRef source = sourceOf(record, context);
        // the context is the record being processed when the broker answered, which need not be this output's input
        final byte[] payload = source.equals(SourceRef.kafka(context.topic(), context.partition(), context.offset()))
                ? context.sourceRawValue() : null;
        final DeadLetter letter = DeadLetter.of(reason, null, "the producer refused the " + record.topic()
                + " record for this event: " + exception.getMessage(), source, payload, null);
        final RecordHeaders headers = new RecordHeaders();
        headers.add(REPLACEMENT_HEADER, reason.wireName().getBytes(StandardCharsets.UTF_8));
        // no timestamp: the producer stamps it now, which every topic accepts
        return Response.resume(List.of(new ProducerRecord<>(dlq, null, null, null, ScoreWriter.deadLetter(letter), headers)));
    }

    /**
     * The input an output was written for. A broker's refusal arrives after later records were processed, so the
     * handler's context may be another input's: every score record and dead letter names its own source, and that
     * is used when it can be read.
     */
    static SourceRef sourceOf(final ProducerRecord<byte[], byte[]> output, final ErrorHandlerContext context) {
        if (output.value() != null) {
            try {
                final JsonNode source = Json.DOCUMENTS.readTree(output.value()).path("source");
                if (source.path("topic").isTextual() && source.path("partition").canConvertToInt()
                        && source.path("offset").canConvertToLong()) {
                    return SourceRef.kafka(source.get("topic").asText(), source.get("partition").asInt(),
                            source.get("offset").asLong());
                }
            } catch (final java.io.IOException | RuntimeException e) {
                LOG.debug("A refused output to {} does not name its source: {}", output.topic(), e.getMessage());
            }
        }
        return SourceRef.kafka(context.topic(), context.partition(), context.offset());
    }
}
