package dev.nelbo.schemas.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One input event ({@code event.schema.json}): a JSON object whose id, key, time and features are
 * found by the feature spec's dotted paths. This is the contract's type; nelbo itself reads events
 * with {@link EventReader}, without building a tree.
 *
 * @param body the event object
 */
public record EventEnvelope(ObjectNode body) {

    /** @param body the event object (copied) */
    @JsonCreator
    public EventEnvelope {
        body = body.deepCopy();
    }

    /** @return the event object */
    @JsonValue
    public ObjectNode json() {
        return body;
    }
}
