package dev.nelbo.scorer.topology;

import dev.nelbo.testkit.KafkaTestClients;
import dev.nelbo.testkit.SharedBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract {@link StreamsInternals} relies on, on a real broker under exactly-once: the pre-commit hook
 * runs before every commit of the task, inside its transaction. The processor here buffers every record and
 * forwards it only from the hook (no punctuation, no other flush). If a Kafka upgrade stops calling the hook
 * before the offsets are committed (or calls it after), committed offsets run ahead of the committed outputs
 * and this test fails; it does not depend on anything else of the scorer.
 */
class PreCommitFlushContractTest {

    private static final String STORE = "contract-pre-commit";

    @Test
    void every_committed_offset_has_its_output_in_the_same_transaction() throws Exception {
        final SharedBroker broker = SharedBroker.get();
        final String in = SharedBroker.uniqueName("contract-in");
        final String out = SharedBroker.uniqueName("contract-out");
        broker.createTopics(2, in, out);
        final String appId = SharedBroker.uniqueName("contract-app");
        final Topology t = new Topology();
        t.addSource("in", new ByteArrayDeserializer(), new ByteArrayDeserializer(), in);
        t.addProcessor("buffer", BufferUntilCommit::new, "in");
        t.addStateStore(StreamsInternals.preCommitStore(STORE), "buffer");
        t.addSink("out", out, new ByteArraySerializer(), new ByteArraySerializer(), "buffer");
        final Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        p.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("contract-state").toString());
        p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        final int n = 600;
        final List<byte[][]> records = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            records.add(new byte[][] {("k" + i).getBytes(), ("v" + i).getBytes()});
        }
        try (KafkaStreams streams = new KafkaStreams(t, p)) {
            streams.start();
            for (int batch = 0; batch < 3; batch++) {
                KafkaTestClients.produce(in, records.subList(batch * n / 3, (batch + 1) * n / 3));
                Thread.sleep(150);
            }
            // once every input offset is committed, every output must be visible to read_committed
            final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (committed(broker.admin(), appId, in) < n) {
                assertTrue(System.nanoTime() < deadline, "offsets not committed in time");
                Thread.sleep(50);
            }
            final List<String> values = KafkaTestClients.readCommitted(List.of(out), Duration.ofSeconds(5), l -> l.size() >= n)
                    .stream().map(r -> new String(r.value())).collect(Collectors.toList());
            assertEquals(n, values.size(), "outputs of committed inputs");
            assertEquals(n, values.stream().distinct().count());
        }
    }

    private static long committed(final Admin admin, final String group, final String topic) throws Exception {
        final Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get();
        return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                .mapToLong(e -> e.getValue().offset()).sum();
    }

    /** Holds every record until the task commits. */
    static final class BufferUntilCommit implements Processor<byte[], byte[], byte[], byte[]> {
        private final List<Record<byte[], byte[]>> buffer = new ArrayList<>();
        private final List<Object> contexts = new ArrayList<>();
        private StreamsInternals internals;

        @Override
        public void init(final ProcessorContext<byte[], byte[]> ctx) {
            internals = StreamsInternals.of(ctx);
            internals.beforeEachCommit(STORE, () -> {
                for (int i = 0; i < buffer.size(); i++) {
                    internals.forwardAs(contexts.get(i), buffer.get(i), "out");
                }
                buffer.clear();
                contexts.clear();
            });
        }

        @Override
        public void process(final Record<byte[], byte[]> record) {
            buffer.add(record);
            contexts.add(internals.recordContext());
        }
    }
}
