package dev.nelbo.scorer.metrics;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StreamsMetricsBridgeTest {

    @Test
    void should_sum_partition_lag_of_main_consumers_and_convert_commit_latency_to_seconds() {
        final Map<MetricName, Metric> metrics = new HashMap<>();
        put(metrics, "records-lag", "consumer-fetch-manager-metrics", Map.of("client-id", "app-StreamThread-1-consumer",
                "topic", "events", "partition", "0"), 40.0);
        put(metrics, "records-lag", "consumer-fetch-manager-metrics", Map.of("client-id", "app-StreamThread-1-consumer",
                "topic", "events", "partition", "1"), 2.0);
        put(metrics, "records-lag", "consumer-fetch-manager-metrics", Map.of("client-id", "app-StreamThread-1-restore-consumer",
                "topic", "changelog", "partition", "0"), 1000.0);
        put(metrics, "records-lag-max", "consumer-fetch-manager-metrics", Map.of("client-id", "app-StreamThread-1-consumer"), 40.0);
        put(metrics, "process-rate", "stream-thread-metrics", Map.of("thread-id", "t1"), 100.0);
        put(metrics, "process-rate", "stream-thread-metrics", Map.of("thread-id", "t2"), 50.0);
        put(metrics, "commit-latency-avg", "stream-thread-metrics", Map.of("thread-id", "t1"), 12.0);
        put(metrics, "commit-latency-avg", "stream-thread-metrics", Map.of("thread-id", "t2"), Double.NaN);
        final PrometheusRegistry registry = new PrometheusRegistry();
        StreamsMetricsBridge.register(registry, () -> metrics);
        assertEquals(42.0, gauge(registry, "nelbo_kafka_consumer_lag_records"));
        assertEquals(150.0, gauge(registry, "nelbo_kafka_process_rate"));
        assertEquals(0.012, gauge(registry, "nelbo_kafka_commit_latency_seconds"), 1e-12);
    }

    @Test
    void should_read_zero_before_the_client_reports_anything() {
        final PrometheusRegistry registry = new PrometheusRegistry();
        StreamsMetricsBridge.register(registry, Map::of);
        assertEquals(0.0, gauge(registry, "nelbo_kafka_consumer_lag_records"));
        assertEquals(0.0, gauge(registry, "nelbo_kafka_commit_latency_seconds"));
    }

    private static void put(final Map<MetricName, Metric> metrics, final String name, final String group,
                            final Map<String, String> tags, final double value) {
        final MetricName n = new MetricName(name, group, "", tags);
        metrics.put(n, new Metric() {
            @Override
            public MetricName metricName() {
                return n;
            }

            @Override
            public Object metricValue() {
                return value;
            }
        });
    }

    private static double gauge(final PrometheusRegistry registry, final String name) {
        return registry.scrape().stream().filter(s -> s.getMetadata().getPrometheusName().equals(name))
                .map(s -> ((GaugeSnapshot) s).getDataPoints().get(0).getValue()).findFirst().orElseThrow();
    }
}
