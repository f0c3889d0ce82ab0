package dev.nelbo.scorer.rules;

import dev.nelbo.scorer.follow.TopicFollower;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * Follows the compacted rules topic and publishes the rules in force after each change, so a rule added or removed
 * with {@code nelbo-scorer rules} acts on every instance within a poll (about a second), with no restart. A record
 * that is not a valid rule is skipped with a WARN (the rule it replaces stays in force); a tombstone removes its rule.
 */
public final class RulesFollower implements Supplier<AlertRules>, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RulesFollower.class);

    private final AtomicReference<AlertRules> current = new AtomicReference<>(AlertRules.NONE);
    private final TopicFollower follower;

    /**
     * @param client    Kafka connection and security settings
     * @param topic     the rules topic
     * @param published told the number of rules in force after each change (a metric)
     */
    public RulesFollower(final Map<String, Object> client, final String topic, final IntConsumer published) {
        // only the follower's thread touches the map
        final Map<String, AlertRule> rules = new TreeMap<>();
        this.follower = new TopicFollower(client, topic, "alert-rules", new TopicFollower.Handler() {
            @Override
            public boolean apply(final String key, final byte[] value) {
                return AlertRule.apply(rules, key, value);
            }

            @Override
            public void changed() {
                current.set(AlertRules.of(rules.values()));
                published.accept(rules.size());
                LOG.info("Alert rules in force: {}", rules.isEmpty() ? "none" : String.join(", ", rules.keySet()));
            }
        });
    }

    /** Starts following. */
    public void start() {
        follower.start();
    }

    @Override
    public AlertRules get() {
        return current.get();
    }

    @Override
    public void close() {
        follower.close();
    }
}
