package dev.nelbo.trainer.retrain;

import dev.nelbo.contract.output.OutputField;
import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.event.DecodeLimits;
import dev.nelbo.schemas.event.EventFormat;
import dev.nelbo.schemas.event.EventFields;
import dev.nelbo.schemas.event.EventReader;
import dev.nelbo.schemas.event.Utf8;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * What one run reads from Kafka: a uniform, order-independent sample of the training part of the
 * window (without the records the champion alerted on) and of the held-back recent slice. For a model with
 * history features the samples are runs of consecutive records instead, so each key's history is built over its
 * events as the scorer sees them: the latest training records, then the earliest held-back ones (one run across
 * the slice boundary, in which the held-back events' history continues the training records').
 *
 * @param train           raw event values to train on, in (partition, offset) order
 * @param holdout         held-back events, in (partition, offset) order
 * @param read            records read in the window
 * @param trainPool       records eligible for training (before the sample cap)
 * @param excludedAlerted records left out because the champion alerted on them
 * @param holdoutPool     records in the held-back slice (before the sample cap)
 * @param tooLarge        records left out because they are larger than an event may be (the scorer dead-letters them)
 * @param overKeyCap      records left out of either sample because their key held its share
 * @param labelled        the events an operator labelled (false or true positive), first record of each id, in read
 *                        order: kept out of both samples, so the run decides what each label does with them
 */
public record WindowSample(List<byte[]> train, List<Held> holdout, long read, long trainPool, long excludedAlerted,
                           long holdoutPool, long tooLarge, long overKeyCap, List<Held> labelled) {

    /** Progress is printed every this many records. */
    static final long PROGRESS_EVERY = 100_000;

    /**
     * A held-back event.
     *
     * @param id        its event id (as the scorer derives it)
     * @param value     its raw value
     * @param partition its partition
     * @param offset    its offset
     */
    public record Held(String id, byte[] value, int partition, long offset) {
    }

    /** Copies the lists. */
    public WindowSample {
        train = List.copyOf(train);
        holdout = List.copyOf(holdout);
        labelled = List.copyOf(labelled);
    }

    /**
     * Reads the event ids of the alerts in the window.
     *
     * @param client  Kafka client settings
     * @param topic   alerts topic
     * @param window  window
     * @param timeout read bound
     * @param out     progress
     * @return alerted event ids
     */
    public static Set<String> alertedIds(final Properties client, final String topic, final RetrainWindow window,
                                         final Duration timeout, final PrintWriter out) {
        final Set<String> ids = new HashSet<>();
        final EventReader alerts = EventReader.forId(OutputField.EVENT_ID.wireName(), DecodeLimits.defaults());
        final EventFields alert = alerts.newFields();
        final long[] unreadable = {0};
        // the scorer stamps an alert with its event's record timestamp, so the same window finds them
        TopicWindowReader.read(client, topic, window.start(), window.end(), timeout, (p, o, t, key, value) -> {
            try {
                alerts.read(value, alert);
                if (alert.id() != null) {
                    ids.add(alert.id());
                }
            } catch (final EncodingException e) {
                unreadable[0]++;
            }
        });
        out.printf(Locale.ROOT, "alerts: %d alerted events in the window%s%n", ids.size(),
                unreadable[0] > 0 ? " (" + unreadable[0] + " unreadable alert records ignored)" : "");
        out.flush();
        return ids;
    }

    /**
     * Reads the events topic over the window.
     *
     * @param client     Kafka client settings
     * @param topic      events topic
     * @param format     the events' wire format: each record is held as the JSON event it is a twin of
     * @param window     window
     * @param idPath     where the event id is (the champion's spec), or null: ids from the record coordinates
     * @param alerted    event ids to leave out of training
     * @param labelled   event ids with an operator's label, kept out of both samples and returned apart
     * @param trainBounds   what the training sample may hold
     * @param holdoutBounds what the held-back sample may hold
     * @param consecutive whether to keep runs of consecutive records rather than uniform samples (history features)
     * @param seed       sampling seed
     * @param timeout    read bound
     * @param out        progress
     * @return the sample
     */
    public static WindowSample read(final Properties client, final String topic, final EventFormat format,
                                    final RetrainWindow window,
                                    final String idPath, final Set<String> alerted, final Set<String> labelled,
                                    final BottomKSample.Bounds trainBounds,
                                    final BottomKSample.Bounds holdoutBounds, final boolean consecutive, final long seed,
                                    final Duration timeout, final PrintWriter out) {
        final EventReader ids = EventReader.forId(idPath, DecodeLimits.defaults());
        final EventFields fields = ids.newFields();
        final BottomKSample<byte[]> train = consecutive ? BottomKSample.latest(trainBounds)
                : BottomKSample.uniform(trainBounds, seed);
        final BottomKSample<Held> holdout = consecutive ? BottomKSample.earliest(holdoutBounds)
                : BottomKSample.uniform(holdoutBounds, seed + 1);
        final long[] excluded = {0};
        final long[] tooLarge = {0};
        final java.util.Map<String, Held> found = new java.util.LinkedHashMap<>();
        final long[] read = {0};
        final Map<String, Long> unreadable = new java.util.TreeMap<>();
        out.printf(Locale.ROOT, "reading %s over %s%n", topic, window);
        out.flush();
        TopicWindowReader.read(client, topic, window.start(), window.end(), timeout, (p, o, t, keyBytes, record) -> {
            if (++read[0] % PROGRESS_EVERY == 0) {
                out.printf(Locale.ROOT, "  read %d records%n", read[0]);
                out.flush();
            }
            if (record == null) {
                return;
            }
            if (record.length > DecodeLimits.DEFAULT_MAX_BYTES) {
                // held raw until training, so a few percent of 1 MB junk would otherwise fill the heap
                tooLarge[0]++;
                return;
            }
            final byte[] value;
            try {
                value = format.toJson(record);
            } catch (final EncodingException e) {
                // the scorer dead-letters these too: nothing to learn from
                unreadable.merge(e.reason().wireName(), 1L, Long::sum);
                return;
            }
            final String key = keyBytes == null ? null : Utf8.keyText(keyBytes);
            final long size = value.length + (keyBytes == null ? 0 : keyBytes.length);
            final boolean recent = window.inHoldout(t);
            if (!recent && alerted.isEmpty() && labelled.isEmpty()) {
                train.offer(p, o, t, key, size, value);
                return;
            }
            final String id = eventId(value, ids, fields, topic, p, o);
            if (labelled.contains(id)) {
                // a replayed id is one event: its first record
                found.putIfAbsent(id, new Held(id, value, p, o));
            } else if (recent) {
                holdout.offer(p, o, t, key, size, new Held(id, value, p, o));
            } else if (alerted.contains(id)) {
                excluded[0]++;
            } else {
                train.offer(p, o, t, key, size, value);
            }
        });
        final WindowSample s = new WindowSample(train.result(), holdout.result(), read[0], train.seen(), excluded[0],
                holdout.seen(), tooLarge[0], train.overKeyCap() + holdout.overKeyCap(), List.copyOf(found.values()));
        out.printf(Locale.ROOT, "read %d records: %d for training (%d left out as alerted), %s %d (%d MiB); %d held back,"
                + " %s %d; %d too large to be events, %d over their key's share; %d labelled by operators%n", s.read(),
                s.trainPool(),
                s.excludedAlerted(), consecutive ? "kept the latest" : "sampled", s.train().size(), train.bytes() >> 20,
                s.holdoutPool(), consecutive ? "kept the earliest" : "sampled", s.holdout().size(), s.tooLarge(),
                s.overKeyCap(), s.labelled().size());
        if (!unreadable.isEmpty()) {
            out.printf(Locale.ROOT, "skipped records not readable as %s events: %s%n", format, unreadable);
        }
        out.flush();
        return s;
    }

    /**
     * The held-back events with their ids as a model reading ids at {@code idPath} derives them (a first model's
     * spec is known only after training).
     *
     * @param held   held-back events
     * @param idPath the model's id path, or null
     * @param topic  events topic
     * @return the events with those ids
     */
    public static List<Held> withIds(final List<Held> held, final String idPath, final String topic) {
        final EventReader ids = EventReader.forId(idPath, DecodeLimits.defaults());
        final EventFields fields = ids.newFields();
        return held.stream().map(h -> new Held(eventId(h.value(), ids, fields, topic, h.partition(), h.offset()),
                h.value(), h.partition(), h.offset())).toList();
    }

    /** The event id as the scorer derives it: the spec's id path, else the record's coordinates. */
    private static String eventId(final byte[] value, final EventReader ids, final EventFields fields, final String topic,
                                  final int partition, final long offset) {
        String id = null;
        try {
            ids.read(value, fields);
            id = fields.id();
        } catch (final EncodingException e) {
            // unreadable events fail decoding later and are counted there
        }
        return id != null ? id : topic + "-" + partition + "@" + offset;
    }
}
