package dev.nelbo.deploy.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.metadata.bootstrap.BootstrapMetadata;
import org.apache.kafka.server.common.MetadataVersion;

/** A real single-node KRaft broker in the test JVM, configured like a released 4.3.1 broker. */
public final class InProcessKafka implements AutoCloseable {

    private final KafkaClusterTestKit cluster;

    /**
     * Starts the broker and waits until it is ready.
     *
     * @throws Exception when the broker does not start
     */
    public InProcessKafka() throws Exception {
        // The test kit otherwise boots an unreleased metadata version with unstable features.
        final TestKitNodes nodes = new TestKitNodes.Builder(
                BootstrapMetadata.fromVersion(MetadataVersion.LATEST_PRODUCTION, "nelbo deploy tests"))
                .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build();
        cluster = new KafkaClusterTestKit.Builder(nodes)
                .setConfigProp("unstable.api.versions.enable", "false")
                .setConfigProp("unstable.feature.versions.enable", "false")
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("auto.create.topics.enable", "false")
                .build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
    }

    /** @return bootstrap servers of the broker */
    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /**
     * Reads a topic from the beginning until {@code expected} records arrived or the timeout passed.
     *
     * @param topic topic to read
     * @param expected records to wait for
     * @param timeout how long to wait
     * @return the records read (fewer than expected on timeout)
     */
    public List<ConsumerRecord<String, String>> consume(final String topic, final int expected, final Duration timeout) {
        final List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + topic + "-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()))) {
            consumer.subscribe(List.of(topic));
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    @Override
    public void close() {
        try {
            cluster.close();
        } catch (final Exception e) {
            throw new IllegalStateException("in-process broker did not shut down cleanly", e);
        }
    }
}
