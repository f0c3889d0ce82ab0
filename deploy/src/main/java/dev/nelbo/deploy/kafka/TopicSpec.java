package dev.nelbo.deploy.kafka;

import java.util.Map;

/**
 * A topic nelbo needs.
 *
 * @param name topic name
 * @param partitions partition count
 * @param configs topic-level configs (e.g. cleanup.policy)
 */
public record TopicSpec(String name, int partitions, Map<String, String> configs) {

    /**
     * @throws IllegalArgumentException for a blank name or a non-positive partition count
     */
    public TopicSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("topic name must not be blank");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("topic " + name + " needs at least one partition, got " + partitions);
        }
        configs = Map.copyOf(configs);
    }
}
