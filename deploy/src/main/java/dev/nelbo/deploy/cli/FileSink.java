package dev.nelbo.deploy.cli;

import dev.nelbo.deploy.generator.EventJson;
import dev.nelbo.deploy.generator.EventJson.InlineLabels;
import dev.nelbo.deploy.generator.LabelledEvent;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Writes events to a JSONL file and, optionally, labels to a second JSONL file. */
final class FileSink implements EventSink {

    private final Path eventsFile;
    private final BufferedWriter events;
    private final Optional<LabelWriter> labels;
    private final Optional<InlineLabels> inline;

    FileSink(final Path eventsFile, final Optional<Path> labelsFile, final Optional<InlineLabels> inline) {
        this.eventsFile = eventsFile;
        this.events = open(eventsFile);
        this.labels = labelsFile.map(LabelWriter::new);
        this.inline = inline;
    }

    static BufferedWriter open(final Path file) {
        try {
            final Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            return Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void accept(final LabelledEvent event) {
        try {
            events.write(EventJson.event(event, inline));
            events.newLine();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write " + eventsFile + ": " + e.getMessage(), e);
        }
        labels.ifPresent(writer -> writer.write(event));
    }

    @Override
    public String describe() {
        return eventsFile.toString();
    }

    @Override
    public void close() {
        try {
            events.close();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot finish " + eventsFile + ": " + e.getMessage(), e);
        } finally {
            labels.ifPresent(LabelWriter::close);
        }
    }
}
