package dev.nelbo.deploy.cli;

import dev.nelbo.deploy.generator.EventJson;
import dev.nelbo.deploy.generator.EventJson.InlineLabels;
import dev.nelbo.deploy.generator.LabelledEvent;
import dev.nelbo.deploy.kafka.CheckedProducer;
import java.util.Optional;
import java.util.function.Function;

/** Sends events to a topic (record timestamp = event time) and, optionally, labels to a JSONL file. */
final class TopicSink implements EventSink {

    private static final long FLUSH_NANOS = 200_000_000L;

    private final CheckedProducer producer;
    private final String topic;
    private final Function<LabelledEvent, String> key;
    private final Optional<LabelWriter> labels;
    private final Optional<InlineLabels> inline;
    private long lastFlushNanos = System.nanoTime();

    TopicSink(final CheckedProducer producer, final String topic, final Function<LabelledEvent, String> key,
              final Optional<LabelWriter> labels, final Optional<InlineLabels> inline) {
        this.producer = producer;
        this.topic = topic;
        this.key = key;
        this.labels = labels;
        this.inline = inline;
    }

    @Override
    public void accept(final LabelledEvent event) {
        labels.ifPresent(writer -> {
            writer.write(event);
            // A live evaluation (nelbo-tools watch) tails the labels while events stream.
            final long now = System.nanoTime();
            if (now - lastFlushNanos > FLUSH_NANOS) {
                writer.flush();
                lastFlushNanos = now;
            }
        });
        producer.send(key.apply(event), EventJson.event(event, inline), event.event().timestamp().toEpochMilli());
    }

    @Override
    public String describe() {
        return "topic " + topic;
    }

    @Override
    public void close() {
        try {
            producer.close();
        } finally {
            labels.ifPresent(LabelWriter::close);
        }
    }
}
