package dev.nelbo.scorer.model;

import dev.nelbo.registry.ModelRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * The last model this instance switched to from the registry, kept on the pod's volume
 * ({@code nelbo.model.last.good.dir}), so that a restarted instance serves it while the registry names a version it
 * refuses or does not hold, as the instances that kept running do, and checks the registry's version against it
 * (spec compatibility) as they do. Without it a restarted instance has nothing to serve and waits, not ready, and
 * with no model to compare against it would take a spec the running ones refused: the fleet would split.
 *
 * <p>What is kept is the registry record's archive, as it was read: the follower unpacks it like any registry bundle
 * and the model manager verifies it (checksums, signature, graph form) before it serves. It is written beside its
 * place and moved into it atomically, so a crash mid-write leaves the previous one in force.
 */
public final class LastGoodModel {

    private static final Logger LOG = LoggerFactory.getLogger(LastGoodModel.class);
    /** The kept archive's file name. */
    static final String ARCHIVE = "bundle.zip";

    private final Path archive;

    /** @param root the directory the archive is kept in (created when needed) */
    public LastGoodModel(final Path root) {
        this.archive = root.resolve(ARCHIVE);
    }

    /** @return where the archive is kept */
    public Path path() {
        return archive;
    }

    /** @return the kept archive, if there is a readable one no larger than a registry record */
    public Optional<byte[]> read() {
        try {
            if (!Files.isRegularFile(archive)) {
                return Optional.empty();
            }
            if (Files.size(archive) > ModelRegistry.MAX_RECORD_BYTES) {
                LOG.warn("The last-known-good model {} is larger than a registry record ({} bytes); ignoring it", archive,
                        ModelRegistry.MAX_RECORD_BYTES);
                return Optional.empty();
            }
            return Optional.of(Files.readAllBytes(archive));
        } catch (final IOException e) {
            LOG.warn("Cannot read the last-known-good model {}: {}", archive, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Keeps the archive of a bundle the instance now serves. Failures are logged, not thrown: the model serves either
     * way, and only a later restart would miss it.
     *
     * @param bundle  the registry record's archive
     * @param version its version, for the log
     */
    public void remember(final byte[] bundle, final String version) {
        final Path next = archive.resolveSibling(ARCHIVE + ".next");
        try {
            Files.createDirectories(archive.getParent());
            Files.write(next, bundle);
            try {
                Files.move(next, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (final AtomicMoveNotSupportedException e) {
                Files.move(next, archive, StandardCopyOption.REPLACE_EXISTING);
            }
            LOG.info("Model {} kept as the last-known-good model in {}", version, archive);
        } catch (final IOException e) {
            LOG.warn("Could not keep model {} as the last-known-good model in {}: {} (a restart before the next model"
                    + " would have none)", version, archive, e.getMessage());
        }
    }
}
