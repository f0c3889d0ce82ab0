package dev.nelbo.schemas.bundle;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DirectoriesTest {

    @Test
    void deletes_a_nested_tree_and_leaves_its_siblings(@TempDir final Path parent) throws Exception {
        final Path bundle = Files.createDirectories(parent.resolve("bundle/report/png"));
        Files.writeString(parent.resolve("bundle/manifest.json"), "{}");
        Files.writeString(bundle.resolve("scores.png"), "x");
        final Path sibling = Files.writeString(parent.resolve("keep.txt"), "keep");

        Directories.deleteTree(parent.resolve("bundle"));

        assertFalse(Files.exists(parent.resolve("bundle")));
        assertTrue(Files.exists(sibling));
    }

    @Test
    void a_missing_directory_is_not_an_error(@TempDir final Path parent) {
        Directories.deleteTree(parent.resolve("never-made"));
        assertTrue(Files.isDirectory(parent));
    }
}
