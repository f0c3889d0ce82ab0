package dev.nelbo.schemas.bundle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removal of the bundle directories nelbo makes itself (staging, challenger and unpacked bundles). */
public final class Directories {

    private Directories() {
    }

    /**
     * Deletes {@code dir} and everything under it; a directory that does not exist is left as it is.
     *
     * @param dir a directory nelbo created (never one the user named)
     * @throws UncheckedIOException naming the directory when something in it cannot be deleted
     */
    public static void deleteTree(final Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (final Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (final NoSuchFileException e) {
            // nothing to delete
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
        } catch (final UncheckedIOException e) {
            throw new UncheckedIOException("cannot delete " + dir + ": " + e.getCause().getMessage(), e.getCause());
        }
    }
}
