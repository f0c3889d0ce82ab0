package dev.nelbo.deploy.watch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nelbo.deploy.generator.EventJson;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a labels JSONL file written by {@code generate --labels} while it is still being written: each
 * {@link #poll()} reads the complete lines appended since the previous one.
 */
public final class LabelTail {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path file;
    private final Map<String, Optional<String>> kinds = new HashMap<>();
    /** Event id to its episode, for the events of anomalies that span events. */
    private final Map<String, String> episodes = new HashMap<>();
    /** Planted silences: host to the last event times before its silences. */
    private final java.util.List<Silences.Planted> silences = new java.util.ArrayList<>();
    private long position;
    private byte[] partial = new byte[0];

    /**
     * @param file labels file (may not exist yet)
     */
    public LabelTail(final Path file) {
        this.file = file;
    }

    /**
     * Reads lines appended since the last call.
     *
     * @throws UncheckedIOException when the file cannot be read or holds a line that is not a label
     */
    public void poll() {
        if (!Files.exists(file)) {
            return;
        }
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            final long length = in.length();
            if (length <= position) {
                return;
            }
            in.seek(position);
            final byte[] chunk = new byte[(int) Math.min(length - position, Integer.MAX_VALUE - 16)];
            in.readFully(chunk);
            position += chunk.length;
            final byte[] data = new byte[partial.length + chunk.length];
            System.arraycopy(partial, 0, data, 0, partial.length);
            System.arraycopy(chunk, 0, data, partial.length, chunk.length);
            int start = 0;
            for (int i = 0; i < data.length; i++) {
                if (data[i] == '\n') {
                    accept(new String(data, start, i - start, StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            // The writer's buffer may have been flushed in the middle of a line: keep the rest for next time.
            partial = Arrays.copyOfRange(data, start, data.length);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read labels " + file + ": " + e.getMessage(), e);
        }
    }

    private void accept(final String line) throws IOException {
        if (line.isBlank()) {
            return;
        }
        final JsonNode label = MAPPER.readTree(line);
        final JsonNode id = label.get(EventJson.EVENT_ID);
        if (id == null || !label.has(EventJson.LABEL_ANOMALY)) {
            throw new IOException("not a label line (needs event_id and anomaly): " + line);
        }
        final JsonNode kind = label.get(EventJson.LABEL_KIND);
        kinds.put(id.asText(), label.get(EventJson.LABEL_ANOMALY).asBoolean() && kind != null && !kind.isNull()
                ? Optional.of(kind.asText()) : Optional.empty());
        final JsonNode episode = label.get(EventJson.LABEL_EPISODE);
        if (episode != null && episode.isTextual()) {
            episodes.put(id.asText(), episode.asText());
        }
        final JsonNode silent = label.get(EventJson.LABEL_SILENCE_HOST);
        if (silent != null && silent.isTextual()) {
            silences.add(new Silences.Planted(silent.asText(), label.path(EventJson.LABEL_SILENCE_SINCE).asLong()));
        }
    }

    /** @return the silences planted so far */
    public java.util.List<Silences.Planted> silences() {
        return java.util.List.copyOf(silences);
    }

    /**
     * @param eventId an event id
     * @return empty when the label has not been read (yet); else the planted kind, or empty inside for a normal event
     */
    public Optional<Optional<String>> label(final String eventId) {
        return Optional.ofNullable(kinds.get(eventId));
    }

    /** @return labels read so far */
    public int size() {
        return kinds.size();
    }

    /** @return event id to episode, for the events of anomalies that span events read so far */
    public Map<String, String> episodes() {
        return Map.copyOf(episodes);
    }

    /** @return event id to planted kind (empty for normal events) of every label read so far */
    public Map<String, Optional<String>> all() {
        return Map.copyOf(kinds);
    }
}
