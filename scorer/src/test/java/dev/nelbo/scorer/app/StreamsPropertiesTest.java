package dev.nelbo.scorer.app;

import dev.nelbo.scorer.config.ScorerConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StreamsPropertiesTest {

    @Test
    void the_scorers_production_exception_handler_is_installed_unless_the_user_names_one() {
        assertEquals("dev.nelbo.scorer.topology.OutputExceptionHandler", ScorerService.streamsProperties(
                ScorerConfig.of(Map.of("bootstrap.servers", "b:9092"))).getProperty("production.exception.handler"));
        final String theirs = "org.apache.kafka.streams.errors.DefaultProductionExceptionHandler";
        assertEquals(theirs, ScorerService.streamsProperties(ScorerConfig.of(Map.of("bootstrap.servers", "b:9092",
                "production.exception.handler", theirs))).getProperty("production.exception.handler"));
    }
}
