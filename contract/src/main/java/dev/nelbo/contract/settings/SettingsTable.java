package dev.nelbo.contract.settings;

import org.apache.kafka.common.config.ConfigDef;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The documentation of a jar's settings, rendered from its declarations as a Markdown table, and the generated
 * region of a document that holds it: between {@code <!-- settings:NAME -->} and {@code <!-- /settings:NAME -->}.
 * Each jar's test compares the region with the declarations and fails on a difference, naming the command that
 * writes it again, so the docs cannot drift from the code.
 */
public final class SettingsTable {

    private SettingsTable() {
    }

    /**
     * @param def the declarations
     * @return the table: key, default, meaning, in declaration order
     */
    public static String markdown(final ConfigDef def) {
        final StringBuilder out = new StringBuilder("| key | default | |\n|---|---|---|\n");
        for (final ConfigDef.ConfigKey key : def.configKeys().values()) {
            out.append("| `").append(key.name).append("` | ").append(defaultOf(key)).append(" | ")
                    .append(key.documentation.replace("|", "\\|").replace("\n", " ")).append(" |\n");
        }
        return out.toString();
    }

    private static String defaultOf(final ConfigDef.ConfigKey key) {
        if (key.alternativeString != null) {
            return key.alternativeString;
        }
        if (!key.hasDefault()) {
            return "(required)";
        }
        if (key.defaultValue == null) {
            return "unset";
        }
        return "`" + ConfigDef.convertToString(key.defaultValue, key.type) + "`";
    }

    /**
     * @param document a Markdown document
     * @param name     the region's name
     * @param table    what the region holds
     * @return the document with the region's content replaced
     * @throws IllegalArgumentException when the document has no such region
     */
    public static String withRegion(final String document, final String name, final String table) {
        final String begin = "<!-- settings:" + name + " -->\n";
        final String end = "<!-- /settings:" + name + " -->";
        final int from = document.indexOf(begin);
        final int to = document.indexOf(end);
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("no region '" + name + "' (" + begin.trim() + " ... " + end + ")");
        }
        return document.substring(0, from + begin.length()) + table + document.substring(to);
    }

    /**
     * Compares a document's region with the declarations; with {@code write}, writes the region instead.
     *
     * @param file  the document
     * @param name  the region's name
     * @param def   the declarations
     * @param write whether to write the region rather than compare it
     * @return null when the region matches (or was written), else what differs
     * @throws IOException when the file cannot be read or written
     */
    public static String check(final Path file, final String name, final ConfigDef def, final boolean write) throws IOException {
        final String text = Files.readString(file, StandardCharsets.UTF_8);
        final String expected = withRegion(text, name, markdown(def));
        if (expected.equals(text)) {
            return null;
        }
        if (write) {
            Files.writeString(file, expected, StandardCharsets.UTF_8);
            return null;
        }
        return file + ": the settings table '" + name + "' differs from the declarations; write it with"
                + " mvn test -Dtest=SettingsDocTest -Dnelbo.docs.write=true (in the module that declares them)";
    }
}
