package dev.nelbo.deploy.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.nelbo.deploy.DeployFiles;
import dev.nelbo.testkit.ExternalTool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Kubernetes manifests as the tests read them: the base files, and what kubectl kustomize renders. */
final class Manifests {

    static final YAMLMapper YAML = new YAMLMapper();

    private Manifests() {
    }

    /** @return every document of a YAML file */
    static List<JsonNode> documents(final Path file) throws IOException {
        try (var parser = YAML.getFactory().createParser(file.toFile())) {
            return readAll(parser);
        }
    }

    /** @return every document of a YAML text */
    static List<JsonNode> documents(final String text) throws IOException {
        try (var parser = YAML.getFactory().createParser(text)) {
            return readAll(parser);
        }
    }

    private static List<JsonNode> readAll(final com.fasterxml.jackson.core.JsonParser parser) throws IOException {
        final List<JsonNode> docs = new ArrayList<>();
        YAML.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
        return docs;
    }

    /** @return every document of the base manifests */
    static List<JsonNode> base() throws IOException {
        final List<JsonNode> docs = new ArrayList<>();
        try (Stream<Path> files = Files.list(DeployFiles.resolve("k8s/base"))) {
            for (final Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                docs.addAll(documents(f));
            }
        }
        return docs;
    }

    /** @return deploy/k8s and each overlay: the roots kubectl kustomize renders */
    static List<Path> kustomizations() throws IOException {
        final List<Path> roots = new ArrayList<>(List.of(DeployFiles.resolve("k8s")));
        try (Stream<Path> overlays = Files.list(DeployFiles.resolve("k8s/overlays"))) {
            overlays.filter(Files::isDirectory).sorted().forEach(roots::add);
        }
        return roots;
    }

    /** @return what {@code kubectl kustomize root} renders */
    static List<JsonNode> render(final Path kubectl, final Path root) throws Exception {
        final ExternalTool.Output out = ExternalTool.run(root, 60, kubectl.toString(), "kustomize", root.toString());
        assertEquals(0, out.exitCode(), root + ": " + out.text());
        return documents(out.text());
    }

    /** @return the pod template's spec of a workload, or null for other kinds */
    static JsonNode podSpec(final JsonNode doc) {
        return switch (doc.path("kind").asText()) {
            case "Deployment", "Job" -> doc.path("spec").path("template").path("spec");
            case "CronJob" -> doc.path("spec").path("jobTemplate").path("spec").path("template").path("spec");
            default -> null;
        };
    }

    /** @return the pod template's labels of a workload */
    static JsonNode podLabels(final JsonNode doc) {
        return (doc.path("kind").asText().equals("CronJob") ? doc.path("spec").path("jobTemplate").path("spec")
                : doc.path("spec")).path("template").path("metadata").path("labels");
    }
}
