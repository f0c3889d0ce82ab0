package dev.nelbo.testkit;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * One execution of a picocli command line with its output and error streams captured, for tests of
 * every nelbo CLI (trainer, scorer, tools).
 *
 * @param exit exit code
 * @param out  standard output
 * @param err  standard error
 */
public record CliRun(int exit, String out, String err) {

    /**
     * @param cli  the command line (its streams are replaced)
     * @param args arguments
     * @return exit code and captured output
     */
    public static CliRun execute(final CommandLine cli, final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        final int exit = cli.execute(args);
        return new CliRun(exit, out.toString(), err.toString());
    }
}
