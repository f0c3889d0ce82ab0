package dev.nelbo.testkit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.metadata.bootstrap.BootstrapMetadata;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One in-process KRaft broker (combined broker + controller) shared by every integration test of the
 * module: starting a broker costs seconds, so it is started once per JVM and closed by a shutdown hook.
 *
 * <p>It boots the latest PRODUCTION metadata version with unstable API and feature versions off, so it
 * behaves like a released broker of the build's Kafka version rather than the test kit's unreleased default.
 */
public final class SharedBroker {

    private static final AtomicInteger TOPIC_SEQ = new AtomicInteger();
    private static volatile SharedBroker instance;

    private final KafkaClusterTestKit cluster;
    private final Admin admin;

    private SharedBroker(final KafkaClusterTestKit cluster) {
        this.cluster = cluster;
        this.admin = cluster.admin();
    }

    /** @return the running broker, started on first use */
    public static SharedBroker get() {
        SharedBroker b = instance;
        if (b == null) {
            synchronized (SharedBroker.class) {
                b = instance;
                if (b == null) {
                    b = start();
                    instance = b;
                    final SharedBroker toClose = b;
                    Runtime.getRuntime().addShutdownHook(new Thread(toClose::closeQuietly, "shared-broker-close"));
                }
            }
        }
        return b;
    }

    private static SharedBroker start() {
        try {
            final Path base = Files.createTempDirectory("kraft");
            final Map<String, Short> features = new TreeMap<>();
            for (final Feature f : Feature.PRODUCTION_FEATURES) {
                if (f != Feature.KRAFT_VERSION) {
                    features.put(f.featureName(), f.latestProduction());
                }
            }
            final TestKitNodes nodes = new TestKitNodes.Builder(
                    BootstrapMetadata.fromVersions(MetadataVersion.LATEST_PRODUCTION, features, "nelbo-scorer-tests"))
                    .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).setBaseDirectory(base).build();
            final KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(nodes)
                    .setConfigProp("unstable.api.versions.enable", "false")
                    .setConfigProp("unstable.feature.versions.enable", "false")
                    .setConfigProp("offsets.topic.replication.factor", "1")
                    .setConfigProp("offsets.topic.num.partitions", "4")
                    .setConfigProp("transaction.state.log.replication.factor", "1")
                    .setConfigProp("transaction.state.log.min.isr", "1")
                    .setConfigProp("transaction.state.log.num.partitions", "4")
                    .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
                    .setConfigProp("share.coordinator.state.topic.min.isr", "1")
                    .setConfigProp("group.initial.rebalance.delay.ms", "0")
                    .setConfigProp("auto.create.topics.enable", "false")
                    // the crash test lets a transaction of a killed instance expire: keep that short
                    .setConfigProp("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000")
                    .setConfigProp("group.min.session.timeout.ms", "1000")
                    .setDeleteOnClose(true)
                    .build();
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            return new SharedBroker(cluster);
        } catch (final Exception e) {
            throw new IllegalStateException("cannot start the in-process Kafka broker: " + e.getMessage(), e);
        }
    }

    /** @return bootstrap servers of the broker */
    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /** @return admin client properties for this broker */
    public Map<String, Object> adminProperties() {
        return Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    }

    /**
     * @param prefix readable prefix
     * @return a topic name not used before in this JVM
     */
    public static String uniqueName(final String prefix) {
        return prefix + "-" + TOPIC_SEQ.incrementAndGet() + "-" + Long.toString(System.nanoTime() & 0xffffff, 36);
    }

    /**
     * Creates topics and waits until every partition has a leader (KAFKA-15591: producing right after
     * createTopics can otherwise lose the first batch).
     *
     * @param partitions partitions per topic
     * @param names      topic names
     */
    public void createTopics(final int partitions, final String... names) {
        create(List.of(names).stream().map(n -> new NewTopic(n, partitions, (short) 1)).toList());
    }

    /** @param name a compacted topic (one partition) to create */
    public void createCompactedTopic(final String name) {
        create(List.of(new NewTopic(name, 1, (short) 1)
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))));
    }

    private void create(final Collection<NewTopic> topics) {
        try {
            admin.createTopics(topics).all().get();
            final Set<String> names = topics.stream().map(NewTopic::name).collect(java.util.stream.Collectors.toSet());
            final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                try {
                    final Map<String, TopicDescription> d = admin.describeTopics(names).allTopicNames().get();
                    if (d.values().stream().allMatch(t -> t.partitions().stream().allMatch(p -> p.leader() != null))) {
                        return;
                    }
                } catch (final java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
                        throw e;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topics " + names + " got no leaders in 30 s");
                }
                Thread.sleep(50);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (final java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("cannot create topics: " + e.getCause().getMessage(), e);
        }
    }

    /** @return the admin client (owned by the broker; do not close) */
    public Admin admin() {
        return admin;
    }

    private void closeQuietly() {
        try {
            admin.close(Duration.ofSeconds(5));
            cluster.close();
        } catch (final Exception e) {
            // the JVM is exiting; nothing useful to do
        }
    }
}
