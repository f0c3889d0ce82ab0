package dev.nelbo.schemas.event;

import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.encoding.RecordSource;
import dev.nelbo.schemas.history.HistoryTracker;

/**
 * Bytes to model input, for one model: reads the event with {@link EventReader} and encodes its features
 * with the model's {@link FeatureEncoder} straight into the caller's buffers (a batch row). The one recipe
 * the streaming scorer, the shadow scorer, offline scoring and retraining share.
 *
 * <p>Total: {@link #decode} never throws, whatever the bytes. A record that cannot be read or encoded
 * comes back with its typed failure; an unexpected exception (a bug) comes back as
 * {@code internal_error} with its cause, so one record can never stop the caller. Immutable and
 * thread-safe; use one {@link DecodedEvent} per thread.
 */
public final class EventDecoder {

    /** What {@link #decode} takes for a record without a timestamp (a file's): its time features are not bounded. */
    public static final long NO_RECORD_TIMESTAMP = Long.MIN_VALUE;

    private final FeatureEncoder encoder;
    private final EventParser reader;
    private final long maxTimeSkewMs;
    /** The spec's time features (time of day, weekday): the context a model's thresholds can depend on. */
    private final int[] timeFeatures;

    /**
     * @param encoder the model's encoder (its spec says what to read)
     * @param limits  what an event may be
     */
    public EventDecoder(final FeatureEncoder encoder, final DecodeLimits limits) {
        this(encoder, limits, Long.MAX_VALUE);
    }

    /**
     * @param encoder       the model's encoder (its spec says what to read)
     * @param limits        what an event may be
     * @param maxTimeSkewMs a time feature further than this from its record's timestamp takes the record timestamp
     *                      ({@link EventTimes#bound}), so a producer cannot choose a record's context by its time field
     *                      beyond what the record timestamp allows
     */
    public EventDecoder(final FeatureEncoder encoder, final DecodeLimits limits, final long maxTimeSkewMs) {
        this(encoder, limits, maxTimeSkewMs, EventFormat.JSON);
    }

    /**
     * @param encoder       the model's encoder (its spec says what to read)
     * @param limits        what an event may be
     * @param maxTimeSkewMs see {@link #EventDecoder(FeatureEncoder, DecodeLimits, long)}
     * @param format        the events' wire format
     * @throws IllegalArgumentException when the model's spec cannot be read in that format
     */
    public EventDecoder(final FeatureEncoder encoder, final DecodeLimits limits, final long maxTimeSkewMs,
                        final EventFormat format) {
        this.encoder = encoder;
        this.reader = format.parser(encoder.spec(), limits);
        this.maxTimeSkewMs = maxTimeSkewMs;
        this.timeFeatures = java.util.stream.IntStream.range(0, encoder.spec().features().size())
                .filter(i -> encoder.spec().features().get(i).type() == dev.nelbo.schemas.spec.FeatureType.TIME).toArray();
    }

    /** @return the model's encoder */
    public FeatureEncoder encoder() {
        return encoder;
    }

    /** @return a holder sized for this decoder */
    public DecodedEvent newEvent() {
        return new DecodedEvent(reader.newFields(), encoder.layout().size());
    }

    /**
     * Decodes one record into row {@code row} of row-major buffers of the encoder's width.
     *
     * @param value the record value
     * @param x     encoded values
     * @param mask  observed-mask
     * @param row   row in the buffers (left unspecified when the record fails)
     * @param into  receives the event's fields, clamped features or failure
     * @return {@code into}
     */
    public DecodedEvent decode(final byte[] value, final float[] x, final float[] mask, final int row,
                               final DecodedEvent into) {
        return decode(value, x, mask, row, into, null, Long.MIN_VALUE);
    }

    /**
     * Decodes one record with its entity's history (see {@link #decode(byte[], float[], float[], int, DecodedEvent)}):
     * the history features read the state of the record's key as it was before it, and a record that encodes is
     * added to that state.
     *
     * @param value   the record value
     * @param x       encoded values
     * @param mask    observed-mask
     * @param row     row in the buffers
     * @param into    receives the event's fields, clamped features, past events or failure
     * @param history the tracker of the model's history features, or null (they read as missing, nothing is added)
     * @param seenAt  when the record was seen (its timestamp, never ahead of the scorer's clock; expiry counts from it)
     * @return {@code into}
     */
    public DecodedEvent decode(final byte[] value, final float[] x, final float[] mask, final int row,
                               final DecodedEvent into, final HistoryTracker history, final long seenAt) {
        return decode(value, x, mask, row, into, history, seenAt, NO_RECORD_TIMESTAMP);
    }

    /**
     * Decodes one Kafka record (see {@link #decode(byte[], float[], float[], int, DecodedEvent, HistoryTracker, long)}),
     * its time features bounded by its timestamp.
     *
     * @param value           the record value
     * @param x               encoded values
     * @param mask            observed-mask
     * @param row             row in the buffers
     * @param into            receives the event's fields, clamped features, past events or failure
     * @param history         the tracker of the model's history features, or null
     * @param seenAt          when the record was seen
     * @param recordTimestamp the record's timestamp, or {@link #NO_RECORD_TIMESTAMP}
     * @return {@code into}
     */
    public DecodedEvent decode(final byte[] value, final float[] x, final float[] mask, final int row,
                               final DecodedEvent into, final HistoryTracker history, final long seenAt,
                               final long recordTimestamp) {
        try {
            reader.read(value, into.fields());
        } catch (final RuntimeException e) {
            return failed(e, into);
        }
        return encode(into, x, mask, row, history, seenAt, recordTimestamp);
    }

    /**
     * Decodes one CSV row (see {@link #decode(byte[], float[], float[], int, DecodedEvent)}).
     *
     * @param cells the row
     * @param csv   the file's reader (its header)
     * @param x     encoded values
     * @param mask  observed-mask
     * @param row   row in the buffers
     * @param into  receives the row's fields, clamped features or failure (a holder from {@link #newEvent()})
     * @param history the tracker of the model's history features, or null
     * @return {@code into}
     */
    public DecodedEvent decode(final String[] cells, final CsvEventReader csv, final float[] x, final float[] mask,
                               final int row, final DecodedEvent into, final HistoryTracker history) {
        try {
            csv.read(cells, into.fields());
        } catch (final RuntimeException e) {
            return failed(e, into);
        }
        return encode(into, x, mask, row, history, into.fields().timeOrMin(), NO_RECORD_TIMESTAMP);
    }

    private DecodedEvent encode(final DecodedEvent into, final float[] x, final float[] mask, final int row,
                                final HistoryTracker history, final long seenAt, final long recordTimestamp) {
        try {
            final boolean bounded = recordTimestamp != NO_RECORD_TIMESTAMP && timeFeatures.length > 0
                    && into.fields().boundTimes(timeFeatures, recordTimestamp, maxTimeSkewMs);
            final RecordSource source = into.fields().withHistory(history, seenAt);
            into.succeeded(encoder.encode(source, x, mask, row, into.clampedBuffer()), history == null ? -1 : history.pastEvents(),
                    bounded);
            if (history != null) {
                history.commit();
            }
            return into;
        } catch (final RuntimeException e) {
            return failed(e, into);
        }
    }

    private static DecodedEvent failed(final RuntimeException e, final DecodedEvent into) {
        into.failed(e instanceof EncodingException typed ? typed : new EncodingException(FailureReason.INTERNAL_ERROR, null,
                "unexpected " + e.getClass().getSimpleName() + " while decoding: " + e.getMessage(), e));
        return into;
    }
}
