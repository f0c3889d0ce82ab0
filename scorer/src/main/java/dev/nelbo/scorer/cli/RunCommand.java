package dev.nelbo.scorer.cli;

import dev.nelbo.scorer.app.ScorerService;
import dev.nelbo.scorer.config.ScorerConfig;
import org.apache.logging.log4j.LogManager;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code run}: the streaming scorer service; runs until SIGTERM/SIGINT or a fatal Streams error. */
@Command(name = "run", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Run the streaming scorer (Kafka Streams, exactly-once by default).",
                "Settings: properties file < NELBO_* environment (NELBO_MODEL_DIR -> nelbo.model.dir;"
                        + " NELBO_KAFKA_SASL_JAAS_CONFIG -> sasl.jaas.config) < --set.",
                "Kafka client and Streams settings pass through under their own names."})
public final class RunCommand implements Callable<Integer> {

    @Mixin
    private SettingsOptions options = new SettingsOptions();

    @Option(names = "--shutdown-timeout", paramLabel = "DURATION", defaultValue = "PT30S",
            description = "Longest clean shutdown on SIGTERM (ISO-8601 duration).")
    private Duration shutdownTimeout;

    @Override
    public Integer call() throws Exception {
        final ScorerConfig cfg = options.load();
        final ScorerService service = ScorerService.start(cfg);
        // log4j's own shutdown hook is disabled in log4j2.xml, so the shutdown is logged to the end
        final Thread hook = new Thread(() -> {
            service.close(shutdownTimeout);
            LogManager.shutdown();
        }, "nelbo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        final boolean failed = service.awaitStopped();
        return failed ? 1 : 0;
    }
}
