package dev.nelbo.scorer.model;

import dev.nelbo.schemas.bundle.Directories;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Removes the bundle directories the scorer made itself (registry bundles unpacked to disk). */
final class BundleDirs {

    private static final Logger LOG = LoggerFactory.getLogger(BundleDirs.class);

    private BundleDirs() {
    }

    /**
     * Deletes {@code dir} and everything under it. A failure is logged, not thrown: a leftover directory
     * costs disk space, while an exception here would stop a model swap or the shutdown.
     *
     * @param dir a directory the scorer created (never one the user named)
     */
    static void delete(final Path dir) {
        try {
            Directories.deleteTree(dir);
        } catch (final UncheckedIOException e) {
            LOG.warn("Could not delete unpacked model bundle {}: {}; remove it by hand to free the disk space", dir,
                    e.getMessage());
        }
    }
}
