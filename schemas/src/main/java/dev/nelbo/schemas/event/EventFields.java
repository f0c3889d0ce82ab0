package dev.nelbo.schemas.event;

import dev.nelbo.schemas.encoding.RawValue;
import dev.nelbo.schemas.encoding.RecordSource;
import dev.nelbo.schemas.history.HistoryTracker;


/**
 * What {@link EventReader} found in one event: the raw value at each of its paths (the spec's features
 * first, then the id, key and time paths, then any extra paths). A holder is reused from event to event,
 * so reading allocates nothing but the strings the event carries. As a {@link RecordSource} it hands the
 * feature values to the {@link dev.nelbo.schemas.encoding.FeatureEncoder}.
 */
public final class EventFields implements RecordSource {

    /**
     * Longest id or key kept as is. They end up in every output and key the alert-suppression state, so a
     * longer one is cut to a prefix plus a hash of the whole (distinct long ids stay distinct).
     */
    public static final int MAX_ID_CHARS = 256;

    private final RawValue[] values;
    private final int idSlot;
    private final int keySlot;
    private final int timeSlot;

    /**
     * @param features the spec's features (slots {@code 0..features-1})
     * @param extras   extra paths (slots after the id, key and time slots)
     */
    EventFields(final int features, final int extras) {
        values = new RawValue[features + 3 + extras];
        for (int i = 0; i < values.length; i++) {
            values[i] = new RawValue();
        }
        this.idSlot = features;
        this.keySlot = features + 1;
        this.timeSlot = features + 2;
    }

    static int idSlot(final int features) {
        return features;
    }

    static int keySlot(final int features) {
        return features + 1;
    }

    static int timeSlot(final int features) {
        return features + 2;
    }

    static int extraSlot(final int features, final int extra) {
        return features + 3 + extra;
    }

    /**
     * @param history the tracker of the model's history features, or null
     * @param seenAt  when the record was seen (history expiry counts from it)
     * @return this record with its entity's history features (the tracker bound to it, to commit once it encoded),
     *         or this record itself without a tracker
     */
    public RecordSource withHistory(final HistoryTracker history, final long seenAt) {
        return history == null ? this : history.bind(this, key(), timeMillis(), seenAt);
    }

    /**
     * Replaces the time of each of the given features by the record timestamp where it is further from it than
     * {@code maxSkewMs} ({@link EventTimes#bound}).
     *
     * @param features        indexes of time features
     * @param recordTimestamp the record timestamp
     * @param maxSkewMs       largest accepted distance
     * @return whether any was replaced
     */
    boolean boundTimes(final int[] features, final long recordTimestamp, final long maxSkewMs) {
        boolean any = false;
        for (final int f : features) {
            final Long t = values[f].epochMillis();
            if (t != null) {
                final long bounded = EventTimes.bound(t, recordTimestamp, maxSkewMs);
                if (bounded != t) {
                    values[f].setNumber(bounded, null);
                    any = true;
                }
            }
        }
        return any;
    }

    /** @return the event time, or {@link Long#MIN_VALUE} when the record has none (when a file's record was seen) */
    public long timeOrMin() {
        final Long t = timeMillis();
        return t == null ? Long.MIN_VALUE : t;
    }

    @Override
    public void read(final int feature, final RawValue into) {
        into.set(values[feature]);
    }

    RawValue slot(final int slot) {
        return values[slot];
    }

    void clear() {
        for (final RawValue v : values) {
            v.setAbsent();
        }
    }

    /**
     * @param feature feature index in the spec
     * @return the raw value the event holds for it (valid until the next read into this holder)
     */
    public RawValue feature(final int feature) {
        return values[feature];
    }

    /**
     * @return the event id: the text at the spec's id path (numbers as text), or null when absent, null or a
     *         structure; cut by {@link #capped} when longer than {@value #MAX_ID_CHARS} characters
     */
    public String id() {
        return capped(text(idSlot));
    }

    /** @return the entity key at the spec's key path (as {@link #id()}), or null */
    public String key() {
        return capped(text(keySlot));
    }

    /**
     * @param s an id or key, or null
     * @return it unchanged when at most {@value #MAX_ID_CHARS} characters, else its first 239 characters, a
     *         {@code ~} and the first 16 hex digits of the whole text's SHA-256 (at most {@value #MAX_ID_CHARS})
     */
    public static String capped(final String s) {
        if (s == null || s.length() <= MAX_ID_CHARS) {
            return s;
        }
        final String hash = dev.nelbo.schemas.output.DeadLetter.sha256(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        final int cut = Character.isHighSurrogate(s.charAt(MAX_ID_CHARS - 18)) ? MAX_ID_CHARS - 18 : MAX_ID_CHARS - 17;
        return s.substring(0, cut) + "~" + hash.substring(0, 16);
    }

    /**
     * @return the event time at the spec's timestamp path in epoch milliseconds, from a number or an ISO-8601
     *         string, or null when absent or unreadable
     */
    public Long timeMillis() {
        return values[timeSlot].epochMillis();
    }

    /**
     * @param extra index among the reader's extra paths
     * @return the text at that path (as {@link #id()}), or null
     */
    public String extra(final int extra) {
        return text(timeSlot + 1 + extra);
    }

    private String text(final int slot) {
        final RawValue v = values[slot];
        return switch (v.kind()) {
            case TEXT, NUMBER -> v.text();
            case BOOLEAN -> v.bool() ? "true" : "false";
            default -> null;
        };
    }
}
