package dev.nelbo.scorer.cli;

import dev.nelbo.scorer.alertmanager.AlertmanagerBridge;
import dev.nelbo.scorer.config.ScorerConfig;
import dev.nelbo.scorer.config.ScorerKey;
import dev.nelbo.scorer.metrics.MetricsServer;
import dev.nelbo.scorer.metrics.Readiness;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.logging.log4j.LogManager;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code alertmanager}: sends the alerts topic to Prometheus Alertmanager until SIGTERM/SIGINT. */
@Command(name = "alertmanager", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Send nelbo's alerts to Prometheus Alertmanager (API v2), each once.",
                "The bridge's consumer group commits an alert's offset once Alertmanager holds it; an alert sent again"
                        + " after a restart has the same labels, so Alertmanager does not notify twice.",
                "Settings as for run (one file serves both): nelbo.alertmanager.url and the other nelbo.alertmanager.*"
                        + " keys, nelbo.topic.alerts, Kafka connection and security settings.",
                "/metrics, /healthz and /readyz on nelbo.metrics.port."})
public final class AlertmanagerCommand implements Callable<Integer> {

    @Mixin
    private SettingsOptions options = new SettingsOptions();

    @Override
    public Integer call() throws Exception {
        final ScorerConfig cfg = options.load();
        final PrometheusRegistry registry = new PrometheusRegistry();
        JvmMetrics.builder().register(registry);
        final AlertmanagerBridge bridge = new AlertmanagerBridge(cfg.alertmanagerSettings(), cfg.clientProperties(),
                cfg.require(ScorerKey.TOPIC_ALERTS), registry);
        final CountDownLatch stopped = new CountDownLatch(1);
        try (MetricsServer metrics = MetricsServer.start(cfg.require(ScorerKey.METRICS_BIND_ADDRESS),
                cfg.intValue(ScorerKey.METRICS_PORT), registry, () -> true, () -> !bridge.joined()
                        ? Readiness.notReady("kafka_not_joined", "not in consumer group yet (are the brokers reachable?)")
                        : bridge.up() ? Readiness.READY
                        : Readiness.notReady("alertmanager_unreachable", "no Alertmanager accepts alerts; retrying"))) {
            // log4j's own shutdown hook is disabled in log4j2.xml, so the shutdown is logged to the end
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                bridge.close();
                try {
                    stopped.await();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                LogManager.shutdown();
            }, "nelbo-shutdown"));
            bridge.run();
        } finally {
            stopped.countDown();
        }
        return 0;
    }
}
