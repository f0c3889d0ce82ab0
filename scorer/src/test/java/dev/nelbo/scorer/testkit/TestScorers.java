package dev.nelbo.scorer.testkit;

import dev.nelbo.testkit.SharedBroker;
import dev.nelbo.scorer.config.ScorerConfig;
import dev.nelbo.scorer.config.Topics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Topics and settings for scorer instances against the shared broker. */
public final class TestScorers {

    private TestScorers() {
    }

    /**
     * Creates a fresh set of topics.
     *
     * @param prefix     readable prefix
     * @param partitions partitions of the events and output topics
     * @return the topic names
     */
    public static Topics freshTopics(final String prefix, final int partitions) {
        final Topics t = new Topics(SharedBroker.uniqueName(prefix + "-events"), SharedBroker.uniqueName(prefix + "-scores"),
                SharedBroker.uniqueName(prefix + "-alerts"), SharedBroker.uniqueName(prefix + "-dlq"),
                SharedBroker.uniqueName(prefix + "-models"));
        final SharedBroker broker = SharedBroker.get();
        broker.createTopics(partitions, t.events(), t.scores(), t.alerts(), t.dlq());
        broker.createCompactedTopic(t.registry());
        return t;
    }

    /**
     * Settings of one scorer instance: fast commits, short timeouts, metrics on a free port.
     *
     * @param appId    application id
     * @param topics   topics
     * @param modelDir starting bundle, or null
     * @param extra    more settings
     * @return the settings
     */
    public static Map<String, String> settings(final String appId, final Topics topics, final Path modelDir,
                                               final Map<String, String> extra) {
        final Map<String, String> s = new LinkedHashMap<>();
        s.put("bootstrap.servers", SharedBroker.get().bootstrapServers());
        s.put("application.id", appId);
        s.put("nelbo.topic.events", topics.events());
        s.put("nelbo.topic.scores", topics.scores());
        s.put("nelbo.topic.alerts", topics.alerts());
        s.put("nelbo.topic.dlq", topics.dlq());
        s.put("nelbo.topic.registry", topics.registry());
        // each test's own rules topic: rules one test adds never reach another's scorers
        s.put("nelbo.topic.rules", topics.registry() + "-rules");
        s.put("nelbo.topic.feedback", topics.registry() + "-feedback");
        s.put("nelbo.metrics.port", "0");
        s.put("commit.interval.ms", "100");
        s.put("consumer.session.timeout.ms", "6000");
        s.put("consumer.heartbeat.interval.ms", "1000");
        s.put("producer.transaction.timeout.ms", "8000");
        s.put("consumer.max.partition.fetch.bytes", Integer.toString(2 * 1024 * 1024));
        try {
            s.put("state.dir", Files.createTempDirectory("streams-state").toString());
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        if (modelDir != null) {
            s.put("nelbo.model.dir", modelDir.toString());
        }
        s.putAll(extra);
        return s;
    }

    /**
     * @param settings settings from {@link #settings}
     * @return the validated configuration
     */
    public static ScorerConfig config(final Map<String, String> settings) {
        return ScorerConfig.of(settings);
    }

    /**
     * @param registry a scorer's metrics
     * @param name     a counter's or gauge's name (without {@code _total})
     * @return the sum of its data points over every label
     * @throws java.util.NoSuchElementException when no such metric is registered
     */
    public static double metric(final PrometheusRegistry registry, final String name) {
        final MetricSnapshot snapshot = registry.scrape().stream().filter(s -> s.getMetadata().getName().equals(name))
                .findFirst().orElseThrow();
        return snapshot.getDataPoints().stream().mapToDouble(d -> d instanceof CounterSnapshot.CounterDataPointSnapshot c
                ? c.getValue() : ((GaugeSnapshot.GaugeDataPointSnapshot) d).getValue()).sum();
    }

    /**
     * @param registry a scorer's metrics
     * @param name     a counter's or gauge's name (without {@code _total})
     * @param labels   label names and values, alternating: the data point must have each
     * @return the sum of the matching data points (NaN when none match)
     */
    public static double metric(final PrometheusRegistry registry, final String name, final String... labels) {
        final MetricSnapshot snapshot = registry.scrape().stream().filter(s -> s.getMetadata().getName().equals(name))
                .findFirst().orElseThrow();
        double sum = Double.NaN;
        for (final var d : snapshot.getDataPoints()) {
            boolean match = true;
            for (int i = 0; i < labels.length; i += 2) {
                match &= labels[i + 1].equals(d.getLabels().get(labels[i]));
            }
            if (match) {
                final double v = d instanceof CounterSnapshot.CounterDataPointSnapshot c ? c.getValue()
                        : ((GaugeSnapshot.GaugeDataPointSnapshot) d).getValue();
                sum = Double.isNaN(sum) ? v : sum + v;
            }
        }
        return sum;
    }
}
