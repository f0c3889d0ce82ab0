package dev.nelbo.trainer.cli;

import dev.nelbo.registry.ModelRegistry;
import dev.nelbo.trainer.retrain.RetrainConfig;
import dev.nelbo.trainer.retrain.RetrainKey;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/** The model registry commands: publish, rollback, promote, models. Every scorer instance follows the registry. */
final class RegistryCommands {

    private RegistryCommands() {
    }

    private static ModelRegistry open(final ConfigOptions options, final CommandLine.Model.CommandSpec spec) {
        final RetrainConfig config = options.load(spec, Map.of());
        final String topic = config.require(RetrainKey.TOPIC_REGISTRY);
        return new ModelRegistry(config.clientProperties(), topic);
    }

    /** {@code publish}: store a bundle and make it current (or shadow). */
    @Command(name = "publish", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Verify a model bundle, store it in the model registry and make it the current model (or the shadow).")
    static final class Publish implements Callable<Integer> {
        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        private ConfigOptions config;
        @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model bundle directory.")
        private Path model;
        @Option(names = "--shadow", description = "Publish as shadow: scored in parallel to nelbo.shadow.topic until 'promote'.")
        private boolean shadow;

        @Override
        public Integer call() {
            try (ModelRegistry registry = open(config, spec)) {
                final String version = shadow ? registry.publishShadow(model) : registry.publish(model);
                spec.commandLine().getOut().println("published " + version + (shadow ? " as shadow" : " as current"));
            }
            return 0;
        }
    }

    /** {@code rollback}: pin a stored version. */
    @Command(name = "rollback", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Make a version stored in the model registry current again; every scorer instance follows.")
    static final class Rollback implements Callable<Integer> {
        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        private ConfigOptions config;
        @Option(names = "--to", required = true, paramLabel = "VERSION", description = "Version to serve (see 'models').")
        private String version;

        @Override
        public Integer call() {
            try (ModelRegistry registry = open(config, spec)) {
                final String before = registry.read().current();
                registry.pin(version);
                spec.commandLine().getOut().println("current model: " + version + " (was " + before + ")");
            }
            return 0;
        }
    }

    /** {@code promote}: the shadow becomes current. */
    @Command(name = "promote", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Make the shadow model current and clear the shadow.")
    static final class Promote implements Callable<Integer> {
        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        private ConfigOptions config;

        @Override
        public Integer call() {
            try (ModelRegistry registry = open(config, spec)) {
                spec.commandLine().getOut().println("promoted " + registry.promoteShadow() + " to current");
            }
            return 0;
        }
    }

    /** {@code models}: what the registry holds. */
    @Command(name = "models", mixinStandardHelpOptions = true, sortOptions = false,
            description = "List the versions in the model registry and which is current and shadow.")
    static final class Models implements Callable<Integer> {
        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        private ConfigOptions config;

        @Override
        public Integer call() {
            try (ModelRegistry registry = open(config, spec)) {
                final ModelRegistry.Snapshot s = registry.read();
                for (final String v : new TreeSet<>(s.bundles().keySet())) {
                    spec.commandLine().getOut().println(v + (v.equals(s.current()) ? "  current" : "")
                            + (v.equals(s.shadow()) ? "  shadow" : ""));
                }
            }
            return 0;
        }
    }
}
