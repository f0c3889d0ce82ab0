package dev.nelbo.deploy.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates topics (idempotently) and waits until every partition has a leader. Producing before that can
 * lose the first batch on Kafka 4.3.1 (KAFKA-15591), so callers must not skip the wait.
 */
public final class TopicProvisioner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TopicProvisioner.class);
    private static final long POLL_MILLIS = 100;

    private final Admin admin;
    private final Duration timeout;

    /**
     * @param client Kafka client settings (bootstrap servers, security)
     * @param timeout how long to wait for the broker and for partition leaders
     */
    public TopicProvisioner(final Properties client, final Duration timeout) {
        final Properties props = new Properties();
        props.putAll(client);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 15_000));
        this.admin = Admin.create(props);
        this.timeout = timeout;
    }

    /**
     * Creates the topics that do not exist yet and waits for leaders of all of them. An existing topic
     * with fewer partitions than asked is reported, not altered (repartitioning breaks key order).
     *
     * @param topics topics to ensure
     * @param replicationFactor replication factor for new topics
     * @return what happened to each topic, in order
     * @throws IllegalStateException when the broker cannot be reached or leaders do not appear in time
     */
    public List<String> ensure(final List<TopicSpec> topics, final short replicationFactor) {
        final List<String> report = new ArrayList<>();
        for (final TopicSpec topic : topics) {
            final NewTopic newTopic = new NewTopic(topic.name(), topic.partitions(), replicationFactor).configs(topic.configs());
            try {
                admin.createTopics(List.of(newTopic)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                report.add("created " + topic.name() + " (" + topic.partitions() + " partitions"
                        + (topic.configs().isEmpty() ? "" : ", " + topic.configs()) + ")");
            } catch (final ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + topic.name() + ": " + e.getCause().getMessage(), e);
                }
                report.add("exists  " + topic.name());
            } catch (final TimeoutException e) {
                throw new IllegalStateException("broker did not answer within " + timeout.toSeconds()
                        + " s while creating " + topic.name(), e);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating topic " + topic.name(), e);
            }
        }
        final Map<String, TopicDescription> described = awaitLeaders(topics.stream().map(TopicSpec::name).toList());
        for (final TopicSpec topic : topics) {
            final int actual = described.get(topic.name()).partitions().size();
            if (actual < topic.partitions()) {
                LOG.warn("topic {} exists with {} partitions, fewer than the {} recommended", topic.name(), actual, topic.partitions());
            }
        }
        return report;
    }

    /**
     * Waits until every partition of the given topics has a leader.
     *
     * @param topicNames topics to watch
     * @return their final descriptions
     * @throws IllegalStateException when some partition still has no leader after the timeout
     */
    public Map<String, TopicDescription> awaitLeaders(final List<String> topicNames) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        String missing = "no answer from the broker";
        while (System.nanoTime() < deadline) {
            try {
                final Map<String, TopicDescription> described = admin.describeTopics(Set.copyOf(topicNames))
                        .allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                missing = leaderless(described);
                if (missing.isEmpty()) {
                    return described;
                }
            } catch (final ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new IllegalStateException("cannot describe topics " + topicNames + ": " + e.getCause().getMessage(), e);
                }
                missing = "topic metadata not yet propagated";
            } catch (final TimeoutException e) {
                break;
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for partition leaders", e);
            }
            sleep();
        }
        throw new IllegalStateException("partitions without a leader after " + timeout.toSeconds() + " s: " + missing);
    }

    private static String leaderless(final Map<String, TopicDescription> described) {
        final List<String> missing = new ArrayList<>();
        for (final TopicDescription topic : described.values()) {
            for (final TopicPartitionInfo partition : topic.partitions()) {
                if (partition.leader() == null || partition.leader().isEmpty()) {
                    missing.add(topic.name() + "-" + partition.partition());
                }
            }
        }
        return String.join(", ", missing);
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for partition leaders", e);
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
