package dev.nelbo.deploy.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.testkit.ExternalTool;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The shipped workloads pass Kubernetes' "restricted" Pod Security level and keep to what they need: no
 * service-account token, bounded scratch volumes, a NetworkPolicy over every pod, the scorer's and the trainer's own
 * Kafka credentials; and compose publishes its ports on the host's loopback only. Checked on the base files and on
 * what {@code kubectl kustomize} renders for the base and every overlay.
 */
class HardeningTest {

    /** @return what a pod spec lacks of the restricted level and of this project's own rules */
    static List<String> problems(final String where, final JsonNode pod) {
        final List<String> problems = new ArrayList<>();
        if (pod.path("automountServiceAccountToken").asBoolean(true)) {
            problems.add(where + ": automountServiceAccountToken is not false");
        }
        final JsonNode podSecurity = pod.path("securityContext");
        if (!podSecurity.path("runAsNonRoot").asBoolean(false)) {
            problems.add(where + ": securityContext.runAsNonRoot is not true");
        }
        final boolean podSeccomp = List.of("RuntimeDefault", "Localhost")
                .contains(podSecurity.path("seccompProfile").path("type").asText());
        for (final JsonNode v : pod.path("volumes")) {
            if (v.has("hostPath")) {
                problems.add(where + ": volume " + v.path("name").asText() + " is a hostPath");
            }
            if (v.has("emptyDir") && !v.path("emptyDir").has("sizeLimit")) {
                problems.add(where + ": emptyDir " + v.path("name").asText() + " has no sizeLimit");
            }
        }
        for (final JsonNode c : pod.path("containers")) {
            final String name = where + " container " + c.path("name").asText();
            final JsonNode sc = c.path("securityContext");
            if (sc.path("allowPrivilegeEscalation").asBoolean(true)) {
                problems.add(name + ": allowPrivilegeEscalation is not false");
            }
            final List<String> dropped = new ArrayList<>();
            sc.path("capabilities").path("drop").forEach(d -> dropped.add(d.asText()));
            if (!dropped.contains("ALL")) {
                problems.add(name + ": capabilities do not drop ALL");
            }
            if (sc.path("capabilities").path("add").size() > 0) {
                problems.add(name + ": adds capabilities");
            }
            if (!podSeccomp && !List.of("RuntimeDefault", "Localhost").contains(sc.path("seccompProfile").path("type").asText())) {
                problems.add(name + ": no seccompProfile RuntimeDefault or Localhost");
            }
        }
        return problems;
    }

    /** @return problems of one rendered or base set of manifests */
    private static List<String> problems(final String where, final List<JsonNode> docs) {
        final List<String> problems = new ArrayList<>();
        final List<JsonNode> policies = docs.stream().filter(d -> d.path("kind").asText().equals("NetworkPolicy")).toList();
        final Map<String, Set<String>> credentials = Map.of("scorer", new HashSet<>(), "trainer", new HashSet<>());
        int workloads = 0;
        for (final JsonNode d : docs) {
            final JsonNode pod = Manifests.podSpec(d);
            if (pod == null) {
                continue;
            }
            workloads++;
            final String name = where + " " + d.path("kind").asText() + " " + d.path("metadata").path("name").asText();
            problems.addAll(problems(name, pod));
            final JsonNode labels = Manifests.podLabels(d);
            if (policies.stream().noneMatch(p -> selects(p.path("spec").path("podSelector"), labels))) {
                problems.add(name + ": no NetworkPolicy selects its pods " + labels);
            }
            for (final JsonNode c : pod.path("containers")) {
                final String role = c.path("image").asText().contains("scorer") ? "scorer" : "trainer";
                c.path("envFrom").forEach(e -> {
                    if (e.has("secretRef")) {
                        credentials.get(role).add(e.path("secretRef").path("name").asText());
                    }
                });
            }
        }
        if (workloads != 4) {
            problems.add(where + ": " + workloads + " workloads, expected the scorer, the alert bridge, the retrain CronJob and the first-model Job");
        }
        final Set<String> shared = new HashSet<>(credentials.get("scorer"));
        shared.retainAll(credentials.get("trainer"));
        if (!shared.isEmpty()) {
            problems.add(where + ": the scorer and the trainer share the Secret(s) " + shared
                    + " (the trainer's principal may write the registry; the scorer's must not)");
        }
        return problems;
    }

    /** A label selector's matchLabels and In expressions against a pod's labels. */
    static boolean selects(final JsonNode selector, final JsonNode labels) {
        final boolean[] ok = {true};
        selector.path("matchLabels").fields().forEachRemaining(e ->
                ok[0] &= e.getValue().asText().equals(labels.path(e.getKey()).asText(null)));
        selector.path("matchExpressions").forEach(x -> {
            final List<String> values = new ArrayList<>();
            x.path("values").forEach(v -> values.add(v.asText()));
            final String value = labels.path(x.path("key").asText()).asText(null);
            ok[0] &= switch (x.path("operator").asText()) {
                case "In" -> values.contains(value);
                case "NotIn" -> !values.contains(value);
                case "Exists" -> value != null;
                case "DoesNotExist" -> value == null;
                default -> false;
            };
        });
        return ok[0];
    }

    @Test
    void the_base_workloads_are_restricted_and_isolated() throws Exception {
        assertEquals(List.of(), problems("base", Manifests.base()));
    }

    @Test
    void every_kustomization_renders_restricted_and_isolated_workloads() throws Exception {
        final Optional<Path> kubectl = ExternalTool.find("kubectl");
        assumeTrue(kubectl.isPresent(), "kubectl not on PATH (.ci/run installs it): the rendered manifests are NOT checked");
        for (final Path root : Manifests.kustomizations()) {
            assertEquals(List.of(), problems(root.toString(), Manifests.render(kubectl.get(), root)));
        }
    }

    @Test
    void the_check_catches_what_the_restricted_level_refuses() throws Exception {
        final JsonNode pod = Manifests.YAML.readTree("""
                securityContext: {runAsNonRoot: true}
                containers:
                  - name: scorer
                    image: nelbo/scorer:0.1.0
                    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [NET_RAW], add: [NET_ADMIN]}}
                volumes:
                  - {name: tmp, emptyDir: {}}
                  - {name: host, hostPath: {path: /}}
                """);
        final List<String> problems = problems("old", pod);
        assertEquals(6, problems.size(), problems.toString());
        for (final String expected : List.of("automountServiceAccountToken", "hostPath", "sizeLimit", "drop ALL",
                "adds capabilities", "seccompProfile")) {
            assertTrue(problems.stream().anyMatch(p -> p.contains(expected)), expected + " in " + problems);
        }
        assertTrue(selects(Manifests.YAML.readTree("matchExpressions: [{key: app, operator: In, values: [a, b]}]"),
                Manifests.YAML.readTree("{app: b}")));
        assertTrue(!selects(Manifests.YAML.readTree("matchLabels: {app: a}"), Manifests.YAML.readTree("{app: b}")));
    }

    /** The secured overlay serves only bundles signed by its key for its own audience, which its trainer signs for. */
    @Test
    void the_secured_overlay_binds_bundles_to_its_keys_and_audience() throws Exception {
        final JsonNode k = Manifests.documents(dev.nelbo.deploy.DeployFiles.resolve("k8s/overlays/secured/kustomization.yaml"))
                .get(0);
        final Map<String, Map<String, String>> literals = new java.util.HashMap<>();
        k.path("configMapGenerator").forEach(g -> {
            final Map<String, String> m = new java.util.HashMap<>();
            g.path("literals").forEach(l -> m.put(l.asText().split("=", 2)[0], l.asText().split("=", 2)[1]));
            literals.put(g.path("name").asText(), m);
        });
        final Map<String, String> scorer = literals.get("nelbo-scorer-security");
        final Map<String, String> trainer = literals.get("nelbo-trainer-security");
        assertTrue(scorer.containsKey("NELBO_BUNDLE_TRUSTED_KEYS"), scorer.toString());
        assertTrue(scorer.containsKey("NELBO_BUNDLE_AUDIENCE"), "a staging bundle signed with the same key would serve");
        assertEquals(scorer.get("NELBO_BUNDLE_AUDIENCE"), trainer.get("NELBO_BUNDLE_SIGNING_AUDIENCE"));
        assertTrue(trainer.containsKey("NELBO_BUNDLE_SIGNING_KEY") && !scorer.containsKey("NELBO_BUNDLE_SIGNING_KEY"));
    }

    @Test
    void compose_publishes_its_ports_on_the_hosts_loopback_only() throws Exception {
        final JsonNode services = Manifests.documents(dev.nelbo.deploy.DeployFiles.resolve("compose/compose.yaml")).get(0)
                .path("services");
        final List<String> published = new ArrayList<>();
        services.fields().forEachRemaining(s -> s.getValue().path("ports").forEach(p -> published.add(s.getKey() + " " + p.asText())));
        assertTrue(published.size() >= 3, published.toString());
        for (final String p : published) {
            assertTrue(p.split(" ")[1].startsWith("127.0.0.1:"), p + " is published on every host interface");
        }
    }
}
