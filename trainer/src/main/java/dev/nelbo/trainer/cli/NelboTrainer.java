package dev.nelbo.trainer.cli;

import dev.nelbo.registry.RegistryConflictException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Entry point of {@code nelbo-trainer.jar}: {@code train}, {@code evaluate}, {@code sample}, {@code retrain} and the
 * registry commands.
 *
 * <p>Exit codes: 0 success, 1 bad input or a failed run (one-line message on stderr), 2 bad usage or
 * configuration, 5 the model registry changed under a write (nothing written), 6 written but a live scorer
 * instance refused the version or did not confirm it; {@code retrain} adds 3 (gates failed, champion kept) and 4
 * (nothing new).
 */
@Command(name = "nelbo-trainer", mixinStandardHelpOptions = true, versionProvider = NelboTrainer.Version.class,
        description = "Train a nelbo VAE anomaly model from CSV/JSONL, evaluate it, sample from it, retrain it on recent traffic and manage the model registry.",
        subcommands = {TrainCommand.class, EvaluateCommand.class, SampleCommand.class, RetrainCommand.class, RegistryCommands.Publish.class,
            RegistryCommands.Rollback.class, RegistryCommands.Promote.class, RegistryCommands.Models.class, KeygenCommand.class,
            ProposeSpecCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success (retrain: published)", "1:error (one line on stderr)", "2:bad usage or configuration",
            "3:retrain: the challenger failed a gate, the champion stays", "4:retrain: nothing new to publish",
            "5:the model registry changed since it was read (a concurrent publish or rollback): nothing written",
            "6:written, but a live scorer instance refused the version or did not confirm it within --wait"})
public final class NelboTrainer implements Runnable {

    /** Exit code for bad input data or a failed run. */
    public static final int EXIT_FAILED = 1;
    /** Exit code when the model registry changed under a compare-and-set write. */
    public static final int EXIT_REGISTRY_MOVED = 5;
    /** Exit code when the registry was written but a live scorer instance refused the version or did not confirm it. */
    public static final int EXIT_FLEET_REFUSED = 6;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * @param args command line
     */
    public static void main(final String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** @return the configured command line (also used by tests, with their own writers) */
    public static CommandLine commandLine() {
        configurePlatform();
        final CommandLine cli = new CommandLine(new NelboTrainer());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + oneLine(e));
            commandLine.getErr().flush();
            return e instanceof RegistryConflictException ? EXIT_REGISTRY_MOVED : EXIT_FAILED;
        });
        cli.setParameterExceptionHandler((e, args) -> {
            final CommandLine c = e.getCommandLine();
            c.getErr().println("error: " + oneLine(e) + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            c.getErr().flush();
            return c.getCommandSpec().exitCodeOnInvalidInput();
        });
        return cli;
    }

    /** DJL must never try the network, and needs a writable cache for its native libraries. */
    private static void configurePlatform() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
            System.setProperty("DJL_CACHE_DIR", Path.of(System.getProperty("user.home"), ".djl.ai").toString());
        }
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
    }

    static String oneLine(final Throwable e) {
        Throwable t = e;
        // Wrapped I/O errors: the cause says which file.
        if (t instanceof UncheckedIOException && t.getMessage() != null) {
            return t.getMessage() + (t.getCause() != null && t.getCause().getMessage() != null
                    ? ": " + t.getCause().getMessage() : "");
        }
        while ((t.getMessage() == null || t.getMessage().isBlank()) && t.getCause() != null) {
            t = t.getCause();
        }
        final String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return message.lines().findFirst().orElse(message);
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            final String v = NelboTrainer.class.getPackage().getImplementationVersion();
            return new String[] {"nelbo-trainer " + (v == null ? "dev" : v)};
        }
    }
}
