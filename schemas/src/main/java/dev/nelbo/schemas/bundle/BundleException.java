package dev.nelbo.schemas.bundle;

import java.nio.file.Path;

/** A model bundle that cannot be used; the message names the file and the problem. */
public final class BundleException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * @param file    the offending file (or the bundle directory)
     * @param message what is wrong and, where possible, what to do
     */
    public BundleException(final Path file, final String message) {
        super(file + ": " + message);
        this.file = file;
    }

    /**
     * @param file    the offending file
     * @param message what is wrong
     * @param cause   underlying error
     */
    public BundleException(final Path file, final String message, final Throwable cause) {
        super(file + ": " + message, cause);
        this.file = file;
    }

    /** @return the offending file */
    public Path file() {
        return file;
    }
}
