package dev.nelbo.deploy.manifests;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Checks settings handed to the scorer (properties files, NELBO_* environment variables) against what the
 * scorer understands: its own nelbo.* keys, plus Kafka client/Streams keys that pass through.
 */
final class ScorerSettings {

    /** Environment prefix of nelbo keys: NELBO_MODEL_DIR is nelbo.model.dir. */
    static final String ENV_PREFIX = "NELBO_";
    /** Environment prefix of Kafka keys: NELBO_KAFKA_SASL_JAAS_CONFIG is sasl.jaas.config. */
    static final String ENV_KAFKA_PREFIX = "NELBO_KAFKA_";

    private static final List<String> KAFKA_PREFIXES = List.of(StreamsConfig.CONSUMER_PREFIX, StreamsConfig.PRODUCER_PREFIX,
            StreamsConfig.ADMIN_CLIENT_PREFIX, StreamsConfig.MAIN_CONSUMER_PREFIX, StreamsConfig.RESTORE_CONSUMER_PREFIX,
            StreamsConfig.GLOBAL_CONSUMER_PREFIX, StreamsConfig.TOPIC_PREFIX);

    private static final Set<String> KAFKA_KEYS = kafkaKeys();

    private ScorerSettings() {
    }

    private static Set<String> kafkaKeys() {
        final Set<String> keys = new TreeSet<>(StreamsConfig.configDef().names());
        keys.addAll(ConsumerConfig.configNames());
        keys.addAll(ProducerConfig.configNames());
        keys.addAll(AdminClientConfig.configNames());
        return keys;
    }

    static boolean isKafkaKey(final String key) {
        return KAFKA_KEYS.contains(key) || KAFKA_PREFIXES.stream().anyMatch(p -> key.startsWith(p) && key.length() > p.length());
    }

    /**
     * @param key a setting name
     * @return why the scorer would refuse it, or null when it accepts it
     */
    static String problem(final String key) {
        if (key.startsWith("nelbo.")) {
            return ScorerContract.CONFIG_KEYS.contains(key) ? null : "unknown nelbo setting '" + key + "'";
        }
        return isKafkaKey(key) || ScorerContract.CONFIG_KEYS.contains(key) ? null
                : "'" + key + "' is neither a nelbo setting nor a Kafka client/Streams setting";
    }

    /**
     * @param name an environment variable name
     * @return the setting it maps to, or null when the scorer ignores it (no NELBO_ prefix)
     */
    static String settingOf(final String name) {
        if (name.startsWith(ENV_KAFKA_PREFIX)) {
            return name.substring(ENV_KAFKA_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
        }
        if (name.startsWith(ENV_PREFIX)) {
            return name.toLowerCase(Locale.ROOT).replace('_', '.');
        }
        return null;
    }

    /**
     * @param where file or manifest, for the messages
     * @param properties settings from a properties file
     * @param env environment variables of the scorer container
     * @return one message per setting the scorer would refuse
     */
    static List<String> problems(final String where, final Properties properties, final Map<String, String> env) {
        final List<String> problems = new ArrayList<>();
        for (final String key : new TreeSet<>(properties.stringPropertyNames())) {
            final String problem = problem(key);
            if (problem != null) {
                problems.add(where + ": " + problem);
            }
        }
        for (final String name : new TreeSet<>(env.keySet())) {
            final String key = settingOf(name);
            if (key == null) {
                continue;
            }
            final String problem = name.startsWith(ENV_KAFKA_PREFIX)
                    ? isKafkaKey(key) ? null : "'" + key + "' is not a Kafka client/Streams setting"
                    : ScorerContract.CONFIG_KEYS.contains(key) ? null : "unknown nelbo setting '" + key + "'";
            if (problem != null) {
                problems.add(where + ": environment variable " + name + " maps to " + problem);
            }
        }
        return problems;
    }
}
