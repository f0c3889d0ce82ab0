package dev.nelbo.schemas.event;

import dev.nelbo.schemas.spec.FeatureSpec;

/**
 * The wire format of the events: JSON ({@link #JSON}, the default), Avro with a writer schema
 * ({@link AvroEventReader#format}) or through a schema registry ({@link ConfluentAvroFormat}), or Protobuf
 * ({@link ProtobufEventReader#format}). A format makes the {@link EventParser} of a model's spec.
 */
@FunctionalInterface
public interface EventFormat {

    /** JSON objects, read with {@link EventReader}. */
    EventFormat JSON = new EventFormat() {
        @Override
        public EventParser parser(final FeatureSpec spec, final DecodeLimits limits) {
            return EventReader.forSpec(spec, limits);
        }

        @Override
        public byte[] toJson(final byte[] value) {
            return value;
        }

        @Override
        public String toString() {
            return "json";
        }
    };

    /**
     * @param spec   the model's feature spec (the paths to read)
     * @param limits what an event may be
     * @return its parser
     * @throws IllegalArgumentException when the spec cannot be read in this format (a path the schema does not have)
     */
    EventParser parser(FeatureSpec spec, DecodeLimits limits);

    /**
     * The record as the JSON event it is a twin of: every field, with the format's conversions (see its reader), so
     * the trainer, which learns from JSON, can read events of this format. A model trained on the twins reads the
     * records themselves to the same model input.
     *
     * @param value a record value in this format
     * @return the JSON document's bytes
     * @throws dev.nelbo.schemas.encoding.EncodingException with a typed reason when the value is not a readable record
     * @throws UnsupportedOperationException for a format the trainer cannot read yet (Protobuf)
     */
    default byte[] toJson(final byte[] value) {
        throw new UnsupportedOperationException("training from this format is not supported yet: train on the events'"
                + " JSON form");
    }
}
