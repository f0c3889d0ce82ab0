package dev.nelbo.scorer.topology;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.scorer.testkit.TestScorers;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The production exception handler skips outputs refused as one record's fault, and nothing else. */
class OutputExceptionHandlerTest {

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final OutputExceptionHandler handler = new OutputExceptionHandler();

    OutputExceptionHandlerTest() {
        handler.configure(Map.of(OutputExceptionHandler.METRICS, new ScorerMetrics(registry, false),
                OutputExceptionHandler.SCORES_TOPIC, "scores", OutputExceptionHandler.DLQ_TOPIC, "dlq"));
    }

    @Test
    void a_too_large_score_is_replaced_by_a_small_dead_letter_for_its_input() {
        final ProductionExceptionHandler.Response r = handler.handleError(context(), record("scores"),
                new RecordTooLargeException("too large"));
        assertEquals(ProductionExceptionHandler.Result.RESUME, r.result());
        assertEquals(1, r.deadLetterQueueRecords().size());
        final ProducerRecord<byte[], byte[]> letter = r.deadLetterQueueRecords().get(0);
        assertEquals("dlq", letter.topic());
        assertNull(letter.key());
        final JsonNode doc = ScorerFixtures.parse(letter.value());
        assertEquals(List.of(), Schemas.validate(SchemaDocument.DEAD_LETTER, doc));
        assertEquals("output_too_large", doc.get("reason").asText());
        assertEquals("events", doc.at("/source/topic").asText());
        assertEquals(17, doc.at("/source/offset").asLong());
        assertTrue(letter.value().length < 8 * 1024);
        assertEquals(1.0, dropped());
    }

    @Test
    void a_too_large_alert_is_skipped_and_counted_and_other_errors_still_fail() {
        final ProductionExceptionHandler.Response alert = handler.handleError(context(), record("alerts"),
                new RecordTooLargeException("too large"));
        assertEquals(ProductionExceptionHandler.Result.RESUME, alert.result());
        assertTrue(alert.deadLetterQueueRecords().isEmpty());
        assertEquals(ProductionExceptionHandler.Result.FAIL, handler.handleError(context(), record("scores"),
                new TopicAuthorizationException(Set.of("scores"))).result());
        assertEquals(1.0, dropped());
    }

    @Test
    void a_score_the_broker_refuses_for_its_timestamp_becomes_a_dead_letter_for_the_input_it_names() {
        final byte[] score = "{\"event_id\":\"e\",\"source\":{\"topic\":\"events\",\"partition\":3,\"offset\":40}}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        final ProductionExceptionHandler.Response r = handler.handleError(context(), new ProducerRecord<>("scores", null, 5L,
                null, score), new InvalidTimestampException("Timestamp 5 of message is out of range"));
        assertEquals(ProductionExceptionHandler.Result.RESUME, r.result());
        final ProducerRecord<byte[], byte[]> letter = r.deadLetterQueueRecords().get(0);
        assertNull(letter.timestamp(), "the producer stamps the dead letter now");
        final JsonNode doc = ScorerFixtures.parse(letter.value());
        assertEquals(List.of(), Schemas.validate(SchemaDocument.DEAD_LETTER, doc));
        assertEquals("output_refused", doc.get("reason").asText());
        assertEquals(40, doc.at("/source/offset").asLong(), "the refused output's own input, not the context's (17)");
        assertEquals(0, doc.get("payload_bytes").asLong(), "the context's bytes are another input's");
        // the replacement refused in turn is not replaced again
        final ProductionExceptionHandler.Response again = handler.handleError(context(), letter,
                new InvalidTimestampException("again"));
        assertEquals(ProductionExceptionHandler.Result.RESUME, again.result());
        assertTrue(again.deadLetterQueueRecords().isEmpty());
        assertEquals(2.0, dropped());
    }

    @Test
    void errors_that_are_not_one_records_fault_fail_the_thread() {
        for (final Exception e : List.of(new KafkaException("Failed to append record because it was part of a batch"),
                new UnknownTopicOrPartitionException("gone"), new TopicAuthorizationException(Set.of("scores")))) {
            assertEquals(ProductionExceptionHandler.Result.FAIL, handler.handleError(context(), record("scores"), e).result(),
                    e.toString());
        }
        assertEquals(ProductionExceptionHandler.Result.RESUME, handler.handleError(context(), record("scores"),
                new InvalidRecordException("compacted topic cannot accept message without key")).result());
    }

    private double dropped() {
        return TestScorers.metric(registry, "nelbo_outputs_dropped");
    }

    private static ProducerRecord<byte[], byte[]> record(final String topic) {
        return new ProducerRecord<>(topic, new byte[2_000_000], new byte[10]);
    }

    private static ErrorHandlerContext context() {
        return new ErrorHandlerContext() {
            @Override
            public String topic() {
                return "events";
            }

            @Override
            public int partition() {
                return 3;
            }

            @Override
            public long offset() {
                return 17;
            }

            @Override
            public Headers headers() {
                return new RecordHeaders();
            }

            @Override
            public String processorNodeId() {
                return ScorerTopology.PROCESSOR;
            }

            @Override
            public TaskId taskId() {
                return new TaskId(0, 3);
            }

            @Override
            public long timestamp() {
                return 1L;
            }

            @Override
            public byte[] sourceRawKey() {
                return new byte[2_000_000];
            }

            @Override
            public byte[] sourceRawValue() {
                return "{\"event_id\":\"x\"}".getBytes();
            }
        };
    }
}
