package dev.nelbo.deploy;

import dev.nelbo.deploy.cli.CheckDashboardCommand;
import dev.nelbo.deploy.cli.EvaluateCommand;
import dev.nelbo.deploy.cli.GenerateCommand;
import dev.nelbo.deploy.cli.ReplayCommand;
import dev.nelbo.deploy.cli.TopicsCommand;
import dev.nelbo.deploy.cli.WatchCommand;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of nelbo-tools.jar: topic setup, event generation and JSONL replay. */
@Command(name = "nelbo-tools", mixinStandardHelpOptions = true, version = "nelbo-tools 0.1.0",
        description = "Tools for running nelbo locally: create topics, generate telemetry, replay JSONL, check a dashboard.",
        subcommands = {TopicsCommand.class, GenerateCommand.class, ReplayCommand.class, WatchCommand.class,
                EvaluateCommand.class, CheckDashboardCommand.class})
public final class NelboTools implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /**
     * @param args command line
     */
    public static void main(final String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** @return the configured command line (also used by tests to run commands in-process) */
    public static CommandLine commandLine() {
        return new CommandLine(new NelboTools())
                .setParameterExceptionHandler((exception, args) -> {
                    final CommandLine failed = exception.getCommandLine();
                    failed.getErr().println("error: " + exception.getMessage()
                            + " (see: " + failed.getCommandSpec().qualifiedName() + " --help)");
                    return 2;
                })
                .setExecutionExceptionHandler((exception, commandLine, parseResult) -> {
                    commandLine.getErr().println("error: " + oneLine(exception));
                    return 1;
                });
    }

    private static String oneLine(final Throwable exception) {
        final String message = exception.getMessage();
        return message == null ? exception.getClass().getSimpleName() : message;
    }

    /** Without a subcommand there is nothing to do: show usage and fail like any other usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }
}
