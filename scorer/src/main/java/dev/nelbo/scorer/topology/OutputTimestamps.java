package dev.nelbo.scorer.topology;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Kafka timestamps the scorer gives its outputs: the input record's, moved into the range the output topics
 * accept.
 *
 * <p>An output normally carries its input's timestamp. But a broker refuses a record whose {@code CreateTime} is
 * further in the past than the topic's {@code message.timestamp.before.max.ms} or further ahead than its
 * {@code message.timestamp.after.max.ms}, and it refuses it as part of a batch: the other outputs in the same
 * produce request fail with it, and under exactly-once none of them can be written while the input's offset is
 * committed. One input with an old or future timestamp would then either lose its batch-mates or stop every
 * instance. So an output is never stamped ahead of the scorer's clock, nor older than the strictest output topic
 * allows (less a margin for the time between here and the broker's append); a record inside those bounds keeps its
 * timestamp, so replaying a topic gives the same output timestamps.
 */
public final class OutputTimestamps {

    private static final Logger LOG = LoggerFactory.getLogger(OutputTimestamps.class);
    /** Longest margin kept below a topic's {@code message.timestamp.before.max.ms}. */
    static final long MAX_MARGIN_MS = 60_000;

    /** Oldest age an output may have (Long.MAX_VALUE: any). */
    private final long maxAgeMs;

    /**
     * @param maxAgeMs the oldest age (before now) an output may have, or Long.MAX_VALUE for any
     */
    public OutputTimestamps(final long maxAgeMs) {
        if (maxAgeMs < 1) {
            throw new IllegalArgumentException("the oldest output age must be positive, got " + maxAgeMs);
        }
        this.maxAgeMs = maxAgeMs;
    }

    /** @return bounds for output topics that accept any past timestamp */
    public static OutputTimestamps anyPast() {
        return new OutputTimestamps(Long.MAX_VALUE);
    }

    /**
     * Reads the output topics' timestamp settings.
     *
     * @param admin  admin client
     * @param topics the output topics
     * @return the bounds; any past timestamp when the settings cannot be read (said in a warning)
     */
    public static OutputTimestamps of(final Admin admin, final Collection<String> topics) {
        final List<ConfigResource> resources = topics.stream().distinct()
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
        final Map<ConfigResource, Config> configs;
        try {
            configs = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
        } catch (final ExecutionException | TimeoutException e) {
            LOG.warn("Could not read the output topics' timestamp settings ({}); outputs keep their inputs' past timestamps,"
                    + " and an output topic with a message.timestamp.before.max.ms may refuse them", e.getMessage());
            return anyPast();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading the output topics' settings", e);
        }
        long maxAge = Long.MAX_VALUE;
        for (final Map.Entry<ConfigResource, Config> c : configs.entrySet()) {
            final ConfigEntry type = c.getValue().get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG);
            final ConfigEntry before = c.getValue().get(TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG);
            if (type != null && "LogAppendTime".equals(type.value()) || before == null || before.value() == null) {
                continue;
            }
            final long ms = Long.parseLong(before.value());
            if (ms < maxAge) {
                LOG.info("Output topic {} accepts timestamps at most {} ms old: older outputs are stamped within that",
                        c.getKey().name(), ms);
                maxAge = ms;
            }
        }
        return new OutputTimestamps(Math.max(1, maxAge));
    }

    /**
     * @param inputTimestamp the input record's timestamp
     * @param nowMs          the scorer's wall clock
     * @return the output's timestamp
     */
    public long of(final long inputTimestamp, final long nowMs) {
        if (inputTimestamp > nowMs) {
            return nowMs;
        }
        if (maxAgeMs == Long.MAX_VALUE) {
            return inputTimestamp;
        }
        // a tenth of the allowed age, at most a minute: the record still has to reach the broker
        final long oldest = nowMs - maxAgeMs + Math.max(1, Math.min(MAX_MARGIN_MS, maxAgeMs / 10));
        return Math.max(inputTimestamp, oldest);
    }
}
