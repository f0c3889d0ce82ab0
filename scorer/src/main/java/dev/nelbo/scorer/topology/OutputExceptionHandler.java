package dev.nelbo.scorer.topology;

import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.output.DeadLetter;
import dev.nelbo.schemas.output.SourceRef;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.output.ScoreWriter;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/**
 * The last line behind the pipeline's own size checks: an output the producer refuses as too large is
 * skipped and counted instead of failing the stream thread (Streams' default handler fails it, and the
 * record would then crash every instance that takes the partition over). A refused score record or dead
 * letter is replaced by a small {@code output_too_large} dead letter for its input (no key, a bounded
 * payload prefix), so the input is still accounted for. Any other production error is left to fail the
 * thread as before: authorization or fencing problems are not one record's fault.
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

    @Override
    public Response handleError(final ErrorHandlerContext context, final ProducerRecord<byte[], byte[]> record,
                                final Exception exception) {
        if (!(exception instanceof RecordTooLargeException)) {
            return Response.fail();
        }
        if (metrics != null) {
            metrics.outputDropped(record.topic(), exception.getClass().getSimpleName());
        }
        LOG.warn("Skipped an output to {} for input {}-{}@{}: {} (key {} bytes, value {} bytes)", record.topic(),
                context.topic(), context.partition(), context.offset(), exception.getMessage(),
                record.key() == null ? 0 : record.key().length, record.value() == null ? 0 : record.value().length);
        if (dlq == null || !(record.topic().equals(scores) || record.topic().equals(dlq))) {
            return Response.resume();
        }
        if (record.topic().equals(dlq) && record.key() == null && record.value() != null
                && record.value().length <= 2 * DeadLetter.PAYLOAD_PREFIX_BYTES + 4 * DeadLetter.MAX_MESSAGE_CHARS) {
            // a bounded dead letter without key that still did not fit: max.request.size is set too low to
            // carry any dead letter; replacing it by another would loop
            return Response.resume();
        }
        final DeadLetter letter = DeadLetter.of(FailureReason.OUTPUT_TOO_LARGE, null, "the producer refused the "
                        + record.topic() + " record for this event: " + exception.getMessage(),
                SourceRef.kafka(context.topic(), context.partition(), context.offset()), context.sourceRawValue(), null);
        return Response.resume(List.of(new ProducerRecord<>(dlq, null, null, ScoreWriter.deadLetter(letter))));
    }
}
