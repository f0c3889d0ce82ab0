package dev.nelbo.deploy.manifests;

import dev.nelbo.schemas.bundle.BundleSignature;
import dev.nelbo.contract.settings.SettingSources;

import dev.nelbo.scorer.config.ScorerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks settings handed to the scorer (a properties file plus NELBO_* environment variables) with the
 * scorer's own configuration code: every key must be one it knows, and the whole set must load the way
 * {@code nelbo-scorer.jar run} loads it at start.
 */
final class ScorerSettings {

    /** Stands in for values Kubernetes injects from a Secret (valueFrom): only their keys are checked. */
    static final String FROM_SECRET = "<valueFrom>";
    /**
     * Settings whose value is a file mounted in the container: the name is checked here with a stand-in of the right
     * kind (a key as PEM text; the demo's events schema, which the Avro overlay mounts a copy of), the file only there.
     */
    private static final Map<String, java.util.function.Supplier<String>> IN_CONTAINER_FILES = Map.of(
            "nelbo.bundle.trusted.keys", () -> BundleSignature.pem(BundleSignature.generate().getPublic()),
            "nelbo.input.avro.schema", () -> dev.nelbo.deploy.DeployFiles.resolve("demo/events.avsc").toString());

    private ScorerSettings() {
    }

    /**
     * @param name an environment variable name
     * @return the setting it maps to, or null when the scorer ignores it (no NELBO_ prefix)
     */
    static String settingOf(final String name) {
        return SettingSources.settingOf(name);
    }

    private static String keyProblem(final String key) {
        final Set<String> known = ScorerConfig.knownNelboKeys();
        if (key.startsWith("nelbo.")) {
            return known.contains(key) ? null : "unknown nelbo setting '" + key + "'";
        }
        return known.contains(key) || ScorerConfig.isKafkaKey(key) ? null
                : "'" + key + "' is neither a nelbo setting nor a Kafka client/Streams setting";
    }

    /**
     * @param where file or manifest, for the messages
     * @param properties settings from a properties file
     * @param env environment variables of the scorer container ({@link #FROM_SECRET} for injected secrets)
     * @return one message per setting the scorer would refuse; empty when it would start with them
     */
    static List<String> problems(final String where, final Properties properties, final Map<String, String> env) {
        final List<String> problems = new ArrayList<>();
        for (final String key : new TreeSet<>(properties.stringPropertyNames())) {
            final String problem = keyProblem(key);
            if (problem != null) {
                problems.add(where + ": " + problem);
            }
        }
        final Map<String, String> checkedEnv = new LinkedHashMap<>();
        for (final String name : new TreeSet<>(env.keySet())) {
            final String key = settingOf(name);
            if (key == null) {
                continue;
            }
            final String problem = SettingSources.isKafkaVariable(name)
                    ? ScorerConfig.isKafkaKey(key) ? null : "'" + key + "' is not a Kafka client/Streams setting"
                    : keyProblem(key);
            if (problem != null) {
                problems.add(where + ": environment variable " + name + " maps to " + problem);
            } else if (IN_CONTAINER_FILES.containsKey(key)) {
                // a value of the right kind stands in for the mounted file, so the settings that need one load too
                checkedEnv.put(name, IN_CONTAINER_FILES.get(key).get());
            } else if (!FROM_SECRET.equals(env.get(name))) {
                checkedEnv.put(name, env.get(name));
            }
        }
        if (problems.isEmpty()) {
            try {
                final Path file = Files.createTempFile("scorer-", ".properties");
                try {
                    try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                        properties.store(writer, where);
                    }
                    // Same sources and precedence as `nelbo-scorer.jar run --config FILE` (file < environment).
                    ScorerConfig.load(file, checkedEnv, Map.of());
                } finally {
                    Files.deleteIfExists(file);
                }
            } catch (final IllegalArgumentException e) {
                problems.add(where + ": " + e.getMessage());
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return problems;
    }
}
