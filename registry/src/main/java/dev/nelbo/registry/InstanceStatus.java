package dev.nelbo.registry;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * What one scorer instance reports about its models ({@code instance-status.schema.json}), keyed
 * {@code <application.id>/<instance>} on the compacted status topic. Written when anything in it changes and
 * at least every {@link FleetStatus#HEARTBEAT}, by the registry follower's thread, so a report that stops
 * coming means that instance stopped following the registry.
 *
 * @param applicationId   the scorer application (its Kafka Streams {@code application.id})
 * @param instance        this instance (pod name, or host name and process id)
 * @param registry        the registry topic it follows (one status topic can serve several registries)
 * @param serving         the version it scores with, or null (waiting for a first model)
 * @param shadow          the shadow version it scores with too, or null
 * @param registryCurrent the registry's {@code current} as this instance last read it, or null
 * @param following       whether its registry follower is reading (false while it restarts after a failure)
 * @param refused         versions it refused and will try again later, with the reason
 * @param updatedMs       when this report was made (epoch milliseconds)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InstanceStatus(String applicationId, String instance, String registry, String serving, String shadow,
                             String registryCurrent, boolean following, List<Refusal> refused, long updatedMs) {

    /** Copies the list. */
    public InstanceStatus {
        refused = refused == null ? List.of() : List.copyOf(refused);
    }

    /**
     * @param version the refused version
     * @param reason  why (the first line of the scorer's log message)
     */
    public record Refusal(String version, String reason) {
    }

    /**
     * @param other another report
     * @return whether both say the same, whenever they were made
     */
    public boolean sameAs(final InstanceStatus other) {
        return other != null && equals(new InstanceStatus(other.applicationId, other.instance, other.registry, other.serving, other.shadow,
                other.registryCurrent, other.following, other.refused, updatedMs));
    }

    /** @return the record key */
    public String key() {
        return applicationId + "/" + instance;
    }

    /**
     * @param version a version
     * @return why this instance refused it, if it did
     */
    public java.util.Optional<String> refusal(final String version) {
        return refused.stream().filter(r -> r.version().equals(version)).map(Refusal::reason).findFirst();
    }
}
