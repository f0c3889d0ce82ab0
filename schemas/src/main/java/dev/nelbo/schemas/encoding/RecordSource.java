package dev.nelbo.schemas.encoding;

/**
 * One record seen through the feature spec: fills feature {@code i}'s raw value. Implementations
 * exist for JSON events ({@link dev.nelbo.schemas.event.EventFields}), CSV rows ({@link CsvRecordSource}) and the
 * trainer's in-memory table; all of them feed the same {@link FeatureEncoder}.
 */
@FunctionalInterface
public interface RecordSource {

    /**
     * @param feature index of the feature in the spec
     * @param into    holder to fill (always set, also for absent values)
     */
    void read(int feature, RawValue into);
}
