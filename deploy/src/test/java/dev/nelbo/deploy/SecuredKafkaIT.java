package dev.nelbo.deploy;

import dev.nelbo.testkit.ExternalTool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nelbo.deploy.kafka.DocumentedAcls;
import dev.nelbo.deploy.kafka.SecuredBroker;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nelbo on a secured cluster, from nothing: a real broker with SASL_SSL (SCRAM-SHA-512, a keytool-made
 * certificate) and the StandardAuthorizer; the ACLs granted are read from the documentation's table and nothing
 * else; the scorer, {@code retrain}, the registry commands and the tools run as the packaged jars, each with its
 * own principal and one client settings file. Also: a principal without ACLs gets a clear error, and the scorer's
 * registry follower, cut off from the registry by an ACL change, reports itself down and recovers on its own.
 * Integration-test phase (the packaged jars).
 */
class SecuredKafkaIT {

    private static final int EVENTS = 3000;
    private static final Pattern FOLLOWER_UP = Pattern.compile("(?m)^nelbo_registry_follower_up (\\S+)$");

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    @Test
    void scorer_retrain_and_tools_run_with_exactly_the_documented_acls_over_sasl_scram_and_tls() throws Exception {
        final Path repo = DeployFiles.root().getParent();
        for (final String jar : List.of("trainer/target/nelbo-trainer.jar", "scorer/target/nelbo-scorer.jar", "deploy/target/nelbo-tools.jar")) {
            assumeTrue(Files.isRegularFile(repo.resolve(jar)), jar + " not built (mvn verify builds it): secured Kafka NOT tested");
        }
        final List<DocumentedAcls.Row> acls = DocumentedAcls.read(DeployFiles.resolve("README.md"));
        assertEquals(acls, DocumentedAcls.read(repo.resolve("docs/scorer.md")), "deploy/README.md and docs/scorer.md list the same ACLs");

        try (SecuredBroker broker = SecuredBroker.start(dir.resolve("broker"), List.of("admin", "scorer", "trainer", "operator", "intruder"));
             Admin admin = broker.admin()) {
            final Path adminConfig = broker.clientConfig("admin", Map.of());
            final ExternalTool.Output topics = tools(repo, "topics", "--client-config", adminConfig.toString(), "--partitions", "2");
            assertEquals(0, topics.exitCode(), topics.text());
            admin.createAcls(acls.stream().flatMap(r -> r.bindings().stream()).toList()).all().get(30, TimeUnit.SECONDS);

            // the operator's events: three days of daily cycles, up to an hour ago
            final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            final Path operator = broker.clientConfig("operator", Map.of());
            final ExternalTool.Output generated = tools(repo, "generate", "--topic", "events", "--client-config", operator.toString(),
                    "--count", Integer.toString(EVENTS), "--clock", "simulated", "--start", now.minus(Duration.ofHours(73)).toString(),
                    "--span", "P3D", "--anomaly-rate", "0");
            assertEquals(0, generated.exitCode(), generated.text());

            // a principal without ACLs: every component says what it may not do
            final Path intruder = broker.clientConfig("intruder", Map.of());
            final ExternalTool.Output denied = trainer(repo, "models", "--config", intruder.toString());
            assertEquals(1, denied.exitCode(), denied.text());
            assertTrue(denied.text().contains("nelbo-models") && denied.text().toLowerCase().contains("not authorized"), denied.text());
            final ExternalTool.Output deniedScorer = ExternalTool.run(dir, 120, java(), "-Djava.io.tmpdir=" + dir, "-jar",
                    repo.resolve("scorer/target/nelbo-scorer.jar").toString(), "run", "--config",
                    broker.clientConfig("intruder", scorerSettings(freePort())).toString());
            assertNotEquals(0, deniedScorer.exitCode(), deniedScorer.text());
            assertTrue(deniedScorer.text().contains("nelbo-models") && deniedScorer.text().toLowerCase().contains("authoriz"),
                    deniedScorer.text());

            // a fresh install: the scorer waits, not ready, for a first model
            final int metricsPort = freePort();
            final Path scorerConfig = broker.clientConfig("scorer", scorerSettings(metricsPort));
            final Path scorerLog = dir.resolve("scorer.log");
            final Process scorer = start(new ProcessBuilder(java(), "-Xmx512m", "-Djava.io.tmpdir=" + dir, "-jar",
                    repo.resolve("scorer/target/nelbo-scorer.jar").toString(), "run", "--config", scorerConfig.toString())
                    .redirectErrorStream(true).redirectOutput(scorerLog.toFile()));
            // (while it starts, /readyz says "starting"; then why it is not ready)
            final HttpResponse<String> waiting = await(metricsPort, "/readyz", r -> r.statusCode() == 503
                    && !r.body().contains("(starting)"), scorerLog);
            assertTrue(waiting.body().contains("waiting_for_model"), waiting.body());
            assertTrue(get(metricsPort, "/metrics").body().contains("nelbo_not_ready{reason=\"waiting_for_model\"} 1"));

            // retrain with no champion trains and publishes the first model, as the trainer principal
            // the events follow a daily cycle: the held-back slice is a whole day of the 4-day window, as it should be
            final Path trainerConfig = broker.clientConfig("trainer", Map.of("nelbo.retrain.window", "4d",
                    "nelbo.retrain.holdout.fraction", "0.25",
                    "nelbo.retrain.window.end", now.toString(), "nelbo.retrain.work.dir", dir.resolve("retrain").toString()));
            final ExternalTool.Output retrain = trainer(repo, "retrain", "--config", trainerConfig.toString());
            assertEquals(0, retrain.exitCode(), retrain.text());
            assertTrue(retrain.text().contains("champion: none"), retrain.text());
            await(metricsPort, "/readyz", r -> r.statusCode() == 200, scorerLog);
            assertEquals(EVENTS, countRecords(broker, "scores", EVENTS), "every event is scored");

            // the operator labels an alert; the scorer follows the feedback topic with its own ACL
            final ExternalTool.Output labelled = ExternalTool.run(dir, 120, java(), "-Djava.io.tmpdir=" + dir, "-jar",
                    repo.resolve("scorer/target/nelbo-scorer.jar").toString(), "feedback", "add", "evt-1", "--label",
                    "false_positive", "--no-lookup", "--config", operator.toString());
            assertEquals(0, labelled.exitCode(), labelled.text());
            await(metricsPort, "/metrics", r -> r.body().lines().anyMatch(l -> l.startsWith("nelbo_alert_feedback{")
                    && l.contains("label=\"false_positive\"") && l.contains("model_version=\"unknown\"") && l.endsWith(" 1.0")),
                    scorerLog);

            // the registry commands see the instance that serves it
            final ExternalTool.Output models = trainer(repo, "models", "--config", trainerConfig.toString());
            assertEquals(0, models.exitCode(), models.text());
            assertTrue(models.text().contains("  current") && models.text().contains("1 live scorer instance(s)"), models.text());

            // cut the scorer off from the registry: its follower fails, reports itself down, and comes back on its own
            final List<AclBinding> registryRead = DocumentedAcls.of(acls, "scorer").stream()
                    .filter(b -> b.pattern().resourceType() == ResourceType.TOPIC && b.pattern().name().equals("nelbo-models")
                            && b.entry().operation() == AclOperation.READ).toList();
            assertEquals(1, registryRead.size());
            admin.deleteAcls(registryRead.stream().map(AclBinding::toFilter).toList()).all().get(30, TimeUnit.SECONDS);
            awaitMetric(metricsPort, "0.0", scorerLog);
            assertEquals(200, get(metricsPort, "/readyz").statusCode(), "the model in use keeps serving meanwhile");
            admin.createAcls(registryRead).all().get(30, TimeUnit.SECONDS);
            awaitMetric(metricsPort, "1.0", scorerLog);

            scorer.destroy();
            assertTrue(scorer.waitFor(60, TimeUnit.SECONDS), "the scorer stops on SIGTERM");
            assertFalse(Files.readString(scorerLog).contains("Exception in thread"), Files.readString(scorerLog));
        } finally {
            for (final Process p : processes) {
                p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static Map<String, String> scorerSettings(final int metricsPort) {
        final Map<String, String> m = new TreeMap<>();
        m.put("nelbo.metrics.port", Integer.toString(metricsPort));
        m.put("commit.interval.ms", "200");
        return m;
    }

    private Process start(final ProcessBuilder builder) throws IOException {
        final Process p = builder.directory(dir.toFile()).start();
        processes.add(p);
        return p;
    }

    private ExternalTool.Output tools(final Path repo, final String... args) throws Exception {
        return jar(repo.resolve("deploy/target/nelbo-tools.jar"), args);
    }

    private ExternalTool.Output trainer(final Path repo, final String... args) throws Exception {
        return jar(repo.resolve("trainer/target/nelbo-trainer.jar"), args);
    }

    private ExternalTool.Output jar(final Path jar, final String... args) throws Exception {
        final List<String> command = new ArrayList<>(List.of(java(), "-Djava.io.tmpdir=" + dir, "-jar", jar.toString()));
        command.addAll(List.of(args));
        return ExternalTool.run(dir, 300, command.toArray(String[]::new));
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static HttpResponse<String> get(final int port, final String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> await(final int port, final String path, final Predicate<HttpResponse<String>> done,
                                              final Path log) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                final HttpResponse<String> r = get(port, path);
                if (done.test(r)) {
                    return r;
                }
            } catch (final IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("GET " + path + " never answered as expected; scorer log:\n" + Files.readString(log));
    }

    private static void awaitMetric(final int port, final String value, final Path log) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            final var m = FOLLOWER_UP.matcher(get(port, "/metrics").body());
            last = m.find() ? m.group(1) : "absent";
            if (last.equals(value)) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("nelbo_registry_follower_up stayed " + last + ", expected " + value + "; scorer log:\n"
                + Files.readString(log));
    }

    /** Reads a topic from the start as the admin until {@code expected} records arrived (or 120 s passed). */
    private static int countRecords(final SecuredBroker broker, final String topic, final int expected) {
        final Map<String, Object> props = new TreeMap<>(broker.clientSettings("admin"));
        props.put("isolation.level", "read_committed");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            int n = 0;
            final long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (n < expected && System.nanoTime() < deadline) {
                for (final ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    n++;
                }
            }
            return n;
        }
    }
}
