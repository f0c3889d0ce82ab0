package dev.nelbo.schemas.encoding;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits one CSV line (RFC 4180 quoting: a field in double quotes may hold commas, a doubled quote is
 * a literal quote). Records spanning several lines are not supported: such a line is malformed.
 */
public final class CsvLine {

    private CsvLine() {
    }

    /**
     * @param line one line without its terminator
     * @return the cells
     * @throws EncodingException {@code malformed} for an unterminated quote
     */
    public static String[] split(final String line) {
        final List<String> cells = new ArrayList<>();
        final StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            final char c = line.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        cell.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    cell.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                cells.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        if (quoted) {
            throw new EncodingException(FailureReason.MALFORMED, null, "unterminated quote in CSV line");
        }
        cells.add(cell.toString());
        return cells.toArray(new String[0]);
    }

    /**
     * The inverse of {@link #split}: cells holding a comma, a quote or a line break are quoted.
     *
     * @param cells the cells
     * @return one line without its terminator
     */
    public static String join(final List<String> cells) {
        final StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) {
                line.append(',');
            }
            final String c = cells.get(i);
            if (c.indexOf(',') >= 0 || c.indexOf('"') >= 0 || c.indexOf('\n') >= 0 || c.indexOf('\r') >= 0) {
                line.append('"').append(c.replace("\"", "\"\"")).append('"');
            } else {
                line.append(c);
            }
        }
        return line.toString();
    }
}
