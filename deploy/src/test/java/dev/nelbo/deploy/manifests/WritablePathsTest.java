package dev.nelbo.deploy.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.nelbo.deploy.DeployFiles;
import dev.nelbo.testkit.ExternalTool;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Kubernetes workloads run as shipped under {@code readOnlyRootFilesystem}: every path the JVMs write
 * (java.io.tmpdir and DJL's cache from the image's Dockerfile, Kafka Streams' state.dir and the retrain work
 * dir and report from the ConfigMaps) lies on a writable volume, java.io.tmpdir is a mount point itself (the
 * JVM does not create it, and a volume mounted above it hides the image's directory), and
 * {@code kubectl kustomize} renders the base and every overlay.
 */
class WritablePathsTest {

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Pattern IMAGE = Pattern.compile("-t (\\S+) \\.");
    private static final Pattern TMPDIR = Pattern.compile("-Djava\\.io\\.tmpdir=(\\S+?)[\"\\s]");
    private static final Pattern DJL = Pattern.compile("DJL_CACHE_DIR=(\\S+)");

    /** What an image's Dockerfile says the JVM writes. */
    private record Image(String tmpdir, String djlCache) {
    }

    private static Map<String, Image> images() throws IOException {
        final Map<String, Image> out = new HashMap<>();
        try (Stream<Path> files = Files.list(DeployFiles.resolve("docker"))) {
            for (final Path f : files.filter(p -> p.toString().endsWith(".Dockerfile")).toList()) {
                final String text = Files.readString(f, StandardCharsets.UTF_8);
                final Matcher image = IMAGE.matcher(text);
                final Matcher tmp = TMPDIR.matcher(text);
                assertTrue(image.find(), f + " names its image in the build comment");
                assertTrue(tmp.find(), f + " sets java.io.tmpdir in JAVA_TOOL_OPTIONS");
                final Matcher djl = DJL.matcher(text);
                out.put(image.group(1), new Image(tmp.group(1), djl.find() ? djl.group(1) : null));
            }
        }
        return out;
    }

    private static Properties configMapProperties(final String configMap, final String key) throws IOException {
        try (Stream<Path> files = Files.list(DeployFiles.resolve("k8s/base"))) {
            for (final Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                for (final JsonNode d : Manifests.documents(f)) {
                    if (d.path("kind").asText().equals("ConfigMap") && d.path("metadata").path("name").asText().equals(configMap)) {
                        final Properties p = new Properties();
                        p.load(new StringReader(d.path("data").path(key).asText()));
                        return p;
                    }
                }
            }
        }
        throw new AssertionError("no ConfigMap " + configMap);
    }

    /** Paths one container writes, with what they are, from its image and its ConfigMap. */
    private static Map<String, String> writtenPaths(final JsonNode container, final Map<String, Image> images) throws IOException {
        final Image image = images.get(container.path("image").asText());
        assertTrue(image != null, "no Dockerfile builds image " + container.path("image").asText());
        final Map<String, String> paths = new LinkedHashMap<>();
        paths.put(image.tmpdir(), "java.io.tmpdir");
        if (image.djlCache() != null) {
            paths.put(image.djlCache(), "DJL_CACHE_DIR");
        }
        final String args = container.path("args").toString();
        if (args.contains("\"run\"")) {
            paths.put(configMapProperties("nelbo-scorer", "scorer.properties").getProperty("state.dir"), "state.dir");
        }
        if (args.contains("\"retrain\"")) {
            final Properties p = configMapProperties("nelbo-retrain", "retrain.properties");
            paths.put(p.getProperty("nelbo.retrain.work.dir"), "nelbo.retrain.work.dir");
            paths.put(Path.of(p.getProperty("nelbo.retrain.report")).getParent().toString(), "nelbo.retrain.report's directory");
        }
        return paths;
    }

    /** @return problems of one workload's pod template */
    static List<String> problems(final String where, final JsonNode podSpec, final Map<String, Image> images) throws IOException {
        final List<String> problems = new ArrayList<>();
        final Map<String, Boolean> writableVolumes = new HashMap<>();
        podSpec.path("volumes").forEach(v -> writableVolumes.put(v.path("name").asText(), v.has("emptyDir")
                || v.has("persistentVolumeClaim") || v.has("ephemeral")));
        for (final JsonNode c : podSpec.path("containers")) {
            final String name = where + " container " + c.path("name").asText();
            if (!c.path("securityContext").path("readOnlyRootFilesystem").asBoolean(false)) {
                problems.add(name + ": securityContext.readOnlyRootFilesystem is not true");
            }
            final Map<String, Boolean> mounts = new LinkedHashMap<>();
            c.path("volumeMounts").forEach(m -> mounts.put(m.path("mountPath").asText(),
                    !m.path("readOnly").asBoolean(false) && writableVolumes.getOrDefault(m.path("name").asText(), false)));
            for (final Map.Entry<String, String> p : writtenPaths(c, images).entrySet()) {
                final Optional<String> mount = mounts.keySet().stream()
                        .filter(m -> p.getKey().equals(m) || p.getKey().startsWith(m.endsWith("/") ? m : m + "/"))
                        .max((a, b) -> Integer.compare(a.length(), b.length()));
                if (mount.isEmpty() || !mounts.get(mount.get())) {
                    problems.add(name + ": " + p.getValue() + " " + p.getKey() + " is not on a writable volume");
                } else if (p.getValue().equals("java.io.tmpdir") && !mount.get().equals(p.getKey())) {
                    problems.add(name + ": java.io.tmpdir " + p.getKey() + " is not a mount point: the volume at "
                            + mount.get() + " hides the image's directory and the JVM does not create it");
                }
            }
        }
        return problems;
    }

    @Test
    void every_path_the_jvms_write_is_a_writable_volume_under_a_read_only_root() throws IOException {
        final Map<String, Image> images = images();
        final List<String> problems = new ArrayList<>();
        int workloads = 0;
        for (final JsonNode d : Manifests.base()) {
            final JsonNode pod = Manifests.podSpec(d);
            if (pod != null) {
                workloads++;
                problems.addAll(problems(d.path("kind").asText() + " " + d.path("metadata").path("name").asText(), pod, images));
            }
        }
        assertEquals(4, workloads, "scorer and alert-bridge Deployments, retrain CronJob, first-model Job");
        assertEquals(List.of(), problems);
    }

    @Test
    void the_check_catches_a_volume_that_hides_the_tmpdir_and_a_writable_root() throws IOException {
        // the Deployment as first shipped: one emptyDir at /var/lib/nelbo over the image's /var/lib/nelbo/tmp
        final JsonNode pod = YAML.readTree("""
                containers:
                  - name: scorer
                    image: nelbo/scorer:0.1.0
                    args: ["run", "--config", "/etc/nelbo/scorer.properties"]
                    securityContext: {readOnlyRootFilesystem: false}
                    volumeMounts:
                      - {name: work, mountPath: /var/lib/nelbo}
                volumes:
                  - {name: work, emptyDir: {}}
                """);
        final List<String> problems = problems("old", pod, images());
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("readOnlyRootFilesystem"), problems.toString());
        assertTrue(problems.get(1).contains("java.io.tmpdir /var/lib/nelbo/tmp is not a mount point"), problems.toString());
    }

    private static JsonNode configMap(final List<JsonNode> rendered, final String name) {
        return rendered.stream().filter(d -> d.path("kind").asText().equals("ConfigMap")
                && d.path("metadata").path("name").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no ConfigMap " + name + " rendered"));
    }

    /** A container's variables: its env list (values from Secrets marked) and the ConfigMaps its envFrom names. */
    private static Map<String, String> environment(final JsonNode container, final List<JsonNode> rendered) {
        final Map<String, String> env = new LinkedHashMap<>();
        container.path("env").forEach(e -> env.put(e.path("name").asText(),
                e.has("value") ? e.path("value").asText() : ScorerSettings.FROM_SECRET));
        container.path("envFrom").forEach(f -> {
            if (f.has("configMapRef")) {
                configMap(rendered, f.path("configMapRef").path("name").asText()).path("data").fields()
                        .forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
            }
        });
        return env;
    }

    @Test
    void kubectl_kustomize_renders_the_base_and_every_overlay() throws Exception {
        final Optional<Path> kubectl = ExternalTool.find("kubectl");
        assumeTrue(kubectl.isPresent(), "kubectl not on PATH (Debian package kubectl or kubernetes-client; .ci/run installs"
                + " it): the kustomizations are NOT rendered");
        final List<Path> roots = Manifests.kustomizations();
        assertTrue(roots.size() >= 2, "at least one overlay: " + roots);
        for (final Path root : roots) {
            final List<JsonNode> rendered = Manifests.render(kubectl.get(), root);
            for (final String kind : List.of("Deployment", "CronJob", "Job", "ConfigMap", "Service")) {
                assertTrue(rendered.stream().anyMatch(d -> d.path("kind").asText().equals(kind)), root + " renders a " + kind);
            }
            final Map<String, Image> images = images();
            for (final JsonNode d : rendered) {
                if (d.path("kind").asText().equals("Deployment")) {
                    assertEquals(List.of(), problems(root + " Deployment", d.path("spec").path("template").path("spec"), images));
                    // what the overlay adds as variables is still a setting the scorer accepts
                    final JsonNode scorer = d.path("spec").path("template").path("spec").path("containers").get(0);
                    final Properties props = new Properties();
                    props.load(new StringReader(configMap(rendered, "nelbo-scorer").path("data").path("scorer.properties").asText()));
                    assertEquals(List.of(), ScorerSettings.problems(root + " Deployment", props, environment(scorer, rendered)));
                }
            }
        }
    }
}
