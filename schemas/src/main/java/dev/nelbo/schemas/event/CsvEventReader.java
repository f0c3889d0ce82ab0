package dev.nelbo.schemas.event;

import dev.nelbo.schemas.encoding.CsvRecordSource;
import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.spec.FeatureSpec;

import java.util.List;

/**
 * Reads CSV rows into {@link EventFields}, as {@link EventReader} reads JSON events: the features by column
 * name (their path), and the id, key and time from the columns named by the spec's paths, each cell
 * interpreted as {@link CsvRecordSource#parseCell} does. So offline scoring treats a CSV row and a JSON event
 * alike from here on.
 */
public final class CsvEventReader {

    private final FeatureSpec spec;
    private final List<String> header;
    private final CsvRecordSource features;
    private final int idColumn;
    private final int keyColumn;
    private final int timeColumn;

    /**
     * @param spec   feature spec
     * @param header the CSV header (trimmed column names)
     * @throws IllegalArgumentException naming every feature whose column is not in the header
     */
    public CsvEventReader(final FeatureSpec spec, final List<String> header) {
        this.spec = spec;
        this.header = List.copyOf(header);
        this.features = new CsvRecordSource(spec, header);
        this.idColumn = column(spec.idPath());
        this.keyColumn = column(spec.keyPath());
        this.timeColumn = column(spec.timestampPath());
    }

    /** @return a holder sized for the spec */
    public EventFields newFields() {
        return new EventFields(spec.features().size(), 0);
    }

    /**
     * @param cells one data row
     * @param into  receives its values
     * @throws EncodingException {@code malformed} when the row does not have the header's number of cells
     */
    public void read(final String[] cells, final EventFields into) {
        into.clear();
        if (cells.length != header.size()) {
            throw new EncodingException(FailureReason.MALFORMED, null,
                    "CSV line has " + cells.length + " cells but the header has " + header.size());
        }
        features.reset(cells);
        final int n = spec.features().size();
        for (int f = 0; f < n; f++) {
            features.read(f, into.slot(f));
        }
        cell(cells, idColumn, into, EventFields.idSlot(n));
        cell(cells, keyColumn, into, EventFields.keySlot(n));
        cell(cells, timeColumn, into, EventFields.timeSlot(n));
    }

    private static void cell(final String[] cells, final int column, final EventFields into, final int slot) {
        if (column >= 0) {
            CsvRecordSource.parseCell(cells[column], into.slot(slot));
        }
    }

    private int column(final String path) {
        return path == null ? -1 : header.indexOf(path);
    }
}
