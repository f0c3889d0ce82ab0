package dev.nelbo.scorer.model;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The directory one scorer process unpacks registry bundles into ({@code nelbo-scorer-*} under a parent such
 * as {@code java.io.tmpdir}), held with an exclusive lock on a file inside it for the life of the process.
 * On start, such directories whose lock nobody holds belong to processes that are gone (a crash, a kill, a
 * restarted container on the same volume) and are deleted; directories of live instances sharing the parent
 * are left alone. The operating system releases the lock of a process that dies, whatever the way.
 */
public final class UnpackDirectory implements AutoCloseable {

    /** Prefix of the per-process directories. */
    static final String PREFIX = "nelbo-scorer-";
    private static final String LOCK = ".lock";
    private static final long UNLOCKED_GRACE_MS = 60_000;
    private static final Logger LOG = LoggerFactory.getLogger(UnpackDirectory.class);

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private UnpackDirectory(final Path dir, final FileChannel channel, final FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Deletes the directories of processes that are gone, then creates and locks this process's own.
     *
     * @param parent where the directories live (created when missing)
     * @return this process's directory
     * @throws UncheckedIOException when the parent is not writable
     */
    public static UnpackDirectory create(final Path parent) {
        try {
            Files.createDirectories(parent);
            removeAbandoned(parent);
            final Path dir = Files.createTempDirectory(parent, PREFIX);
            final FileChannel channel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new UnpackDirectory(dir, channel, channel.lock());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create a directory for model bundles under " + parent
                    + ": it must be writable (java.io.tmpdir on a writable volume)", e);
        }
    }

    private static void removeAbandoned(final Path parent) throws IOException {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, PREFIX + "*")) {
            for (final Path d : dirs) {
                if (Files.isDirectory(d) && abandoned(d)) {
                    LOG.info("Removing model bundles left by a scorer process that is gone: {}", d);
                    BundleDirs.delete(d);
                }
            }
        }
    }

    /**
     * A directory whose lock file can be locked now has no live owner. One without a lock file is a process's that
     * died right after creating it, or one being created this instant: only the first kind is old.
     */
    private static boolean abandoned(final Path d) {
        final Path lockFile = d.resolve(LOCK);
        if (!Files.exists(lockFile)) {
            try {
                return Files.getLastModifiedTime(d).toMillis() < System.currentTimeMillis() - UNLOCKED_GRACE_MS;
            } catch (final IOException e) {
                return false;
            }
        }
        try (FileChannel c = FileChannel.open(lockFile, StandardOpenOption.WRITE); FileLock l = c.tryLock()) {
            return l != null;
        } catch (final OverlappingFileLockException e) {
            return false;
        } catch (final IOException e) {
            LOG.warn("Cannot tell whether {} is in use ({}); leaving it", d, e.getMessage());
            return false;
        }
    }

    /** @return the directory */
    public Path path() {
        return dir;
    }

    /** Releases the lock and deletes the directory (bundles still in use are deleted by their models first). */
    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (final IOException e) {
            LOG.debug("Releasing {}: {}", dir, e.getMessage());
        }
        BundleDirs.delete(dir);
    }
}
