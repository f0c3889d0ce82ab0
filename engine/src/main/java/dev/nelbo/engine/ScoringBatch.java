package dev.nelbo.engine;

import dev.nelbo.engine.random.CounterNormals;

import java.util.Arrays;

/**
 * A reusable batch of encoded records for {@link ScoringEngine#score}: row-major {@code x} and
 * observed-{@code mask} ({@code [capacity, D]}, row {@code r} at {@code r * D}) and, per record, the
 * hash of its id, which seeds the record's sampling noise.
 *
 * <p>Fill it with {@link #add(CharSequence, float[], float[])}, by reserving a row with
 * {@link #addRow(CharSequence)} and encoding straight into {@link #x()} / {@link #mask()} at
 * {@link #offset(int)}, or by encoding into {@link #nextRow()} first and keeping the row with
 * {@link #commitRow(CharSequence)} once the record proved usable; {@link #clear()} before the next batch.
 * Nothing here allocates. Not thread-safe: one batch per thread.
 */
public final class ScoringBatch {

    private final int capacity;
    private final int width;
    private final float[] x;
    private final float[] mask;
    private final long[] idHashes;
    private int size;

    /**
     * @param capacity most records
     * @param width    encoded width D
     */
    public ScoringBatch(final int capacity, final int width) {
        if (capacity < 1 || width < 1) {
            throw new IllegalArgumentException("batch capacity and width must be positive, got " + capacity + ", " + width);
        }
        this.capacity = capacity;
        this.width = width;
        this.x = new float[capacity * width];
        this.mask = new float[capacity * width];
        this.idHashes = new long[capacity];
    }

    /**
     * Reserves the next row for a record; its x and mask are all zero (missing) until written.
     *
     * @param id the record's id (for Kafka: the key, or topic-partition-offset when there is none);
     *           the same id with the same model version always gets the same score
     * @return the row index
     * @throws IllegalStateException when the batch is full
     */
    public int addRow(final CharSequence id) {
        if (size == capacity) {
            throw new IllegalStateException("batch is full (" + capacity + " records); score and clear it first");
        }
        final int row = size++;
        idHashes[row] = CounterNormals.hash(id);
        Arrays.fill(x, row * width, (row + 1) * width, 0f);
        Arrays.fill(mask, row * width, (row + 1) * width, 0f);
        return row;
    }

    /**
     * The row the next record goes to, for callers that encode straight into {@link #x()} and {@link #mask()}
     * at {@link #offset(int)} of it (every column of the row must be written), then keep it with
     * {@link #commitRow(CharSequence)}. A row that is not committed is overwritten by the next record.
     *
     * @return the next row index
     * @throws IllegalStateException when the batch is full
     */
    public int nextRow() {
        if (size == capacity) {
            throw new IllegalStateException("batch is full (" + capacity + " records); score and clear it first");
        }
        return size;
    }

    /**
     * Keeps the row returned by {@link #nextRow()}, already written, as the record with this id.
     *
     * @param id the record's id (seeds its sampling noise)
     * @return the row index
     * @throws IllegalStateException when the batch is full
     */
    public int commitRow(final CharSequence id) {
        final int row = nextRow();
        idHashes[row] = CounterNormals.hash(id);
        size++;
        return row;
    }

    /**
     * Adds a record by copying its encoded vector and mask.
     *
     * @param id      the record's id
     * @param encoded {@code D} values
     * @param observed {@code D} mask values (non-zero = observed)
     * @return the row index
     * @throws IllegalArgumentException when the arrays are not D long
     * @throws IllegalStateException    when the batch is full
     */
    public int add(final CharSequence id, final float[] encoded, final float[] observed) {
        if (encoded.length != width || observed.length != width) {
            throw new IllegalArgumentException("record has " + encoded.length + " values and " + observed.length
                    + " mask entries, expected " + width);
        }
        final int row = addRow(id);
        System.arraycopy(encoded, 0, x, row * width, width);
        System.arraycopy(observed, 0, mask, row * width, width);
        return row;
    }

    /** Empties the batch (capacity and arrays are kept). */
    public void clear() {
        size = 0;
    }

    /** @return records in the batch */
    public int size() {
        return size;
    }

    /** @return most records */
    public int capacity() {
        return capacity;
    }

    /** @return encoded width D */
    public int width() {
        return width;
    }

    /**
     * @param row a row index
     * @return index of the row's first value in {@link #x()} and {@link #mask()}
     */
    public int offset(final int row) {
        return row * width;
    }

    /** @return the backing encoded values, row-major {@code [capacity, D]} (shared, not a copy) */
    public float[] x() {
        return x;
    }

    /** @return the backing observed-mask, row-major {@code [capacity, D]} (shared, not a copy) */
    public float[] mask() {
        return mask;
    }

    long[] idHashes() {
        return idHashes;
    }
}
