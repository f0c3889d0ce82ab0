package dev.nelbo.contract;

/**
 * The default topic names, the one place each is written: the scorer's and the trainer's settings and the tools'
 * options take their defaults from here.
 */
public final class TopicNames {

    /** Input events. */
    public static final String EVENTS = "events";
    /** Score records. */
    public static final String SCORES = "scores";
    /** Alerts. */
    public static final String ALERTS = "alerts";
    /** Dead letters. */
    public static final String DLQ = "events-dlq";
    /** The compacted model registry. */
    public static final String REGISTRY = "nelbo-models";
    /** The compacted status board each scorer instance reports its models to. */
    public static final String STATUS = "nelbo-status";
    /** Compacted topic of alert rules, keyed by rule id; every scorer instance follows it. */
    public static final String RULES = "nelbo-alert-rules";
    /** Compacted topic of operators' labels of alerts (false or true positive), keyed by event id. */
    public static final String FEEDBACK = "nelbo-alert-feedback";

    private TopicNames() {
    }
}
