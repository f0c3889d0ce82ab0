package dev.nelbo.trainer.cli;

import dev.nelbo.registry.ModelRegistry;
import dev.nelbo.trainer.retrain.RetrainConfig;
import dev.nelbo.trainer.retrain.RetrainKey;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/** The model registry commands: publish, rollback, promote, models. Every scorer instance follows the registry. */
final class RegistryCommands {

    private RegistryCommands() {
    }

    /** Opens the registry named by the configuration, runs one action on it and closes it. */
    abstract static class RegistryCommand implements Callable<Integer> {
        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        private ConfigOptions config;

        @Override
        public final Integer call() {
            final RetrainConfig settings = config.load(spec, Map.of());
            try (ModelRegistry registry = new ModelRegistry(settings.clientProperties(), settings.require(RetrainKey.TOPIC_REGISTRY))) {
                run(registry, spec.commandLine().getOut());
            }
            return 0;
        }

        /**
         * @param registry the open registry
         * @param out      command output
         */
        abstract void run(ModelRegistry registry, PrintWriter out);
    }

    /** {@code publish}: store a bundle and make it current (or shadow). */
    @Command(name = "publish", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Verify a model bundle, store it in the model registry and make it the current model (or the shadow).")
    static final class Publish extends RegistryCommand {
        @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model bundle directory.")
        private Path model;
        @Option(names = "--shadow", description = "Publish as shadow: scored in parallel to nelbo.shadow.topic until 'promote'.")
        private boolean shadow;

        @Override
        void run(final ModelRegistry registry, final PrintWriter out) {
            final String version = shadow ? registry.publishShadow(model) : registry.publish(model);
            out.println("published " + version + (shadow ? " as shadow" : " as current"));
        }
    }

    /** {@code rollback}: pin a stored version. */
    @Command(name = "rollback", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Make a version stored in the model registry current again; every scorer instance follows.")
    static final class Rollback extends RegistryCommand {
        @Option(names = "--to", required = true, paramLabel = "VERSION", description = "Version to serve (see 'models').")
        private String version;

        @Override
        void run(final ModelRegistry registry, final PrintWriter out) {
            final String before = registry.read().current();
            registry.pin(version);
            out.println("current model: " + version + " (was " + before + ")");
        }
    }

    /** {@code promote}: the shadow becomes current. */
    @Command(name = "promote", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Make the shadow model current and clear the shadow.")
    static final class Promote extends RegistryCommand {
        @Override
        void run(final ModelRegistry registry, final PrintWriter out) {
            out.println("promoted " + registry.promoteShadow() + " to current");
        }
    }

    /** {@code models}: what the registry holds. */
    @Command(name = "models", mixinStandardHelpOptions = true, sortOptions = false,
            description = "List the versions in the model registry and which is current and shadow.")
    static final class Models extends RegistryCommand {
        @Override
        void run(final ModelRegistry registry, final PrintWriter out) {
            final ModelRegistry.Snapshot s = registry.read();
            for (final String v : new TreeSet<>(s.bundles().keySet())) {
                out.println(v + (v.equals(s.current()) ? "  current" : "") + (v.equals(s.shadow()) ? "  shadow" : ""));
            }
        }
    }
}
