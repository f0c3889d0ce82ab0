package dev.nelbo.deploy.kafka;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The ACL table of the docs (between {@code <!-- acls:begin} and {@code <!-- acls:end -->}), as the bindings an
 * operator would create: one per row and operation, ALLOW from any host for {@code User:<principal>}.
 */
public final class DocumentedAcls {

    private DocumentedAcls() {
    }

    /** One row of the table. */
    public record Row(String principal, ResourceType resource, PatternType pattern, String name, List<AclOperation> operations) {

        /** @return the row's bindings */
        public List<AclBinding> bindings() {
            return operations.stream().map(op -> new AclBinding(new ResourcePattern(resource, name, pattern),
                    new AccessControlEntry("User:" + principal, "*", op, AclPermissionType.ALLOW))).toList();
        }
    }

    /**
     * @param file a markdown file holding the table
     * @return its rows
     * @throws IllegalArgumentException when the file has no table or a row does not parse
     */
    public static List<Row> read(final Path file) throws IOException {
        final String text = Files.readString(file);
        final int begin = text.indexOf("<!-- acls:begin");
        final int end = text.indexOf("<!-- acls:end -->");
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException(file + " has no ACL table between <!-- acls:begin and <!-- acls:end -->");
        }
        final List<Row> rows = new ArrayList<>();
        for (final String line : text.substring(begin, end).lines().toList()) {
            if (!line.startsWith("|") || line.startsWith("| principal") || line.startsWith("|---")) {
                continue;
            }
            final String[] cells = Arrays.stream(line.split("\\|")).map(String::trim).filter(c -> !c.isEmpty()).toArray(String[]::new);
            if (cells.length < 5) {
                throw new IllegalArgumentException("ACL row with fewer than 5 cells in " + file + ": " + line);
            }
            final List<AclOperation> ops = Arrays.stream(cells[4].split(","))
                    .map(o -> AclOperation.valueOf(o.trim().toUpperCase(Locale.ROOT))).toList();
            rows.add(new Row(cells[0], ResourceType.valueOf(cells[1]), PatternType.valueOf(cells[2]), cells[3].replace("`", ""), ops));
        }
        return rows;
    }

    /**
     * @param rows      the table
     * @param principal one principal
     * @return its bindings
     */
    public static List<AclBinding> of(final List<Row> rows, final String principal) {
        return rows.stream().filter(r -> r.principal().equals(principal)).flatMap(r -> r.bindings().stream()).toList();
    }
}
