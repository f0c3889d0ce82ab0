package dev.nelbo.trainer.cli;

import dev.nelbo.engine.ScoringModel;
import dev.nelbo.registry.BundleArchive;
import dev.nelbo.registry.FleetStatus;
import dev.nelbo.registry.InstanceStatus;
import dev.nelbo.registry.ModelRegistry;
import dev.nelbo.schemas.bundle.BundleException;
import dev.nelbo.schemas.bundle.BundleTrust;
import dev.nelbo.schemas.bundle.Directories;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.ModelBundle;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the registry commands check before they point the fleet at a version, and how they learn what the
 * fleet did with it. Before: the checks every scorer instance applies (signature against the trusted keys,
 * calibration, and input compatibility with the model each live instance serves, not only the registry's
 * current one). After: the instances' reports on the status topic, until each live instance serves the version
 * or reports it refused it, or the wait ends.
 */
final class FleetCheck {

    private static final long POLL_MS = 1_000;

    private final Map<String, Object> client;
    private final String statusTopic;
    private final String registryTopic;

    /**
     * @param client        Kafka client settings
     * @param statusTopic   the scorers' status topic
     * @param registryTopic the registry whose followers count
     */
    FleetCheck(final Map<String, Object> client, final String statusTopic, final String registryTopic) {
        this.client = client;
        this.statusTopic = statusTopic;
        this.registryTopic = registryTopic;
    }

    /** @return the reports of the live instances following the registry (none when the status topic does not exist yet) */
    List<InstanceStatus> live() {
        return FleetStatus.live(FleetStatus.read(client, statusTopic), registryTopic, System.currentTimeMillis());
    }

    /**
     * Why the live fleet would refuse a bundle.
     *
     * @param bundle   the candidate's directory
     * @param trusted  trusted signing keys (empty: not checked)
     * @param snapshot the registry (the bundles the fleet serves)
     * @param fleet    live instances
     * @return problems, empty when every instance would take it
     */
    static List<String> problems(final Path bundle, final List<PublicKey> trusted, final ModelRegistry.Snapshot snapshot,
                                 final List<InstanceStatus> fleet) {
        final ModelBundle candidate;
        try {
            candidate = ModelBundle.load(bundle, trusted);
        } catch (final BundleException e) {
            return List.of(e.getMessage());
        }
        final List<String> problems = new ArrayList<>(ScoringModel.servingProblems(candidate.manifest()));
        // what each live instance serves is what it checks a new version against; with none live, the registry's
        // current version stands for what the next instance to start will serve
        final Map<String, Integer> served = new LinkedHashMap<>();
        for (final InstanceStatus s : fleet) {
            if (s.serving() != null) {
                served.merge(s.serving(), 1, Integer::sum);
            }
        }
        if (served.isEmpty() && snapshot.current() != null) {
            served.put(snapshot.current(), 0);
        }
        for (final Map.Entry<String, Integer> e : served.entrySet()) {
            final byte[] archive = snapshot.bundles().get(e.getKey());
            if (e.getKey().equals(candidate.version()) || archive == null) {
                continue;
            }
            final Manifest serving = BundleArchive.manifest(archive);
            for (final String p : candidate.manifest().featureSpec().incompatibilitiesWith(serving.featureSpec())) {
                problems.add("input of " + e.getKey() + " (" + (e.getValue() == 0 ? "the registry's current model"
                        : "served by " + e.getValue() + " live instance(s)") + "): " + p);
            }
        }
        return problems;
    }

    /**
     * @param snapshot the registry
     * @param version  a stored version
     * @param trusted  trusted signing keys
     * @param fleet    live instances
     * @return why the live fleet would refuse it
     */
    static List<String> problems(final ModelRegistry.Snapshot snapshot, final String version, final List<PublicKey> trusted,
                                 final List<InstanceStatus> fleet) {
        final Path dir;
        try {
            dir = unpacked(snapshot, version, trusted);
        } catch (final BundleException | IllegalArgumentException e) {
            return List.of(e.getMessage());
        }
        try {
            return problems(dir, trusted, snapshot, fleet);
        } finally {
            Directories.deleteTree(dir);
        }
    }

    /**
     * @param snapshot the registry
     * @param version  a stored version
     * @param trusted  trusted signing keys
     * @return a new temporary directory holding it (the caller deletes it)
     * @throws IllegalArgumentException when the registry does not hold it or it does not unpack
     * @throws BundleException          when its signature is not accepted
     */
    static Path unpacked(final ModelRegistry.Snapshot snapshot, final String version, final List<PublicKey> trusted) {
        final Path dir;
        try {
            dir = Files.createTempDirectory("nelbo-check-");
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot unpack version " + version + ": " + e.getMessage(), e);
        }
        try {
            snapshot.unpack(version, dir, BundleTrust.of(trusted));
            return dir;
        } catch (final RuntimeException e) {
            Directories.deleteTree(dir);
            throw e;
        }
    }

    /**
     * Waits for the live instances to serve {@code version} or refuse it, and prints each one's answer.
     *
     * @param version the version the registry now points at
     * @param wait    longest wait (zero: report at once)
     * @param out     where the answers go
     * @return whether every live instance serves it (true when none is live)
     */
    boolean await(final String version, final Duration wait, final PrintWriter out) {
        final long deadline = System.nanoTime() + wait.toNanos();
        List<InstanceStatus> fleet = live();
        while (pending(fleet, version) > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(POLL_MS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            fleet = live();
        }
        if (fleet.isEmpty()) {
            out.println("no scorer instance following " + registryTopic + " reported to " + statusTopic + " in the last " + FleetStatus.LIVE_WITHIN.toSeconds()
                    + " s: nothing to confirm");
            return true;
        }
        int serving = 0;
        final Set<String> lines = new LinkedHashSet<>();
        for (final InstanceStatus s : fleet) {
            if (version.equals(s.serving())) {
                serving++;
                lines.add("  " + s.key() + ": serving " + version);
            } else if (s.refusal(version).isPresent()) {
                lines.add("  " + s.key() + ": REFUSED " + version + ": " + s.refusal(version).get()
                        + " (serving " + (s.serving() == null ? "nothing" : s.serving()) + ")");
            } else {
                lines.add("  " + s.key() + ": did not confirm within " + wait.toSeconds() + " s (serving "
                        + (s.serving() == null ? "nothing" : s.serving()) + (s.following() ? "" : ", its registry follower is restarting")
                        + ")");
            }
        }
        out.println(serving + " of " + fleet.size() + " live scorer instance(s) serve " + version + ":");
        lines.forEach(out::println);
        return serving == fleet.size();
    }

    private static int pending(final List<InstanceStatus> fleet, final String version) {
        return (int) fleet.stream().filter(s -> !version.equals(s.serving()) && s.refusal(version).isEmpty()).count();
    }
}
