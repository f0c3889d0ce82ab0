package dev.nelbo.scorer.model;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The last model this instance switched to from the registry, kept on the pod's volume
 * ({@code nelbo.model.last.good.dir}), so that a restarted instance serves it while the registry names a version it
 * refuses or does not hold, as the instances that kept running do, and checks the registry's version against it
 * (spec compatibility) as they do. Without it a restarted instance has nothing to serve and waits, not ready, and
 * with no model to compare against it would take a spec the running ones refused: the fleet would split.
 *
 * <p>It is a copy, read back like any bundle: the model manager verifies it (checksums, signature, graph form) before
 * it serves. Each copy goes into its own directory and a pointer file names the latest, written last and moved into
 * place atomically, so a crash mid-copy leaves the previous copy in force. Copies other than the latest and the one
 * this process serves from are deleted.
 */
public final class LastGoodModel {

    private static final Logger LOG = LoggerFactory.getLogger(LastGoodModel.class);
    static final String POINTER = "LAST_GOOD";

    private final Path root;
    /** The copy this process loaded at start, which its model may still read graphs from. */
    private volatile Path inUse;

    /** @param root the directory copies are kept under (created when needed) */
    public LastGoodModel(final Path root) {
        this.root = root;
    }

    /** @return the directory of the latest copy, if there is one */
    public Optional<Path> latest() {
        final Path pointer = root.resolve(POINTER);
        try {
            if (!Files.isRegularFile(pointer)) {
                return Optional.empty();
            }
            final String name = Files.readString(pointer, StandardCharsets.UTF_8).trim();
            final Path dir = root.resolve(name).normalize();
            if (name.isEmpty() || !dir.getParent().equals(root.normalize()) || !Files.isDirectory(dir)) {
                LOG.warn("The last-known-good pointer {} names no copy ({}); ignoring it", pointer, name);
                return Optional.empty();
            }
            return Optional.of(dir);
        } catch (final IOException | UncheckedIOException e) {
            LOG.warn("Cannot read the last-known-good model under {}: {}", root, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Marks the copy the model serving at start was loaded from, so it is kept while in use.
     *
     * @param dir a directory {@link #latest()} returned
     */
    public void servingFrom(final Path dir) {
        inUse = dir;
    }

    /**
     * Keeps a copy of a bundle the instance now serves. Failures are logged, not thrown: the model serves either
     * way, and only a later restart would miss the copy.
     *
     * @param bundle  the bundle directory
     * @param version its version, for the copy's name
     */
    public void remember(final Path bundle, final String version) {
        try {
            Files.createDirectories(root);
            final Path copy = Files.createTempDirectory(root, "model-" + version.replaceAll("[^A-Za-z0-9._-]", "_") + "-");
            try (Stream<Path> files = Files.walk(bundle)) {
                for (final Path f : files.toList()) {
                    final Path target = copy.resolve(bundle.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(target);
                    } else if (Files.isRegularFile(f)) {
                        Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            final Path next = root.resolve(POINTER + ".next");
            Files.writeString(next, copy.getFileName().toString(), StandardCharsets.UTF_8);
            try {
                Files.move(next, root.resolve(POINTER), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (final AtomicMoveNotSupportedException e) {
                Files.move(next, root.resolve(POINTER), StandardCopyOption.REPLACE_EXISTING);
            }
            LOG.info("Model {} kept as the last-known-good model in {}", version, copy);
            deleteOthers(copy);
        } catch (final IOException | UncheckedIOException e) {
            LOG.warn("Could not keep model {} as the last-known-good model under {}: {} (a restart before the next model"
                    + " would have none)", version, root, e.getMessage());
        }
    }

    /**
     * Deletes the copies other than {@code keep} and the one the model loaded at start reads its graphs from (models
     * from the registry read their own unpacked bundles, never these copies).
     */
    private void deleteOthers(final Path keep) throws IOException {
        try (Stream<Path> dirs = Files.list(root)) {
            for (final Path d : dirs.filter(Files::isDirectory).toList()) {
                if (!d.equals(keep) && !d.equals(inUse)) {
                    BundleDirs.delete(d);
                }
            }
        }
    }
}
