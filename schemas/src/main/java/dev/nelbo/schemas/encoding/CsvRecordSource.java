package dev.nelbo.schemas.encoding;

import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads features from a CSV row by column name (the feature's path). An empty cell is null; a cell
 * that parses as a number is a number (keeping its text for categorical use); {@code true}/{@code false}
 * are booleans; anything else is a string.
 */
public final class CsvRecordSource implements RecordSource {

    private final int[] columns;
    private String[] row;

    /**
     * @param spec   feature spec
     * @param header CSV header
     * @throws IllegalArgumentException naming every feature whose column is not in the header
     */
    public CsvRecordSource(final FeatureSpec spec, final List<String> header) {
        final Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < header.size(); i++) {
            index.putIfAbsent(header.get(i).trim(), i);
        }
        final List<FeatureDef> features = spec.features();
        columns = new int[features.size()];
        final StringBuilder missing = new StringBuilder();
        for (int i = 0; i < columns.length; i++) {
            if (features.get(i).derivedFromHistory()) {
                // no column: the value comes from the entity's past rows, and reads as absent here
                columns[i] = Integer.MAX_VALUE;
                continue;
            }
            final Integer c = index.get(features.get(i).path());
            if (c == null) {
                missing.append(missing.length() == 0 ? "" : ", ").append(features.get(i).path());
                columns[i] = -1;
            } else {
                columns[i] = c;
            }
        }
        if (missing.length() > 0) {
            throw new IllegalArgumentException("CSV header has no column for feature(s): " + missing
                    + " (header: " + String.join(",", header) + ")");
        }
    }

    /**
     * @param cells the row to read next
     * @return this
     */
    public CsvRecordSource reset(final String[] cells) {
        this.row = cells;
        return this;
    }

    @Override
    public void read(final int feature, final RawValue into) {
        final int c = columns[feature];
        if (c >= row.length) {
            into.setAbsent();
            return;
        }
        parseCell(row[c], into);
    }

    /**
     * Interprets one CSV cell.
     *
     * @param cell text of the cell
     * @param into holder
     */
    public static void parseCell(final String cell, final RawValue into) {
        final String s = cell.trim();
        if (s.isEmpty()) {
            into.setNull();
        } else if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
            into.setBoolean(Boolean.parseBoolean(s));
        } else if (looksNumeric(s)) {
            try {
                into.setNumber(Double.parseDouble(s), s);
            } catch (NumberFormatException e) {
                into.setText(s);
            }
        } else {
            into.setText(s);
        }
    }

    private static boolean looksNumeric(final String s) {
        final char c = s.charAt(0);
        // Double.parseDouble also accepts hex floats and a trailing 'd'/'f'; cheap pre-check avoids
        // an exception per categorical cell and keeps "NaN"/"Infinity" numbers (not_finite, not text).
        return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'N' || c == 'I';
    }
}
