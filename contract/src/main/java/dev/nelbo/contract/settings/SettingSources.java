package dev.nelbo.contract.settings;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * How every nelbo command reads its settings: a properties file, then environment variables, then
 * command-line flags, later sources winning. {@code NELBO_MODEL_DIR} is the setting
 * {@code nelbo.model.dir}; {@code NELBO_KAFKA_SASL_JAAS_CONFIG} is the Kafka client setting
 * {@code sasl.jaas.config} (so secrets can come from the environment). The scorer, the retraining job
 * and the deployment checks share this one mapping.
 */
public final class SettingSources {

    /** Environment variable prefix of nelbo settings. */
    public static final String ENV_PREFIX = "NELBO_";
    /** Environment variable prefix of Kafka client settings. */
    public static final String ENV_KAFKA_PREFIX = "NELBO_KAFKA_";

    private SettingSources() {
    }

    /**
     * @param name an environment variable name
     * @return the setting it stands for, or null when it has no {@code NELBO_} prefix
     */
    public static String settingOf(final String name) {
        if (name.startsWith(ENV_KAFKA_PREFIX)) {
            return name.substring(ENV_KAFKA_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
        }
        if (name.startsWith(ENV_PREFIX)) {
            return name.toLowerCase(Locale.ROOT).replace('_', '.');
        }
        return null;
    }

    /** @return whether the variable carries a Kafka client setting */
    public static boolean isKafkaVariable(final String name) {
        return name.startsWith(ENV_KAFKA_PREFIX);
    }

    /**
     * @param file a properties file
     * @return its settings
     * @throws IllegalArgumentException when the file is missing or unreadable
     */
    public static Map<String, String> readFile(final Path file) {
        final Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(reader);
        } catch (final NoSuchFileException e) {
            throw new IllegalArgumentException("config file not found: " + file, e);
        } catch (final IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        final Map<String, String> out = new LinkedHashMap<>();
        for (final String name : props.stringPropertyNames()) {
            out.put(name, props.getProperty(name));
        }
        return out;
    }

    /**
     * Settings from environment variables.
     *
     * @param env           the environment
     * @param isKafkaKey    which Kafka keys the command passes through
     * @param isKnownKey    which nelbo settings the command knows
     * @param rejectUnknown true: an unknown {@code NELBO_} variable is an error (a typo must not pass
     *                      silently); false: it is ignored (another command's settings share the
     *                      environment)
     * @return the settings, by key
     * @throws IllegalArgumentException naming the variable
     */
    public static Map<String, String> fromEnvironment(final Map<String, String> env, final Predicate<String> isKafkaKey,
                                                      final Predicate<String> isKnownKey, final boolean rejectUnknown) {
        final Map<String, String> out = new LinkedHashMap<>();
        for (final Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            final String name = e.getKey();
            final String key = settingOf(name);
            if (key == null) {
                continue;
            }
            if (isKafkaVariable(name)) {
                if (!isKafkaKey.test(key)) {
                    throw new IllegalArgumentException("environment variable " + name + " maps to '" + key
                            + "', which is not a Kafka client setting this command accepts");
                }
                out.put(key, e.getValue());
            } else if (isKnownKey.test(key)) {
                out.put(key, e.getValue());
            } else if (rejectUnknown) {
                throw new IllegalArgumentException("environment variable " + name + " maps to unknown setting '" + key + "'");
            }
        }
        return out;
    }

    /**
     * @param file        properties file, or null
     * @param environment settings from {@link #fromEnvironment}
     * @param overrides   command-line settings
     * @return the three layered, later winning
     */
    public static Map<String, String> layer(final Path file, final Map<String, String> environment,
                                            final Map<String, String> overrides) {
        final Map<String, String> merged = new LinkedHashMap<>();
        if (file != null) {
            merged.putAll(readFile(file));
        }
        merged.putAll(environment);
        merged.putAll(overrides);
        return merged;
    }
}
