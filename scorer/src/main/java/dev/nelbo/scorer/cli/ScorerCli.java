package dev.nelbo.scorer.cli;

import dev.nelbo.schemas.bundle.BundleException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/**
 * Entry point of {@code nelbo-scorer.jar}: the streaming service ({@code run}), offline scoring ({@code score}) and the
 * bridge to Prometheus Alertmanager ({@code alertmanager}).
 */
@Command(name = "nelbo-scorer", mixinStandardHelpOptions = true, versionProvider = ScorerCli.Version.class,
        description = "Scores events with a nelbo model: as a Kafka Streams service or offline over a file.",
        subcommands = {RunCommand.class, ScoreCommand.class, AlertmanagerCommand.class, RulesCommand.class,
                FeedbackCommand.class})
public final class ScorerCli implements Runnable {

    @Spec
    private CommandSpec spec;

    /**
     * @param args command-line arguments
     */
    public static void main(final String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /**
     * Runs the CLI with the given streams (the seam tests use).
     *
     * @param args arguments
     * @param out  standard output
     * @param err  standard error
     * @return exit code: 0 success, 1 failure while running, 2 bad usage (options, settings, model bundle)
     */
    public static int execute(final String[] args, final PrintWriter out, final PrintWriter err) {
        final CommandLine cli = new CommandLine(new ScorerCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((ex, a) -> {
            err.println("error: " + ex.getMessage());
            err.println("try: " + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help");
            return CommandLine.ExitCode.USAGE;
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + oneLine(ex));
            final boolean usage = ex instanceof IllegalArgumentException || ex instanceof BundleException;
            return usage ? CommandLine.ExitCode.USAGE : CommandLine.ExitCode.SOFTWARE;
        });
        return cli.execute(args);
    }

    /** Without a subcommand, print the usage. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    private static String oneLine(final Throwable e) {
        final String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replace('\n', ' ');
    }

    /** Reports the jar's version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            final String v = ScorerCli.class.getPackage().getImplementationVersion();
            return new String[] {"nelbo-scorer " + (v == null ? "dev" : v)};
        }
    }
}
