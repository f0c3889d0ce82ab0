package dev.nelbo.deploy.cli;

import dev.nelbo.deploy.generator.EventJson;
import dev.nelbo.deploy.generator.LabelledEvent;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Writes one label line per event to a JSONL file. */
final class LabelWriter implements AutoCloseable {

    private final Path file;
    private final BufferedWriter writer;

    LabelWriter(final Path file) {
        this.file = file;
        this.writer = FileSink.open(file);
    }

    void write(final LabelledEvent event) {
        try {
            writer.write(EventJson.label(event.label()));
            writer.newLine();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Makes everything written so far visible to readers tailing the file. */
    void flush() {
        try {
            writer.flush();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            writer.close();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot finish " + file + ": " + e.getMessage(), e);
        }
    }
}
