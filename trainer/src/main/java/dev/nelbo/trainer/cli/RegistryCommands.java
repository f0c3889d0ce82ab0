package dev.nelbo.trainer.cli;

import dev.nelbo.registry.InstanceStatus;
import dev.nelbo.registry.ModelRegistry;
import dev.nelbo.schemas.bundle.Directories;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.trainer.retrain.Durations;
import dev.nelbo.trainer.retrain.RetrainConfig;
import dev.nelbo.trainer.retrain.RetrainKey;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * The model registry commands: publish, rollback, promote, models. Every scorer instance follows the registry;
 * the commands that move the current model check the version first as the fleet will (signature, calibration,
 * input compatibility with what each live instance serves), write compare-and-set, then wait for the instances'
 * reports and exit {@value NelboTrainer#EXIT_FLEET_REFUSED} when one refused the version or did not confirm it.
 */
final class RegistryCommands {

    private RegistryCommands() {
    }

    /**
     * @param settings registry connection (bootstrap servers, security, nelbo.topic.registry)
     * @return an open registry
     */
    static ModelRegistry open(final RetrainConfig settings) {
        return new ModelRegistry(settings.clientProperties(), settings.require(RetrainKey.TOPIC_REGISTRY));
    }

    /**
     * @param settings registry connection
     * @return what the registry holds now
     */
    static ModelRegistry.Snapshot read(final RetrainConfig settings) {
        try (ModelRegistry r = open(settings)) {
            return r.read();
        }
    }

    /**
     * @param settings registry connection
     * @return the fleet's status board
     */
    static FleetCheck fleet(final RetrainConfig settings) {
        return new FleetCheck(settings.clientProperties(), settings.require(RetrainKey.TOPIC_STATUS),
                settings.require(RetrainKey.TOPIC_REGISTRY));
    }

    /** Opens the registry named by the configuration, runs one action on it and closes it. */
    abstract static class RegistryCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        private ConfigOptions config;

        @Override
        public final Integer call() {
            final RetrainConfig settings = config.load(spec, Map.of());
            try (ModelRegistry registry = open(settings)) {
                return run(registry, settings, spec.commandLine().getOut());
            }
        }

        /**
         * @param registry the open registry
         * @param settings the configuration
         * @param out      command output
         * @return exit code
         */
        abstract int run(ModelRegistry registry, RetrainConfig settings, PrintWriter out);
    }

    /** A command that points the fleet at a version: checked before, confirmed after. */
    abstract static class PointerCommand extends RegistryCommand {
        @Option(names = "--wait", defaultValue = "60s", paramLabel = "DURATION",
                description = "How long to wait for every live scorer instance to serve the version or refuse it (0s: do not wait).")
        private String wait;
        @Option(names = "--force", description = "Write even when a check says live instances would refuse the version.")
        private boolean force;

        /**
         * Refuses (exit 1, nothing written) when the fleet would refuse the version, unless forced.
         *
         * @param problems what the check found
         * @param version  the version
         * @param out      command output
         */
        final void requireAdmissible(final List<String> problems, final String version, final PrintWriter out) {
            if (problems.isEmpty()) {
                return;
            }
            if (!force) {
                throw new IllegalArgumentException("the scorers would refuse " + version + ": " + String.join("; ", problems)
                        + " (nothing written; --force writes it anyway)");
            }
            out.println("warning: the scorers will refuse " + version + " (written anyway, --force): " + String.join("; ", problems));
        }

        /**
         * @param fleet   the status board
         * @param version the version now current
         * @param out     command output
         * @return exit code: 0 when every live instance serves it
         */
        final int confirm(final FleetCheck fleet, final String version, final PrintWriter out) {
            final Duration d = parseWait();
            return fleet.await(version, d, out) ? 0 : NelboTrainer.EXIT_FLEET_REFUSED;
        }

        private Duration parseWait() {
            if (wait.trim().matches("0+[smhd]?")) {
                return Duration.ZERO;
            }
            try {
                return Durations.parse(wait, "--wait");
            } catch (final IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
            }
        }
    }

    /** {@code publish}: store a bundle and make it current (or shadow). */
    @Command(name = "publish", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Verify a model bundle as the scorers will, store it in the model registry and make it the current"
                    + " model (or the shadow); then wait for the live scorer instances to take it.")
    static final class Publish extends PointerCommand {
        @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model bundle directory.")
        private Path model;
        @Option(names = "--shadow", description = "Publish as shadow: scored in parallel to nelbo.shadow.topic until 'promote'.")
        private boolean shadow;

        @Override
        int run(final ModelRegistry registry, final RetrainConfig settings, final PrintWriter out) {
            final ModelRegistry.Snapshot before = registry.read();
            final FleetCheck fleet = fleet(settings);
            final List<InstanceStatus> live = fleet.live();
            final String version = ModelBundle.load(model).version();
            requireAdmissible(FleetCheck.problems(model, settings.trustedKeys(), before, live), version, out);
            if (shadow) {
                registry.publishShadow(model, before.current());
                out.println("published " + version + " as shadow");
                return 0;
            }
            registry.publish(model, before.current());
            out.println("published " + version + " as current (was " + (before.current() == null ? "none" : before.current()) + ")");
            return confirm(fleet, version, out);
        }
    }

    /**
     * {@code rollback}: make a stored version current again. Scorers that trust signing keys refuse a model older than
     * one they served (so that whoever can write the registry topic cannot bring back an old signed bundle); with
     * {@code nelbo.bundle.signing.key} the version is signed again as a rollback, at this time, which lets it serve.
     */
    @Command(name = "rollback", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Make a version stored in the model registry current again, after checking that the live scorer"
                    + " instances can load it; with nelbo.bundle.signing.key it is signed again as a rollback (scorers that"
                    + " trust signing keys refuse an older model otherwise); then wait for them to take it, listing any that"
                    + " refused.")
    static final class Rollback extends PointerCommand {
        @Option(names = "--to", required = true, paramLabel = "VERSION", description = "Version to serve (see 'models').")
        private String version;

        @Override
        int run(final ModelRegistry registry, final RetrainConfig settings, final PrintWriter out) {
            final ModelRegistry.Snapshot before = registry.read();
            final FleetCheck fleet = fleet(settings);
            requireAdmissible(FleetCheck.problems(before, version, settings.trustedKeys(), fleet.live()), version, out);
            if (settings.signingKey().isEmpty()) {
                registry.pin(version, before.current());
                out.println("current model: " + version + " (was " + before.current() + ")");
                return confirm(fleet, version, out);
            }
            final Path dir = FleetCheck.unpacked(before, version, settings.trustedKeys());
            try {
                final Instant at = Instant.now();
                settings.sign(dir, at);
                registry.publish(dir, before.current());
            } finally {
                Directories.deleteTree(dir);
            }
            out.println("current model: " + version + " (was " + before.current() + "), signed as a rollback");
            return confirm(fleet, version, out);
        }
    }

    /** {@code promote}: the shadow becomes current. */
    @Command(name = "promote", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Make the shadow model current and clear the shadow; then wait for the live scorer instances to take it.")
    static final class Promote extends PointerCommand {
        @Override
        int run(final ModelRegistry registry, final RetrainConfig settings, final PrintWriter out) {
            final ModelRegistry.Snapshot before = registry.read();
            final FleetCheck fleet = fleet(settings);
            if (before.shadow() != null) {
                requireAdmissible(FleetCheck.problems(before, before.shadow(), settings.trustedKeys(), fleet.live()),
                        before.shadow(), out);
            }
            final String promoted = registry.promoteShadow(before.current(), before.shadow());
            out.println("promoted " + promoted + " to current");
            return confirm(fleet, promoted, out);
        }
    }

    /** {@code models}: what the registry holds, and what each live instance serves. */
    @Command(name = "models", mixinStandardHelpOptions = true, sortOptions = false,
            description = "List the versions in the model registry, which is current and shadow, and what each live scorer"
                    + " instance serves or refused.")
    static final class Models extends RegistryCommand {
        @Override
        int run(final ModelRegistry registry, final RetrainConfig settings, final PrintWriter out) {
            final ModelRegistry.Snapshot s = registry.read();
            for (final String v : new TreeSet<>(s.bundles().keySet())) {
                out.println(v + (v.equals(s.current()) ? "  current" : "") + (v.equals(s.shadow()) ? "  shadow" : ""));
            }
            final List<InstanceStatus> live = fleet(settings).live();
            out.println(live.size() + " live scorer instance(s)" + (live.isEmpty() ? "" : ":"));
            for (final InstanceStatus i : live) {
                out.println("  " + i.key() + ": serving " + (i.serving() == null ? "nothing" : i.serving())
                        + (i.shadow() == null ? "" : ", shadow " + i.shadow())
                        + (i.following() ? "" : ", registry follower restarting")
                        + i.refused().stream().map(r -> ", refused " + r.version() + ": " + r.reason()).reduce("", String::concat));
            }
            return 0;
        }
    }
}
