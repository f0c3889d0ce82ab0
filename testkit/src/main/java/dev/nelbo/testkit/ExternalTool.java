package dev.nelbo.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Finds and runs a command-line tool (promtool, prometheus) that may or may not be installed. */
public final class ExternalTool {

    private ExternalTool() {
    }

    /** Exit code and combined output of a finished run. */
    public record Output(int exitCode, String text) {
    }

    /**
     * @param name executable name
     * @return its path: system property nelbo.&lt;name&gt; if set, else the first match on PATH
     */
    public static Optional<Path> find(final String name) {
        final String configured = System.getProperty("nelbo." + name);
        if (configured != null && !configured.isBlank()) {
            return Optional.of(Path.of(configured)).filter(Files::isExecutable);
        }
        for (final String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            final Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Runs a command to completion.
     *
     * @param workDir working directory
     * @param timeoutSeconds kill the process after this long
     * @param command executable and arguments
     * @return exit code and output
     * @throws IOException when the process cannot be started
     * @throws InterruptedException when interrupted while waiting
     */
    public static Output run(final Path workDir, final int timeoutSeconds, final String... command)
            throws IOException, InterruptedException {
        final Path log = Files.createTempFile("tool-", ".log");
        try {
            final Process process = new ProcessBuilder(new ArrayList<>(List.of(command)))
                    .directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
            }
            return new Output(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
