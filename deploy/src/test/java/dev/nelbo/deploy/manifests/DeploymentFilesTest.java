package dev.nelbo.deploy.manifests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.nelbo.deploy.DeployFiles;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What can be checked of the container and Kubernetes files without Docker or a cluster: every file
 * parses, references between files resolve, and every setting handed to the scorer is one it accepts.
 */
class DeploymentFilesTest {

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<Path> files(final String... extensions) throws IOException {
        final Path root = DeployFiles.root();
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile)
                    .filter(p -> !root.relativize(p).startsWith("target") && !root.relativize(p).startsWith(".run")
                            && !root.relativize(p).startsWith("src"))
                    .filter(p -> Stream.of(extensions).anyMatch(e -> p.getFileName().toString().endsWith(e)))
                    .sorted().toList();
        }
    }

    private static List<JsonNode> yamlDocuments(final Path file) throws IOException {
        try (var parser = YAML.getFactory().createParser(file.toFile())) {
            final List<JsonNode> docs = new ArrayList<>();
            YAML.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
            return docs;
        }
    }

    private static JsonNode yaml(final String relative) throws IOException {
        final List<JsonNode> docs = yamlDocuments(DeployFiles.resolve(relative));
        assertEquals(1, docs.size(), relative);
        return docs.get(0);
    }

    private static Properties properties(final String text) throws IOException {
        final Properties props = new Properties();
        props.load(new StringReader(text));
        return props;
    }

    /** @return a Kubernetes container's {@code env} list, or a compose service's {@code environment} map */
    private static Map<String, String> env(final JsonNode container) {
        final Map<String, String> env = new LinkedHashMap<>();
        final JsonNode list = container.has("env") ? container.path("env") : container.path("environment");
        if (list.isArray()) {
            list.forEach(e -> env.put(e.path("name").asText(), e.has("value") ? e.path("value").asText() : ScorerSettings.FROM_SECRET));
        } else {
            list.fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        }
        return env;
    }

    @Test
    void every_yaml_and_json_file_parses() throws IOException {
        final List<Path> yamlFiles = files(".yaml", ".yml");
        final List<Path> jsonFiles = files(".json");
        assertTrue(yamlFiles.size() >= 15, "YAML files found: " + yamlFiles);
        assertTrue(jsonFiles.size() >= 2, "JSON files found: " + jsonFiles);
        for (final Path file : yamlFiles) {
            final List<JsonNode> docs = yamlDocuments(file);
            assertFalse(docs.isEmpty(), file + " is empty");
            docs.forEach(d -> assertTrue(d.isObject(), file + " is not a mapping"));
        }
        for (final Path file : jsonFiles) {
            assertTrue(JSON.readTree(file.toFile()).isObject(), file.toString());
        }
    }

    @Test
    void kubernetes_manifests_are_complete_objects_listed_in_the_kustomization() throws IOException {
        final JsonNode kustomization = yaml("k8s/base/kustomization.yaml");
        final List<String> listed = new ArrayList<>();
        kustomization.path("resources").forEach(r -> listed.add(r.asText()));
        try (Stream<Path> files = Files.list(DeployFiles.resolve("k8s/base"))) {
            final List<String> present = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).sorted().toList();
            assertEquals(present, listed.stream().sorted().toList(), "kustomization must list every manifest");
        }
        for (final String name : listed) {
            for (final JsonNode doc : yamlDocuments(DeployFiles.resolve("k8s/base/" + name))) {
                assertFalse(doc.path("apiVersion").asText().isEmpty(), name + ": apiVersion");
                assertFalse(doc.path("kind").asText().isEmpty(), name + ": kind");
                assertFalse(doc.path("metadata").path("name").asText().isEmpty(), name + ": metadata.name");
            }
        }
    }

    @Test
    void every_setting_given_to_the_scorer_is_one_it_accepts() throws IOException {
        final List<String> problems = new ArrayList<>();
        final JsonNode configMap = yaml("k8s/base/scorer-configmap.yaml");
        final Properties k8sProps = properties(configMap.path("data").path("scorer.properties").asText());
        assertTrue(k8sProps.size() >= 10, "ConfigMap scorer.properties: " + k8sProps);
        final JsonNode scorer = yaml("k8s/base/scorer-deployment.yaml").path("spec").path("template").path("spec").path("containers").get(0);
        problems.addAll(ScorerSettings.problems("k8s scorer ConfigMap + Deployment env", k8sProps, env(scorer)));
        final JsonNode bridge = yaml("k8s/base/alert-bridge-deployment.yaml").path("spec").path("template").path("spec")
                .path("containers").get(0);
        problems.addAll(ScorerSettings.problems("k8s scorer ConfigMap + alert-bridge env", k8sProps, env(bridge)));

        final Properties composeProps = properties(Files.readString(DeployFiles.resolve("compose/scorer.properties"), StandardCharsets.UTF_8));
        final JsonNode composeScorer = yaml("compose/compose.yaml").path("services").path("scorer");
        problems.addAll(ScorerSettings.problems("compose scorer.properties + scorer environment", composeProps, env(composeScorer)));
        final JsonNode composeBridge = yaml("compose/compose.yaml").path("services").path("alert-bridge");
        problems.addAll(ScorerSettings.problems("compose scorer.properties + alert-bridge environment", composeProps,
                env(composeBridge)));
        // compose.avro.yaml is layered on compose.yaml: its scorer environment adds to the base one
        final Map<String, String> avroScorer = new java.util.TreeMap<>(env(composeScorer));
        avroScorer.putAll(env(yaml("compose/compose.avro.yaml").path("services").path("scorer")));
        problems.addAll(ScorerSettings.problems("compose scorer.properties + scorer environment with compose.avro.yaml",
                composeProps, avroScorer));
        assertEquals(List.of(), problems);
    }

    @Test
    void the_avro_layers_mount_the_schema_the_generator_writes_and_the_demo_spec_reads() throws IOException {
        final JsonNode services = yaml("compose/compose.avro.yaml").path("services");
        assertTrue(services.has("schema-registry"), "the layer brings a registry");
        final String url = env(services.path("scorer")).get("NELBO_INPUT_SCHEMA_REGISTRY_URL");
        assertTrue(url.startsWith("http://schema-registry:"), url);
        for (final String reader : List.of("scorer", "first-model")) {
            final Map<String, String> e = env(services.path(reader));
            assertEquals("avro", e.get("NELBO_INPUT_FORMAT"), reader);
            assertEquals(url, e.get("NELBO_INPUT_SCHEMA_REGISTRY_URL"), reader);
        }
        final List<String> generator = new ArrayList<>();
        services.path("generator").path("command").forEach(a -> generator.add(a.asText()));
        assertEquals(url, generator.get(generator.indexOf("--schema-registry-url") + 1));
        final String schema = generator.get(generator.indexOf("--avro-schema") + 1);
        for (final String service : List.of("scorer", "first-model", "generator")) {
            final List<String> mounts = new ArrayList<>();
            services.path(service).path("volumes").forEach(v -> mounts.add(v.asText()));
            assertTrue(mounts.stream().anyMatch(m -> m.split(":")[1].equals(schema)
                    && Files.isRegularFile(DeployFiles.resolve("compose").resolve(m.split(":")[0]).normalize())), service + ": " + mounts);
        }
        // the Kubernetes Avro overlay mounts its own copy (users replace it with their events' schema): here, the same
        assertEquals(Files.readString(DeployFiles.resolve("demo/events.avsc")),
                Files.readString(DeployFiles.resolve("k8s/overlays/avro-registry/events.avsc")));
        // the demo's spec can be served from the schema (the scorer refuses a model whose paths the schema lacks)
        final dev.nelbo.schemas.spec.FeatureSpec spec = dev.nelbo.schemas.json.Json.DOCUMENTS.readValue(
                DeployFiles.resolve("demo/feature-spec.json").toFile(), dev.nelbo.schemas.spec.FeatureSpec.class);
        dev.nelbo.schemas.event.AvroEventReader.format(dev.nelbo.schemas.event.AvroEventReader.parseSchema(
                Files.readString(DeployFiles.resolve("demo/events.avsc"), StandardCharsets.UTF_8)))
                .parser(spec, dev.nelbo.schemas.event.DecodeLimits.defaults());
    }

    @Test
    void the_checker_catches_misspelt_and_foreign_settings_and_bad_values() {
        final Properties props = new Properties();
        props.setProperty("bootstrap.servers", "kafka:9092");
        props.setProperty("nelbo.topic.event", "events");
        props.setProperty("bootstrap.server", "kafka:9092");
        props.setProperty("consumer.max.poll.records", "500");
        props.setProperty("num.stream.threads", "2");
        assertEquals(List.of(
                "x: 'bootstrap.server' is neither a nelbo setting nor a Kafka client/Streams setting",
                "x: unknown nelbo setting 'nelbo.topic.event'",
                "x: environment variable NELBO_KAFKA_PORT maps to 'port' is not a Kafka client/Streams setting",
                "x: environment variable NELBO_MODEL_DIRECTORY maps to unknown nelbo setting 'nelbo.model.directory'"),
                ScorerSettings.problems("x", props, Map.of("NELBO_MODEL_DIRECTORY", "/m", "NELBO_KAFKA_PORT", "9092",
                        "NELBO_KAFKA_SASL_MECHANISM", "PLAIN", "NELBO_DEVICE", "cpu", "JAVA_TOOL_OPTIONS", "-Xmx1g")));

        final Properties valid = new Properties();
        valid.setProperty("bootstrap.servers", "kafka:9092");
        assertEquals(List.of(), ScorerSettings.problems("x", valid, Map.of("NELBO_DEVICE", "cuda:1",
                "NELBO_KAFKA_SASL_JAAS_CONFIG", ScorerSettings.FROM_SECRET)));
        valid.setProperty("nelbo.metrics.port", "70000");
        assertEquals(List.of("x: Invalid value 70000 for configuration nelbo.metrics.port: Value must be no more than 65535"),
                ScorerSettings.problems("x", valid, Map.of()));
        assertEquals(List.of("x: Invalid value gpu for configuration nelbo.device: expected cpu, cuda or cuda:N"),
                ScorerSettings.problems("x", props("bootstrap.servers", "kafka:9092"), Map.of("NELBO_DEVICE", "gpu")));
    }

    private static Properties props(final String key, final String value) {
        final Properties props = new Properties();
        props.setProperty(key, value);
        return props;
    }

    @Test
    void scorer_probes_service_and_service_monitor_agree_on_the_metrics_port() throws IOException {
        final Properties props = properties(yaml("k8s/base/scorer-configmap.yaml").path("data").path("scorer.properties").asText());
        final int metricsPort = Integer.parseInt(props.getProperty("nelbo.metrics.port"));
        final JsonNode pod = yaml("k8s/base/scorer-deployment.yaml").path("spec").path("template");
        final JsonNode container = pod.path("spec").path("containers").get(0);
        assertEquals(metricsPort, container.path("ports").get(0).path("containerPort").asInt());
        final String portName = container.path("ports").get(0).path("name").asText();
        assertEquals("/healthz", container.path("livenessProbe").path("httpGet").path("path").asText());
        assertEquals("/readyz", container.path("readinessProbe").path("httpGet").path("path").asText());
        assertEquals(portName, container.path("readinessProbe").path("httpGet").path("port").asText());
        assertEquals(portName, container.path("livenessProbe").path("httpGet").path("port").asText());
        assertEquals("/etc/nelbo/scorer.properties", container.path("args").get(2).asText());
        assertEquals("/etc/nelbo", container.path("volumeMounts").get(0).path("mountPath").asText());

        final JsonNode service = yaml("k8s/base/scorer-service.yaml");
        final JsonNode podLabels = pod.path("metadata").path("labels");
        service.path("spec").path("selector").fields().forEachRemaining(e ->
                assertEquals(e.getValue().asText(), podLabels.path(e.getKey()).asText(), "Service selects the scorer pods"));
        assertEquals(portName, service.path("spec").path("ports").get(0).path("targetPort").asText());

        final JsonNode monitor = yaml("k8s/base/scorer-servicemonitor.yaml");
        final JsonNode serviceLabels = service.path("metadata").path("labels");
        monitor.path("spec").path("selector").path("matchLabels").fields().forEachRemaining(e ->
                assertEquals(e.getValue().asText(), serviceLabels.path(e.getKey()).asText(), "ServiceMonitor selects the Service"));
        assertEquals(service.path("spec").path("ports").get(0).path("name").asText(),
                monitor.path("spec").path("endpoints").get(0).path("port").asText());
        assertEquals("nelbo-scorer", service.path("metadata").path("name").asText(), "the alert rules select job=\"nelbo-scorer\"");
    }

    @Test
    void the_alert_bridge_runs_the_alertmanager_command_probed_and_scraped_on_its_metrics_port() throws IOException {
        final JsonNode pod = yaml("k8s/base/alert-bridge-deployment.yaml").path("spec").path("template");
        final JsonNode container = pod.path("spec").path("containers").get(0);
        assertEquals("alertmanager", container.path("args").get(0).asText());
        assertEquals("/etc/nelbo/scorer.properties", container.path("args").get(2).asText());
        final String portName = container.path("ports").get(0).path("name").asText();
        assertEquals(9464, container.path("ports").get(0).path("containerPort").asInt(), "nelbo.metrics.port's default");
        assertEquals("/readyz", container.path("readinessProbe").path("httpGet").path("path").asText());
        assertEquals(portName, container.path("readinessProbe").path("httpGet").path("port").asText());
        assertEquals(portName, container.path("livenessProbe").path("httpGet").path("port").asText());
        final JsonNode monitor = yaml("k8s/base/alert-bridge-podmonitor.yaml");
        final JsonNode podLabels = pod.path("metadata").path("labels");
        monitor.path("spec").path("selector").path("matchLabels").fields().forEachRemaining(e ->
                assertEquals(e.getValue().asText(), podLabels.path(e.getKey()).asText(), "PodMonitor selects the bridge's pods"));
        assertEquals(portName, monitor.path("spec").path("podMetricsEndpoints").get(0).path("port").asText());
    }

    @Test
    void retraining_runs_the_trainer_retrain_command_with_its_mounted_config() throws IOException {
        final JsonNode cron = yaml("k8s/base/retrain-cronjob.yaml");
        assertEquals("CronJob", cron.path("kind").asText());
        assertEquals("Forbid", cron.path("spec").path("concurrencyPolicy").asText());
        final JsonNode pod = cron.path("spec").path("jobTemplate").path("spec").path("template").path("spec");
        final JsonNode container = pod.path("containers").get(0);
        assertEquals(List.of("retrain", "--config", "/etc/nelbo/retrain.properties"),
                JSON.convertValue(container.path("args"), List.class));
        final String configMapName = pod.path("volumes").get(0).path("configMap").path("name").asText();
        final JsonNode configMap = yaml("k8s/base/retrain-configmap.yaml");
        assertEquals(configMapName, configMap.path("metadata").path("name").asText());
        assertFalse(configMap.path("data").path("retrain.properties").asText().isBlank());
        assertTrue(Files.readString(DeployFiles.resolve("docker/trainer.Dockerfile"), StandardCharsets.UTF_8)
                .contains("ENTRYPOINT [\"java\", \"-jar\", \"/opt/nelbo/nelbo-trainer.jar\"]"));
    }

    @Test
    void compose_mounts_and_builds_files_that_exist() throws IOException {
        final Path composeDir = DeployFiles.resolve("compose");
        final JsonNode services = yaml("compose/compose.yaml").path("services");
        for (final String needed : List.of("kafka", "scorer", "prometheus", "grafana", "alertmanager", "alert-bridge")) {
            assertTrue(services.has(needed), "compose service " + needed);
        }
        final Path repoRoot = DeployFiles.root().getParent();
        services.fields().forEachRemaining(service -> {
            service.getValue().path("volumes").forEach(volume -> {
                final String source = volume.asText().split(":")[0];
                if (source.startsWith(".")) {
                    assertTrue(Files.exists(composeDir.resolve(source).normalize()), service.getKey() + " mounts missing " + source);
                }
            });
            final JsonNode build = service.getValue().path("build");
            if (!build.isMissingNode()) {
                final Path context = composeDir.resolve(build.path("context").asText()).normalize();
                assertEquals(repoRoot, context, "images build from the repository root");
                assertTrue(Files.exists(context.resolve(build.path("dockerfile").asText())), build.toString());
            }
        });
        final String promConfig = services.path("prometheus").path("command").get(0).asText().replace("--config.file=/etc/prometheus/", "");
        assertTrue(Files.exists(DeployFiles.resolve("prometheus/" + promConfig)), promConfig);
        final JsonNode provider = yaml("grafana/provisioning/dashboards/nelbo.yml").path("providers").get(0);
        final String dashboardsMount = services.path("grafana").path("volumes").get(1).asText().split(":")[1];
        assertEquals(provider.path("options").path("path").asText(), dashboardsMount, "Grafana reads dashboards where compose mounts them");
    }

    @Test
    void dockerfiles_copy_the_contract_jars_and_run_as_non_root() throws IOException {
        for (final String image : List.of("scorer", "trainer", "tools")) {
            final List<String> lines = Files.readAllLines(DeployFiles.resolve("docker/" + image + ".Dockerfile"), StandardCharsets.UTF_8)
                    .stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
            assertTrue(lines.get(0).startsWith("FROM "), image + ": first instruction must be FROM");
            final String copy = lines.stream().filter(l -> l.startsWith("COPY ")).findFirst().orElseThrow();
            final String jar = copy.split("\\s+")[1];
            assertTrue(jar.matches("(scorer|trainer|deploy)/target/nelbo-(scorer|trainer|tools)\\.jar"), copy);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("USER ") && !l.equals("USER root")), image + " runs as root");
            final String entrypoint = lines.stream().filter(l -> l.startsWith("ENTRYPOINT ")).findFirst().orElseThrow();
            assertNotNull(JSON.readTree(entrypoint.substring("ENTRYPOINT ".length())), entrypoint);
        }
    }
}
