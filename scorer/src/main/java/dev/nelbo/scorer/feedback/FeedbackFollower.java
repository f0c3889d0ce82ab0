package dev.nelbo.scorer.feedback;

import dev.nelbo.schemas.feedback.AlertFeedback;
import dev.nelbo.scorer.follow.TopicFollower;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Follows the compacted feedback topic (operators' labels of alerts, keyed by event id; the latest record of an id is
 * its label, a tombstone withdraws it) and publishes the alert precision they measure after each change. Every
 * instance reads the whole topic, so each reports the same figures. At most {@code maxLabels} labels are held: a
 * label for a new event id beyond them is refused and counted (the topic is writable by any tool).
 */
public final class FeedbackFollower implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FeedbackFollower.class);

    /** Why a feedback record was not counted. */
    public enum Rejection {
        /** Not a label ({@code alert-feedback.schema.json}), or keyed by no event id. */
        INVALID,
        /** A label for a new event id while {@code nelbo.feedback.max.labels} are held. */
        OVER_LIMIT
    }

    private final TopicFollower follower;

    /**
     * @param client    Kafka connection and security settings
     * @param topic     the feedback topic
     * @param maxLabels labels held at most
     * @param published told the precision after each change (the metrics)
     * @param rejected  told of each record not counted
     */
    public FeedbackFollower(final Map<String, Object> client, final String topic, final int maxLabels,
                            final Consumer<AlertPrecision> published, final Consumer<Rejection> rejected) {
        // only the follower's thread touches the map
        final Map<String, AlertFeedback> labels = new HashMap<>();
        this.follower = new TopicFollower(client, topic, "alert-feedback", new TopicFollower.Handler() {
            private boolean warnedFull;

            @Override
            public boolean apply(final String eventId, final byte[] value) {
                if (value != null && labels.size() >= maxLabels && !labels.containsKey(eventId)) {
                    rejected.accept(Rejection.OVER_LIMIT);
                    if (!warnedFull) {
                        warnedFull = true;
                        LOG.warn("{} alert labels held (nelbo.feedback.max.labels): labels for further event ids are not"
                                + " counted (nelbo_alert_feedback_rejected_total{reason=\"over_limit\"})", maxLabels);
                    }
                    return false;
                }
                try {
                    return AlertFeedback.apply(labels, eventId, value);
                } catch (final IllegalArgumentException e) {
                    rejected.accept(Rejection.INVALID);
                    throw e;
                }
            }

            @Override
            public void changed() {
                final AlertPrecision precision = AlertPrecision.of(labels.values());
                published.accept(precision);
                LOG.info("Alert feedback: {} labelled alerts", labels.size());
            }
        });
    }

    /** Starts following. */
    public void start() {
        follower.start();
    }

    @Override
    public void close() {
        follower.close();
    }
}
