package dev.nelbo.deploy.replay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nelbo.deploy.kafka.CheckedProducer;
import dev.nelbo.deploy.kafka.RateLimiter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Streams a JSONL file into a topic, one record per non-blank line, values sent verbatim. Lines that are
 * not JSON are still sent (a scorer must dead-letter them, and replays are how that gets tested) but get
 * no key; with a key path they are counted.
 */
public final class JsonlReplayer {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long PROGRESS_NANOS = 5_000_000_000L;

    private final Optional<JsonPath> keyPath;
    private final double ratePerSecond;
    private final long limit;

    /**
     * Outcome of a replay.
     *
     * @param sent records sent and acknowledged
     * @param unparsable lines that were not JSON (sent without a key)
     * @param withoutKey records sent without a key because the key path was absent or the line unparsable
     * @param unencodable lines skipped because the topic's wire format cannot hold them (Avro of another shape)
     * @param seconds wall time
     */
    public record Result(long sent, long unparsable, long withoutKey, long unencodable, double seconds) {
    }

    /**
     * @param keyPath where the record key is in each line, or empty for null keys
     * @param ratePerSecond records per second, zero or negative for as fast as possible
     * @param limit maximum records to send, zero or negative for all
     */
    public JsonlReplayer(final Optional<JsonPath> keyPath, final double ratePerSecond, final long limit) {
        this.keyPath = keyPath;
        this.ratePerSecond = ratePerSecond;
        this.limit = limit;
    }

    /**
     * @param file the JSONL file
     * @param producer where to send
     * @param progress receives a one-line progress message every few seconds
     * @return counts
     * @throws UncheckedIOException when the file cannot be read
     * @throws IllegalStateException when sending fails
     */
    public Result replay(final Path file, final CheckedProducer producer, final Consumer<String> progress) {
        final RateLimiter limiter = new RateLimiter(ratePerSecond);
        final long start = System.nanoTime();
        long lastReport = start;
        long unparsable = 0;
        long withoutKey = 0;
        long unencodable = 0;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null && (limit <= 0 || producer.sent() < limit)) {
                if (line.isBlank()) {
                    continue;
                }
                String key = null;
                if (keyPath.isPresent()) {
                    final Optional<JsonNode> parsed = parse(line);
                    if (parsed.isEmpty()) {
                        unparsable++;
                    } else {
                        key = keyPath.get().extract(parsed.get()).orElse(null);
                    }
                    if (key == null) {
                        withoutKey++;
                    }
                }
                limiter.acquire();
                try {
                    producer.send(key, line, null);
                } catch (final IllegalArgumentException e) {
                    // a line the topic's wire format cannot hold (an event that does not fit the Avro schema)
                    unencodable++;
                    continue;
                }
                final long now = System.nanoTime();
                if (now - lastReport >= PROGRESS_NANOS) {
                    lastReport = now;
                    progress.accept(String.format("replayed %,d records (%,.0f/s)", producer.sent(),
                            producer.sent() / ((now - start) / 1e9)));
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        producer.close();
        return new Result(producer.acknowledged(), unparsable, withoutKey, unencodable, (System.nanoTime() - start) / 1e9);
    }

    private static Optional<JsonNode> parse(final String line) {
        try {
            return Optional.of(MAPPER.readTree(line));
        } catch (final JsonProcessingException e) {
            return Optional.empty();
        }
    }
}
