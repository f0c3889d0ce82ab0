package dev.nelbo.scorer.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnpackDirectoryTest {

    @TempDir
    Path parent;

    /** Run in a child JVM: takes an unpack directory, unpacks a fake bundle into it, prints its path, waits to be killed. */
    public static void main(final String[] args) throws Exception {
        final UnpackDirectory d = UnpackDirectory.create(Path.of(args[0]));
        Files.createDirectories(d.path().resolve("nelbo-model-v1-123"));
        Files.writeString(d.path().resolve("nelbo-model-v1-123").resolve("encoder.onnx"), "graph");
        System.out.println(d.path());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    @Test
    void a_killed_process_leaves_its_bundles_and_the_next_start_deletes_them_but_never_a_live_ones() throws Exception {
        final Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), UnpackDirectoryTest.class.getName(), parent.toString())
                .redirectErrorStream(true).start();
        final Path childDir;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            do {
                line = out.readLine();
            } while (line != null && !line.startsWith(parent.toString()));
            childDir = Path.of(line);
        }
        try (UnpackDirectory mine = UnpackDirectory.create(parent)) {
            assertTrue(Files.isDirectory(childDir), "a live process's directory is left alone");
            assertTrue(Files.isDirectory(mine.path()));
        }
        child.destroyForcibly();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertTrue(Files.isDirectory(childDir.resolve("nelbo-model-v1-123")), "kill -9 leaves the bundles behind");

        try (UnpackDirectory next = UnpackDirectory.create(parent)) {
            assertFalse(Files.exists(childDir), "the next start deletes what the killed process left");
            try (var listing = Files.list(parent)) {
                assertEquals(List.of(next.path()), listing.toList());
            }
        }
        try (var listing = Files.list(parent)) {
            assertEquals(0, listing.count(), "closing deletes this process's directory");
        }
    }
}
