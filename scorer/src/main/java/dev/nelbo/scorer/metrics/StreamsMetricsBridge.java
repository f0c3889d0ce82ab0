package dev.nelbo.scorer.metrics;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

import java.util.Map;
import java.util.function.Supplier;

/**
 * Exposes the Kafka Streams client metrics operators watch (consumer lag, process rate, commit
 * latency) under Prometheus names, read from the live client on every scrape.
 */
public final class StreamsMetricsBridge {

    private StreamsMetricsBridge() {
    }

    /**
     * Registers the bridged gauges.
     *
     * @param registry registry to register with
     * @param metrics  the current client's metrics ({@code KafkaStreams::metrics}); may return an empty map
     */
    public static void register(final PrometheusRegistry registry,
                                final Supplier<Map<MetricName, ? extends Metric>> metrics) {
        GaugeWithCallback.builder().name("nelbo_kafka_consumer_lag_records")
                .help("Input records not yet consumed, summed over assigned partitions")
                .callback(cb -> cb.call(consumerLag(metrics.get())))
                .register(registry);
        GaugeWithCallback.builder().name("nelbo_kafka_process_rate")
                .help("Records processed per second (Kafka Streams process-rate, summed over threads)")
                .callback(cb -> cb.call(sum(metrics.get(), "stream-thread-metrics", "process-rate")))
                .register(registry);
        GaugeWithCallback.builder().name("nelbo_kafka_commit_latency_seconds").unit(Unit.SECONDS)
                .help("Average commit latency (Kafka Streams commit-latency-avg, worst thread)")
                .callback(cb -> cb.call(max(metrics.get(), "stream-thread-metrics", "commit-latency-avg") / 1000.0))
                .register(registry);
    }

    /**
     * Sums per-partition {@code records-lag} of the main consumers (restore/global consumers excluded);
     * falls back to {@code records-lag-max} when the client exposes no per-partition figure yet.
     */
    static double consumerLag(final Map<MetricName, ? extends Metric> metrics) {
        double perPartition = 0;
        boolean any = false;
        double maxLag = 0;
        for (final Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
            final MetricName name = e.getKey();
            final String clientId = name.tags().getOrDefault("client-id", "");
            if (!"consumer-fetch-manager-metrics".equals(name.group()) || clientId.contains("restore")
                    || clientId.contains("global")) {
                continue;
            }
            final double v = value(e.getValue());
            if ("records-lag".equals(name.name()) && name.tags().containsKey("partition")) {
                perPartition += v;
                any = true;
            } else if ("records-lag-max".equals(name.name()) && !name.tags().containsKey("partition")) {
                maxLag = Math.max(maxLag, v);
            }
        }
        return any ? perPartition : maxLag;
    }

    private static double sum(final Map<MetricName, ? extends Metric> metrics, final String group, final String metric) {
        double total = 0;
        for (final Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
            if (group.equals(e.getKey().group()) && metric.equals(e.getKey().name())) {
                total += value(e.getValue());
            }
        }
        return total;
    }

    private static double max(final Map<MetricName, ? extends Metric> metrics, final String group, final String metric) {
        double max = 0;
        for (final Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
            if (group.equals(e.getKey().group()) && metric.equals(e.getKey().name())) {
                max = Math.max(max, value(e.getValue()));
            }
        }
        return max;
    }

    /** Kafka reports "no value yet" as NaN; Prometheus gauges should read 0 then. */
    private static double value(final Metric metric) {
        final Object v = metric.metricValue();
        if (v instanceof Number n && Double.isFinite(n.doubleValue())) {
            return n.doubleValue();
        }
        return 0;
    }
}
