package dev.nelbo.deploy.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelTailTest {

    @TempDir
    Path dir;

    private static void append(final Path file, final String text) throws Exception {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void reads_only_complete_lines_and_picks_up_the_rest_later() throws Exception {
        final Path file = dir.resolve("labels.jsonl");
        final LabelTail tail = new LabelTail(file);
        tail.poll();
        assertEquals(0, tail.size(), "a file that does not exist yet is not an error");

        append(file, "{\"event_id\":\"a\",\"anomaly\":true,\"kind\":\"contextual\",\"detail\":\"x\"}\n{\"event_id\":\"b\",\"ano");
        tail.poll();
        assertEquals(1, tail.size());
        assertEquals(Optional.of(Optional.of("contextual")), tail.label("a"));
        assertTrue(tail.label("b").isEmpty(), "half-written line must wait");

        append(file, "maly\":false,\"kind\":null,\"detail\":\"\"}\n");
        tail.poll();
        assertEquals(Optional.of(Optional.empty()), tail.label("b"));
        assertEquals(2, tail.all().size());
    }

    @Test
    void a_line_that_is_not_a_label_is_an_error() throws Exception {
        final Path file = dir.resolve("events.jsonl");
        append(file, "{\"service\":\"search\"}\n");
        final UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> new LabelTail(file).poll());
        assertTrue(e.getMessage().contains("not a label line"), e.getMessage());
    }
}
