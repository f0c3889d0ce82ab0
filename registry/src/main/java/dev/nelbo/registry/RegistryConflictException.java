package dev.nelbo.registry;

/**
 * A registry write found the registry moved since the caller read it (another publish, a rollback, a
 * concurrent retrain): nothing was written.
 */
public final class RegistryConflictException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final String expected;
    private final String actual;

    /**
     * @param topic    the registry topic
     * @param expected the current version the caller expected (null: none)
     * @param actual   what the registry names current now
     */
    public RegistryConflictException(final String topic, final String expected, final String actual) {
        this(topic, ModelRegistry.CURRENT_KEY, expected, actual);
    }

    /**
     * @param topic    the registry topic
     * @param pointer  the pointer that moved ({@code current} or {@code shadow})
     * @param expected the version the caller expected it to name (null: none)
     * @param actual   what it names now
     */
    public RegistryConflictException(final String topic, final String pointer, final String expected, final String actual) {
        super("the model registry " + topic + " changed since it was read: " + pointer + " is "
                + (actual == null ? "none" : actual) + ", expected " + (expected == null ? "none" : expected)
                + "; nothing was written (read it again and retry)");
        this.expected = expected;
        this.actual = actual;
    }

    /** @return the version the caller expected the pointer to name, or null */
    public String expected() {
        return expected;
    }

    /** @return the version the pointer names now, or null */
    public String actual() {
        return actual;
    }
}
