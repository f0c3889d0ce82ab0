package dev.nelbo.schemas.event;

import dev.nelbo.schemas.spec.FeatureSpec;

/**
 * The wire format of the events: JSON ({@link #JSON}, the default) or Avro with a writer schema
 * ({@link AvroEventReader#format}). A format makes the {@link EventParser} of a model's spec.
 */
@FunctionalInterface
public interface EventFormat {

    /** JSON objects, read with {@link EventReader}. */
    EventFormat JSON = EventReader::forSpec;

    /**
     * @param spec   the model's feature spec (the paths to read)
     * @param limits what an event may be
     * @return its parser
     * @throws IllegalArgumentException when the spec cannot be read in this format (a path the schema does not have)
     */
    EventParser parser(FeatureSpec spec, DecodeLimits limits);
}
