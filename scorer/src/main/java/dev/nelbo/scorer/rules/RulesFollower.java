package dev.nelbo.scorer.rules;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * Follows the compacted rules topic: every instance reads all of it from the start, without a consumer group, and
 * publishes the rules in force after each read, so a rule added or removed with {@code nelbo-scorer rules} acts on
 * every instance within a poll (about a second), with no restart. A record that is not a valid rule is skipped with
 * a WARN (the rule it replaces stays in force); a tombstone removes its rule.
 */
public final class RulesFollower implements Supplier<AlertRules>, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RulesFollower.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final String topic;
    private final IntConsumer published;
    private final AtomicReference<AlertRules> current = new AtomicReference<>(AlertRules.NONE);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean started;

    /**
     * @param client    Kafka connection and security settings
     * @param topic     the rules topic
     * @param published told the number of rules in force after each change (a metric)
     */
    public RulesFollower(final Map<String, Object> client, final String topic, final IntConsumer published) {
        final Map<String, Object> props = new HashMap<>(client);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.topic = topic;
        this.published = published;
        this.thread = new Thread(this::follow, "nelbo-alert-rules");
        this.thread.setDaemon(true);
    }

    /** Starts following. */
    public void start() {
        started = true;
        thread.start();
    }

    @Override
    public AlertRules get() {
        return current.get();
    }

    private void follow() {
        final Map<String, AlertRule> rules = new TreeMap<>();
        try {
            List<PartitionInfo> partitions;
            while ((partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10))).isEmpty()) {
                Thread.sleep(2000);
            }
            final List<TopicPartition> assigned = partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            while (running) {
                boolean changed = false;
                for (final ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    try {
                        changed |= AlertRule.apply(rules, r.key(), r.value());
                    } catch (final IllegalArgumentException e) {
                        LOG.warn("Skipped rules record {}-{}@{} (key {}): {}", r.topic(), r.partition(), r.offset(), r.key(),
                                e.getMessage());
                    }
                }
                if (changed) {
                    current.set(AlertRules.of(rules.values()));
                    published.accept(rules.size());
                    LOG.info("Alert rules in force: {}", rules.isEmpty() ? "none" : String.join(", ", rules.keySet()));
                }
            }
        } catch (final WakeupException | InterruptedException stopping) {
            // close()
        } catch (final RuntimeException e) {
            LOG.error("Alert rules follower stopped; the rules last read stay in force: {}", e.getMessage(), e);
        } finally {
            consumer.close();
        }
    }

    @Override
    public void close() {
        running = false;
        if (!started) {
            consumer.close();
            return;
        }
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
