package dev.nelbo.trainer.retrain;

import dev.nelbo.engine.EngineOptions;
import dev.nelbo.registry.ModelRegistry;
import dev.nelbo.registry.RegistryConflictException;
import dev.nelbo.schemas.bundle.BundleTrust;
import dev.nelbo.schemas.bundle.Directories;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.event.DecodeLimits;
import dev.nelbo.schemas.feedback.AlertFeedback;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.trainer.pipeline.TrainSettings;
import dev.nelbo.trainer.pipeline.TrainingPipeline;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * One retraining run: read the window, train a challenger with the champion's spec and settings
 * through the same pipeline as {@code train}, compare both on the held-back recent slice through the
 * scoring engine, and publish the challenger only when it passes the gates.
 *
 * <p>With no champion (a fresh install: the registry names no current model) it trains a first model with
 * the default settings and a spec inferred from the window, judges it by the gates that need no champion,
 * and publishes it. Publishing is compare-and-set against the champion the run started from: when the
 * registry's current model moved meanwhile (a rollback, another publish), nothing is published
 * ({@link RetrainOutcome.Decision#CURRENT_MOVED}).
 */
public final class RetrainJob {

    /** Name of the JSON report in the work directory (unless configured elsewhere). */
    public static final String REPORT_FILE = "retrain-report.json";

    private RetrainJob() {
    }

    /**
     * @param config validated settings
     * @param now    the current time (window end unless pinned)
     * @param out    progress and the decision
     * @return the decision
     * @throws IllegalArgumentException for bad data or settings (message says what to fix)
     * @throws IllegalStateException    when Kafka, training or scoring fails
     */
    public static RetrainOutcome run(final RetrainConfig config, final Instant now, final PrintWriter out) {
        final RetrainWindow window = config.resolveWindow(now);
        final Path work = workDir(config);
        final Properties client = new Properties();
        client.putAll(config.clientProperties());
        out.println("retrain: window " + window + ", work dir " + work);
        out.flush();
        final RetrainOutcome outcome;
        try (ModelRegistry registry = new ModelRegistry(config.clientProperties(), config.require(RetrainKey.TOPIC_REGISTRY))) {
            final ModelRegistry.Snapshot snapshot = registry.read();
            final ModelBundle champion = snapshot.current() == null ? null
                    : unpack(snapshot, snapshot.current(), work.resolve("champion"), config.trustedKeys());
            out.println(champion == null ? "champion: none (the registry names no current model): training a first model"
                    + " with the default settings and a feature spec inferred from the window" : "champion: " + champion.version());
            outcome = decide(config, window, work, client, registry, snapshot, champion, out);
        }
        writeReport(config.reportFile().orElse(work.resolve(REPORT_FILE)), outcome);
        out.print(outcome.text());
        out.flush();
        return outcome;
    }

    private static RetrainOutcome decide(final RetrainConfig config, final RetrainWindow window, final Path work,
                                         final Properties client, final ModelRegistry registry,
                                         final ModelRegistry.Snapshot snapshot, final ModelBundle champion,
                                         final PrintWriter out) {
        final Set<String> alerted = config.excludeAlerted() && champion != null
                ? WindowSample.alertedIds(client, config.require(RetrainKey.TOPIC_ALERTS), window, config.readTimeout(), out)
                : Set.of();
        // a first model has no alerts to label (and ids from another spec would not match)
        final Map<String, AlertFeedback.Label> labels = config.useFeedback() && champion != null
                ? FeedbackCheck.read(client, config.require(RetrainKey.TOPIC_FEEDBACK), config.readTimeout(), out) : Map.of();
        final String eventsTopic = config.require(RetrainKey.TOPIC_EVENTS);
        final WindowSample sample = WindowSample.read(client, eventsTopic, config.eventFormat(), window,
                champion == null ? null : champion.manifest().featureSpec().idPath(), alerted, labels.keySet(),
                config.trainBounds(),
                config.holdoutBounds(), champion != null && champion.manifest().featureSpec().hasHistory(),
                config.sampleSeed(), config.readTimeout(), out);
        final Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("records read", sample.read());
        counts.put("training pool", sample.trainPool());
        counts.put("left out as alerted", sample.excludedAlerted());
        counts.put("left out as too large", sample.tooLarge());
        counts.put("left out over their key's share", sample.overKeyCap());
        counts.put("training sample", (long) sample.train().size());
        counts.put("held back", sample.holdoutPool());
        counts.put("held-back sample", (long) sample.holdout().size());
        // events labelled false positive are normal: trained on, several times over so the pattern is learnt
        final List<byte[]> falsePositives = sample.labelled().stream()
                .filter(h -> labels.get(h.id()) == AlertFeedback.Label.FALSE_POSITIVE).map(WindowSample.Held::value).toList();
        counts.put("labelled false positive", (long) falsePositives.size());
        counts.put("labelled true positive (left out)", (long) (sample.labelled().size() - falsePositives.size()));
        final List<byte[]> training = new ArrayList<>(sample.train());
        for (int copy = 0; copy < config.falsePositiveCopies(); copy++) {
            training.addAll(falsePositives);
        }
        counts.put("training rows", (long) training.size());
        final String championVersion = champion == null ? null : champion.version();
        if (sample.train().size() < TrainSettings.MIN_ROWS) {
            return new RetrainOutcome(RetrainOutcome.Decision.NOTHING_NEW, "only " + sample.train().size()
                    + " training records in the window (need " + TrainSettings.MIN_ROWS + ")"
                    + (champion == null ? "; no model yet" : "; the champion stays"), window, championVersion, null, null,
                    counts, null, null, null);
        }

        final Path data = work.resolve("window.jsonl");
        final Path specFile = work.resolve("spec.json");
        final Path challengerDir = work.resolve("challenger");
        final TrainSettings settings = champion == null ? TrainSettings.defaults(data, challengerDir, training.size())
                : TrainSettings.fromProvenance(champion.manifest(), data, challengerDir, specFile, training.size());
        final Manifest trained;
        try {
            writeLines(data, training);
            if (champion != null) {
                Json.DOCUMENTS.writeValue(specFile.toFile(), champion.manifest().featureSpec());
            }
            Directories.deleteTree(challengerDir);
            out.println(champion == null ? "training a first model" : "training the challenger with the champion's spec and settings");
            out.flush();
            trained = TrainingPipeline.run(settings, "kafka:" + eventsTopic + " " + window, out);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write the training data to " + work, e);
        } finally {
            // raw event payloads do not outlive the run
            deleteQuietly(data);
        }

        final Optional<String> same = snapshot.versionWithContentHash(trained.contentHash());
        if (same.isPresent()) {
            return new RetrainOutcome(RetrainOutcome.Decision.NOTHING_NEW, "the challenger is identical (content hash "
                    + trained.contentHash().substring(0, 12) + ") to version " + same.get()
                    + " already in the registry; nothing published", window, championVersion, trained.modelVersion(), null,
                    counts, null, null, null);
        }

        config.sign(challengerDir, null);
        final ModelBundle challenger = ModelBundle.load(challengerDir, config.trustedKeys());
        out.printf("scoring %d held-back records with %s%n", sample.holdout().size(), champion == null ? "the first model"
                : "both models");
        out.flush();
        final List<WindowSample.Held> held = champion == null
                ? WindowSample.withIds(sample.holdout(), trained.featureSpec().idPath(), eventsTopic) : sample.holdout();
        final HoldoutScores scores = HoldoutScores.score(sample.train(), held, champion, challenger,
                EngineOptions.defaults().withSamples(settings.samples()));
        counts.put("held-back records unusable", (long) scores.unusable());
        final ChallengerComparison comparison = champion == null
                ? ChallengerComparison.firstModel(scores.challenger(), challenger.manifest(), config.gates())
                : ChallengerComparison.compare(scores.champion(), champion.manifest(), scores.challenger(),
                        challenger.manifest(), config.gates());
        final String replaced = champion == null ? "no model before" : "champion " + championVersion;
        final ChallengerComparison reference = config.reference().map(file -> onReference(file, champion, challenger,
                config, settings, out)).orElse(null);
        final FeedbackCheck feedback = sample.labelled().isEmpty() ? null : onLabelled(sample, labels, champion, challenger,
                config, settings, out);
        final List<String> failures = new ArrayList<>(comparison.failures());
        if (reference != null) {
            reference.failures().forEach(f -> failures.add("on the reference set: " + f));
        }
        if (feedback != null) {
            feedback.failures().forEach(f -> failures.add("on the labelled alerts: " + f));
        }
        if (!failures.isEmpty()) {
            return new RetrainOutcome(RetrainOutcome.Decision.GATES_FAILED, "challenger " + challenger.version()
                    + " failed " + failures.size() + " gate(s): " + String.join("; ", failures)
                    + "; " + (champion == null ? "nothing published" : replaced + " stays"), window, championVersion,
                    challenger.version(), null, counts, comparison, reference, feedback);
        }
        final boolean shadow = config.publishAsShadow() && champion != null;
        try {
            if (shadow) {
                registry.publishShadow(challengerDir, championVersion);
            } else {
                registry.publish(challengerDir, championVersion);
            }
        } catch (final RegistryConflictException e) {
            return new RetrainOutcome(RetrainOutcome.Decision.CURRENT_MOVED, "the registry's current model changed during"
                    + " the run (now " + (e.actual() == null ? "none" : e.actual()) + ", was " + (championVersion == null
                    ? "none" : championVersion) + "): challenger " + challenger.version() + " not published; run again to"
                    + " retrain against the new current model", window, championVersion, challenger.version(), null, counts,
                    comparison, reference, feedback);
        }
        final String as = shadow ? "shadow" : "current";
        return new RetrainOutcome(RetrainOutcome.Decision.PUBLISHED, "challenger " + challenger.version()
                + " passed the gates and was published as " + as + (shadow ? " (champion " + championVersion
                + " keeps serving until 'promote')" : " (replacing " + replaced + ")"), window, championVersion,
                challenger.version(), as, counts, comparison, reference, feedback);
    }

    /** Both models on the window's events operators labelled, each with its key's history as for the held-back slice. */
    private static FeedbackCheck onLabelled(final WindowSample sample, final Map<String, AlertFeedback.Label> labels,
                                            final ModelBundle champion, final ModelBundle challenger,
                                            final RetrainConfig config, final TrainSettings settings, final PrintWriter out) {
        out.printf("scoring %d labelled events with %s%n", sample.labelled().size(), champion == null ? "the first model"
                : "both models");
        out.flush();
        final HoldoutScores scores = HoldoutScores.score(sample.train(), sample.labelled(), champion, challenger,
                EngineOptions.defaults().withSamples(settings.samples()));
        return FeedbackCheck.judge(labels, scores, champion == null ? null : champion.manifest(), challenger.manifest(),
                config.gates());
    }

    /**
     * Both models on the fixed reference set: a file of normal events the operator keeps, read up to the held-back
     * sample's bounds (rows, and bytes; a line longer than an event may be is left out as the scorer would refuse it).
     */
    private static ChallengerComparison onReference(final Path file, final ModelBundle champion, final ModelBundle challenger,
                                                    final RetrainConfig config, final TrainSettings settings,
                                                    final PrintWriter out) {
        final BottomKSample.Bounds bounds = config.holdoutBounds();
        final List<WindowSample.Held> events = new ArrayList<>();
        long bytes = 0;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            long n = 0;
            while ((line = r.readLine()) != null && events.size() < bounds.maxRecords()) {
                n++;
                final byte[] value = line.getBytes(StandardCharsets.UTF_8);
                if (line.isBlank() || value.length > DecodeLimits.DEFAULT_MAX_BYTES) {
                    continue;
                }
                bytes += value.length;
                if (bytes > bounds.maxBytes()) {
                    break;
                }
                events.add(new WindowSample.Held(null, value, 0, n));
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read the reference set " + file + " (nelbo.retrain.reference)", e);
        }
        final List<WindowSample.Held> held = WindowSample.withIds(events, challenger.manifest().featureSpec().idPath(),
                "reference");
        out.printf("scoring %d reference events (%s) with %s%n", held.size(), file, champion == null ? "the first model"
                : "both models");
        out.flush();
        final HoldoutScores scores = HoldoutScores.score(List.of(), held, champion, challenger,
                EngineOptions.defaults().withSamples(settings.samples()));
        return champion == null
                ? ChallengerComparison.firstModel(scores.challenger(), challenger.manifest(), config.gates())
                : ChallengerComparison.compare(scores.champion(), champion.manifest(), scores.challenger(),
                        challenger.manifest(), config.gates());
    }

    private static ModelBundle unpack(final ModelRegistry.Snapshot snapshot, final String version, final Path dir,
                                      final List<PublicKey> trusted) {
        Directories.deleteTree(dir);
        // with trusted keys, a champion someone else wrote to the registry topic does not lend its settings
        snapshot.unpack(version, dir, BundleTrust.of(trusted));
        return ModelBundle.load(dir, trusted);
    }

    /** One event per line: a value spanning lines would be split, so line breaks (JSON whitespace) become spaces. */
    private static void writeLines(final Path file, final List<byte[]> events) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (final byte[] v : events) {
                w.write(new String(v, StandardCharsets.UTF_8).replace('\n', ' ').replace('\r', ' '));
                w.newLine();
            }
        }
    }

    private static Path workDir(final RetrainConfig config) {
        try {
            final Optional<Path> configured = config.workDir();
            if (configured.isPresent()) {
                return Files.createDirectories(configured.get());
            }
            return Files.createTempDirectory("nelbo-retrain-");
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create the work directory", e);
        }
    }

    private static void writeReport(final Path file, final RetrainOutcome outcome) {
        try {
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            Json.DOCUMENTS.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), outcome.toJson());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write the retrain report " + file, e);
        }
    }

    private static void deleteQuietly(final Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (final IOException e) {
            // the work directory is temporary; a leftover file is not worth failing the decision for
        }
    }
}
