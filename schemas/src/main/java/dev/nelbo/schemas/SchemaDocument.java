package dev.nelbo.schemas;

/** The JSON Schemas of nelbo's contract, stored as resources next to this class. */
public enum SchemaDocument {
    /** An input event. */
    EVENT("event.schema.json"),
    /** A feature spec. */
    FEATURE_SPEC("feature-spec.schema.json"),
    /** A bundle manifest. */
    MANIFEST("manifest.schema.json"),
    /** A score record. */
    SCORE("score.schema.json"),
    /** An alert. */
    ALERT("alert.schema.json"),
    /** A dead letter. */
    DEAD_LETTER("dead-letter.schema.json"),
    /** A scorer instance's report on the status topic. */
    INSTANCE_STATUS("instance-status.schema.json"),
    /** An operator's label of an alert, on the feedback topic. */
    ALERT_FEEDBACK("alert-feedback.schema.json");

    /** Base of every schema's {@code $id}; mapped to the classpath, so validation never goes online. */
    public static final String ID_PREFIX = "https://nelbo.dev/schemas/";

    private final String fileName;

    SchemaDocument(final String fileName) {
        this.fileName = fileName;
    }

    /** @return the schema's file name */
    public String fileName() {
        return fileName;
    }

    /** @return the schema's {@code $id} */
    public String id() {
        return ID_PREFIX + fileName;
    }
}
