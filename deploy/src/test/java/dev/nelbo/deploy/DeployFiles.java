package dev.nelbo.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the deploy/ folder is (the files the tests check live there, not on the classpath). */
public final class DeployFiles {

    private DeployFiles() {
    }

    /** @return the deploy/ folder: system property nelbo.deploy.dir (set by the pom), else the working directory */
    public static Path root() {
        final Path dir = Path.of(System.getProperty("nelbo.deploy.dir", System.getProperty("user.dir"))).toAbsolutePath();
        if (!Files.isDirectory(dir.resolve("prometheus"))) {
            throw new IllegalStateException("cannot find deploy/ (looked in " + dir + "); set -Dnelbo.deploy.dir");
        }
        return dir;
    }

    /**
     * @param relative a path inside deploy/
     * @return the resolved path
     */
    public static Path resolve(final String relative) {
        return root().resolve(relative);
    }
}
