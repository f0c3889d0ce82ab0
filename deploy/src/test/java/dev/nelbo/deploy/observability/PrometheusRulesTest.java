package dev.nelbo.deploy.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nelbo.deploy.DeployFiles;
import dev.nelbo.testkit.ExternalTool;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** deploy/prometheus checked by promtool (Debian package "prometheus"); skipped where promtool is absent. */
class PrometheusRulesTest {

    private static Path promtool;
    private static Path dir;

    @BeforeAll
    static void findPromtool() {
        final Optional<Path> found = ExternalTool.find("promtool");
        assumeTrue(found.isPresent(), "promtool not found on PATH (install Debian's 'prometheus' package or set "
                + "-Dnelbo.promtool=/path/to/promtool): Prometheus config and alert rules NOT checked");
        promtool = found.get();
        dir = DeployFiles.resolve("prometheus");
    }

    private static void assertPromtool(final String... args) throws Exception {
        final String[] command = new String[args.length + 1];
        command[0] = promtool.toString();
        System.arraycopy(args, 0, command, 1, args.length);
        final ExternalTool.Output output = ExternalTool.run(dir, 60, command);
        assertEquals(0, output.exitCode(), String.join(" ", args) + " failed:\n" + output.text());
    }

    @Test
    void scrape_config_is_valid() throws Exception {
        assertPromtool("check", "config", "prometheus.yml");
        assertPromtool("check", "config", "prometheus-compose.yml");
    }

    @Test
    void alert_rules_are_valid() throws Exception {
        assertPromtool("check", "rules", "rules/nelbo-alerts.yml");
    }

    @Test
    void alert_rules_pass_their_unit_tests() throws Exception {
        assertPromtool("test", "rules", "tests/nelbo-alerts.test.yml");
    }
}
