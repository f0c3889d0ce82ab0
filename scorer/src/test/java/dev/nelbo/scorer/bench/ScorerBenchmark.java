package dev.nelbo.scorer.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.nelbo.schemas.bundle.Activation;
import dev.nelbo.schemas.bundle.BundleWriter;
import dev.nelbo.schemas.bundle.Manifest;
import dev.nelbo.schemas.bundle.MlpHead;
import dev.nelbo.schemas.bundle.MlpWeights;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.event.DecodeLimits;
import dev.nelbo.schemas.event.EventFields;
import dev.nelbo.schemas.event.EventReader;
import dev.nelbo.schemas.history.HistoryTracker;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.HistoryDef;
import dev.nelbo.schemas.spec.HistoryStat;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;
import dev.nelbo.schemas.spec.MissingPolicy;
import dev.nelbo.schemas.spec.Transform;
import dev.nelbo.schemas.testing.TestBundles;
import dev.nelbo.scorer.app.ScorerService;
import dev.nelbo.scorer.config.ScorerConfig;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * Scorer throughput against what a user would write without nelbo, on a standalone broker process. Not a
 * test: {@code scorer/bench.sh} starts a broker with {@code deploy/kafka.sh} and runs this class.
 *
 * <p>The baseline is a plain Kafka Streams app that parses the same JSON events (20 numeric fields) with
 * Jackson's streaming parser into a {@code double[20]} and writes a small JSON result per event with Jackson's
 * generator, under the same processing guarantee and commit interval. The scorer is the real service with a model of
 * the trainer's default shape (hidden 64, 64, latent 8) over those 20 features. With {@code --scorer-jar} (what
 * {@code scorer/bench.sh} passes) each runs as users run it, in a JVM of its own with default JVM options: the shipped
 * jar as {@code java -jar nelbo-scorer.jar run --config FILE} and the baseline as {@link PlainStreamsApp}; without it
 * (or with {@code --in-jvm true}) both run in this JVM, which shares their CPU and heap. Throughput is input records
 * over the time from the app's first committed offset to its last; CPU is the app's process CPU over the same
 * interval (start-up excluded; the broker is another process), per record. Rounds alternate baseline and scorer so
 * the two see the same machine.
 *
 * <p>Arguments: {@code --bootstrap HOST:PORT} (required), {@code --scorer-jar PATH}, {@code --in-jvm true},
 * {@code --scorer-java-opts "..."} (the scorer process's JVM options, e.g. JFR), {@code --guarantees
 * exactly_once_v2,at_least_once} (both), {@code --events N} (1000000), {@code --partitions P}
 * (4), {@code --rounds R} (3), {@code --threads 1,2} (stream thread counts), {@code --latency-rate N} (0: no
 * latency part), {@code --latency-seconds S} (10), {@code --profile scorer|baseline|history} (that app alone, for a
 * profiler; history needs {@code --history true}), {@code --scorer-set k=v,k=v} (extra scorer settings), {@code --entity true} (each round also runs the scorer with the model calibrated on its own scores and an
 * entity test, and reports its ratio to the scorer without), {@code --history true} (each round also runs the
 * scorer with a model conditioned on five history features, and reports its ratio to the scorer without) and {@code --broker-pid PID} (to report the
 * broker's CPU per record too).
 */
public final class ScorerBenchmark {

    private static final int FEATURES = 20;

    private final String bootstrap;
    private final Admin admin;
    private final Path work;
    /** The broker's /proc/PID/stat, to report its CPU per record too (null when not given). */
    private Path brokerStat;
    /** Extra settings for the scorer, from {@code --scorer-set k=v,k=v}. */
    private final Map<String, String> scorerExtra = new LinkedHashMap<>();
    /**
     * The shipped scorer jar, run as {@code java -jar JAR run --config FILE} in a process of its own beside the baseline
     * in another ({@link PlainStreamsApp}); null: both in this JVM.
     */
    private Path scorerJar;
    /** JVM options for the scorer's process only, from {@code --scorer-java-opts "..."} (a profiler, say). */
    private final List<String> scorerJavaOpts = new ArrayList<>();

    private ScorerBenchmark(final String bootstrap) throws IOException {
        this.bootstrap = bootstrap;
        this.admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
        this.work = Files.createTempDirectory("nelbo-bench");
    }

    /**
     * @param args see the class comment
     * @throws Exception on failure
     */
    public static void main(final String[] args) throws Exception {
        final Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        final String bootstrap = a.get("bootstrap");
        if (bootstrap == null) {
            throw new IllegalArgumentException("--bootstrap HOST:PORT is required (scorer/bench.sh starts a broker)");
        }
        final int events = Integer.parseInt(a.getOrDefault("events", "1000000"));
        final int partitions = Integer.parseInt(a.getOrDefault("partitions", "4"));
        final int rounds = Integer.parseInt(a.getOrDefault("rounds", "3"));
        final List<Integer> threads = new ArrayList<>(List.of(a.getOrDefault("threads", "1").split(",")).stream()
                .map(Integer::parseInt).toList());
        final List<String> guarantees = List.of(a.getOrDefault("guarantees", StreamsConfig.EXACTLY_ONCE_V2 + ","
                + StreamsConfig.AT_LEAST_ONCE).split(","));
        final int latencyRate = Integer.parseInt(a.getOrDefault("latency-rate", "0"));
        final int latencySeconds = Integer.parseInt(a.getOrDefault("latency-seconds", "10"));
        final String profile = a.get("profile");
        final ScorerBenchmark b = new ScorerBenchmark(bootstrap);
        if (a.containsKey("broker-pid")) {
            b.brokerStat = Path.of("/proc", a.get("broker-pid"), "stat");
        }
        if (a.containsKey("scorer-jar") && !Boolean.parseBoolean(a.getOrDefault("in-jvm", "false"))) {
            b.scorerJar = Path.of(a.get("scorer-jar"));
        }
        for (final String opt : a.getOrDefault("scorer-java-opts", "").split(" ")) {
            if (!opt.isBlank()) {
                b.scorerJavaOpts.add(opt);
            }
        }
        for (final String kv : a.getOrDefault("scorer-set", "").split(",")) {
            if (kv.contains("=")) {
                b.scorerExtra.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
            }
        }
        System.out.printf(Locale.ROOT, "nelbo scorer benchmark: %,d events of %d numeric fields, %d partitions, %d cores, broker %s;"
                        + " %s%n", events, FEATURES, partitions, Runtime.getRuntime().availableProcessors(), bootstrap,
                b.scorerJar == null ? "scorer and baseline in this JVM" : "the scorer jar (" + b.scorerJar
                        + ") and the baseline each in a JVM of its own; CPU is each process's, start-up excluded");
        final Path model = b.writeModel(false, false);
        // the scorer with other models, each reported against the plain one
        final List<Variant> variants = new ArrayList<>();
        if (Boolean.parseBoolean(a.getOrDefault("history", "false"))) {
            variants.add(new Variant("history", "5 history features", b.writeModel(true, false), 0.8, new LinkedHashMap<>()));
        }
        if (Boolean.parseBoolean(a.getOrDefault("entity", "false"))) {
            variants.add(new Variant("entity", "the entity and silence tests", b.writeModel(false, true), 0.9, new LinkedHashMap<>()));
        }
        final Path historyModel = variants.stream().filter(v -> v.name().equals("history")).map(Variant::model).findFirst()
                .orElse(null);
        final String input = b.topic("bench-events", partitions);
        b.fill(input, events);
        // a fresh broker is markedly slower for its first run, and the first transactional app pays for the
        // transaction coordinator's start-up: one unreported run of each first
        b.throughput("warm-up", input, partitions, StreamsConfig.EXACTLY_ONCE_V2, 1, false, model);
        b.throughput("warm-up", input, partitions, StreamsConfig.EXACTLY_ONCE_V2, 1, true, model);
        final List<String> summary = new ArrayList<>();

        if (profile != null) {
            // for a profiler attached to this JVM: one app alone, at_least_once, once per round
            for (int r = 0; r < rounds; r++) {
                b.throughput("profile", input, partitions, StreamsConfig.AT_LEAST_ONCE, threads.get(0), !profile.equals("baseline"),
                        profile.equals("history") ? historyModel : model);
            }
            threads.clear();
        }
        for (final int t : threads) {
            for (final String guarantee : guarantees) {
                final List<Double> ratios = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    final Run base = b.throughput("baseline", input, partitions, guarantee, t, false, model);
                    final Run scorer = b.throughput("scorer", input, partitions, guarantee, t, true, model);
                    ratios.add(scorer.perSecond() / base.perSecond());
                    summary.add(String.format(Locale.ROOT, "%-16s threads=%d round %d: baseline %,8.0f rec/s %6.1f us CPU/rec"
                                    + " | scorer %,8.0f rec/s %6.1f us CPU/rec | ratio %.2f (target >= 0.85)", guarantee, t, r + 1,
                            base.perSecond(), base.cpuMicros(), scorer.perSecond(), scorer.cpuMicros(),
                            scorer.perSecond() / base.perSecond()));
                    for (final Variant v : variants) {
                        final Run run = b.throughput(v.name(), input, partitions, guarantee, t, true, v.model());
                        v.ratios().computeIfAbsent(guarantee + " threads=" + t, g -> new ArrayList<>())
                                .add(run.perSecond() / scorer.perSecond());
                        summary.add(String.format(Locale.ROOT, "%-16s threads=%d round %d: scorer with %s %,8.0f rec/s"
                                        + " %6.1f us CPU/rec | ratio to the scorer without %.2f (target >= %.2f)", guarantee, t,
                                r + 1, v.described(), run.perSecond(), run.cpuMicros(), run.perSecond() / scorer.perSecond(),
                                v.target()));
                    }
                }
                ratios.sort(null);
                final int n = ratios.size();
                summary.add(String.format(Locale.ROOT, "%-16s threads=%d median ratio %.2f over %d rounds (min %.2f, max %.2f)",
                        guarantee, t, median(ratios), n, ratios.get(0), ratios.get(n - 1)));
            }
        }
        for (final Variant v : variants) {
            v.ratios().forEach((run, list) -> summary.add(String.format(Locale.ROOT,
                    "%-26s %s/no-%s median ratio %.2f over %d rounds (min %.2f)", run, v.name(), v.name(), median(list),
                    list.size(), java.util.Collections.min(list))));
        }
        if (latencyRate > 0) {
            for (final String guarantee : List.of(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE)) {
                summary.add(b.latency(guarantee, latencyRate, latencySeconds, partitions, model));
            }
        }
        System.out.println();
        summary.forEach(System.out::println);
        b.admin.close();
        System.exit(0);
    }

    /**
     * The scorer with another model, run after the plain scorer in each round.
     *
     * @param name      its label
     * @param described what it adds, for the summary
     * @param model     its bundle
     * @param target    the ratio to the plain scorer it should keep
     * @param ratios    its ratio per guarantee and thread count, per round
     */
    private record Variant(String name, String described, Path model, double target, Map<String, List<Double>> ratios) {
    }

    private static double median(final List<Double> values) {
        final List<Double> v = new ArrayList<>(values);
        v.sort(null);
        final int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    /** One measured run. */
    private record Run(double perSecond, double cpuMicros) {
    }

    private Run throughput(final String label, final String input, final int partitions, final String guarantee,
                           final int threads, final boolean scorer, final Path model) throws Exception {
        final String out = topic("bench-out", partitions);
        final String appId = "bench-" + label + "-" + UUID.randomUUID().toString().substring(0, 8);
        final long end = endOffsets(input);
        final long cpuStart;
        final long wallStart;
        final long committedStart;
        final Child child = scorerJar == null ? null : scorer ? launchScorer(appId, input, out, partitions, guarantee, threads,
                model) : launchBaseline(appId, input, out, guarantee, threads);
        try (AutoCloseable app = child != null ? child : scorer ? startScorer(appId, input, out, partitions, guarantee,
                threads, model) : startBaseline(appId, input, out, guarantee, threads)) {
            long c;
            while ((c = committed(appId, input)) == 0) {
                if (child != null && !child.process().isAlive()) {
                    throw new IllegalStateException(label + " exited: see " + child.log());
                }
                Thread.sleep(5);
            }
            cpuStart = child != null ? child.cpuNanos() : processCpuNanos();
            final long brokerStart = brokerCpuNanos();
            final Map<String, Long> threadsStart = child != null ? Map.of() : threadCpuNanos();
            wallStart = System.nanoTime();
            committedStart = c;
            while (committed(appId, input) < end) {
                Thread.sleep(20);
            }
            final double seconds = (System.nanoTime() - wallStart) / 1e9;
            final long records = end - committedStart;
            final long cpu = (child != null ? child.cpuNanos() : processCpuNanos()) - cpuStart;
            final Run run = new Run(records / seconds, cpu / 1e3 / records);
            final long broker = brokerCpuNanos() - brokerStart;
            System.out.printf(Locale.ROOT, "%-8s %-8s %-16s threads=%d %,9.0f rec/s, %6.1f us CPU per record (%s)%s%n", label,
                    scorer ? "scorer" : "baseline", guarantee, threads, run.perSecond(), run.cpuMicros(),
                    child != null ? "its own process" : breakdown(threadsStart, threadCpuNanos(), cpu, records),
                    brokerStat == null ? "" : String.format(Locale.ROOT, "; broker %.1f us", broker / 1e3 / records));
            return run;
        }
    }

    /**
     * An app in a process of its own, stopped with SIGTERM (as a user stops it) when closed.
     *
     * @param process the process
     * @param log     its output
     */
    private record Child(Process process, Path log) implements AutoCloseable {
        /** @return the process's CPU time so far (user and system, all its threads) */
        long cpuNanos() {
            return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElseThrow(
                    () -> new IllegalStateException("no CPU time for process " + process.pid()));
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    private Child launch(final String appId, final List<String> command) throws IOException {
        final Path log = work.resolve(appId + ".log");
        final List<String> full = new ArrayList<>();
        full.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        full.add("-Djava.io.tmpdir=" + Files.createDirectories(work.resolve("tmp")));
        full.addAll(command);
        final ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("NELBO_"));
        return new Child(pb.start(), log);
    }

    /** The shipped jar with the settings of {@link #startScorer}, as a user runs it. */
    private Child launchScorer(final String appId, final String input, final String out, final int partitions,
                               final String guarantee, final int threads, final Path model) throws IOException {
        final Properties p = new Properties();
        p.putAll(scorerSettings(appId, input, out, partitions, guarantee, threads, model));
        final Path config = work.resolve(appId + ".properties");
        try (java.io.Writer w = Files.newBufferedWriter(config)) {
            p.store(w, "benchmark scorer");
        }
        final List<String> command = new ArrayList<>(scorerJavaOpts);
        command.addAll(List.of("-jar", scorerJar.toString(), "run", "--config", config.toString()));
        return launch(appId, command);
    }

    private Child launchBaseline(final String appId, final String input, final String out, final String guarantee,
                                 final int threads) throws IOException {
        return launch(appId, List.of("-cp", System.getProperty("java.class.path"), PlainStreamsApp.class.getName(), bootstrap,
                input, out, appId, guarantee, Integer.toString(threads), Files.createTempDirectory(work, "state").toString()));
    }

    private AutoCloseable startScorer(final String appId, final String input, final String out, final int partitions,
                                      final String guarantee, final int threads, final Path model) throws IOException {
        final ScorerService service = ScorerService.start(ScorerConfig.of(scorerSettings(appId, input, out, partitions,
                guarantee, threads, model)), new PrometheusRegistry(), false);
        return service::close;
    }

    private Map<String, String> scorerSettings(final String appId, final String input, final String out, final int partitions,
                                               final String guarantee, final int threads, final Path model) throws IOException {
        final Map<String, String> s = new LinkedHashMap<>();
        s.put("bootstrap.servers", bootstrap);
        s.put("application.id", appId);
        s.put("processing.guarantee", guarantee);
        s.put("commit.interval.ms", "100");
        s.put("num.stream.threads", Integer.toString(threads));
        s.put("state.dir", Files.createTempDirectory(work, "state").toString());
        s.put("nelbo.model.dir", model.toString());
        s.put("nelbo.metrics.port", "0");
        s.put("nelbo.topic.events", input);
        s.put("nelbo.topic.scores", out);
        s.put("nelbo.topic.alerts", topic("bench-alerts", partitions));
        s.put("nelbo.topic.dlq", topic("bench-dlq", partitions));
        s.put("nelbo.topic.registry", "bench-models-" + appId);
        s.putAll(scorerExtra);
        return s;
    }

    private AutoCloseable startBaseline(final String appId, final String input, final String out, final String guarantee,
                                        final int threads) throws IOException {
        final KafkaStreams streams = new KafkaStreams(baseline(input, out), PlainStreamsApp.properties(bootstrap, appId, guarantee,
                threads, Files.createTempDirectory(work, "state").toString()));
        streams.start();
        return () -> streams.close(Duration.ofSeconds(30));
    }

    /**
     * What a user would write without nelbo: parse the event with Jackson's streaming parser into a double array
     * (field name to index), and write a small JSON result with Jackson's generator.
     */
    static Topology baseline(final String input, final String output) {
        final Topology t = new Topology();
        t.addSource("in", new ByteArrayDeserializer(), new ByteArrayDeserializer(), input);
        t.addProcessor("parse", () -> new Processor<byte[], byte[], byte[], byte[]>() {
            private final JsonFactory json = new JsonFactory();
            private final Map<String, Integer> index = new HashMap<>();
            private final double[] x = new double[FEATURES];
            private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
            private ProcessorContext<byte[], byte[]> context;

            @Override
            public void init(final ProcessorContext<byte[], byte[]> ctx) {
                context = ctx;
                for (int f = 0; f < FEATURES; f++) {
                    index.put("f" + f, f);
                }
            }

            @Override
            public void process(final Record<byte[], byte[]> r) {
                try {
                    String id = null;
                    try (JsonParser p = json.createParser(r.value())) {
                        if (p.nextToken() != JsonToken.START_OBJECT) {
                            return;
                        }
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            final String name = p.currentName();
                            final JsonToken v = p.nextToken();
                            final Integer f = index.get(name);
                            if (f != null && v.isNumeric()) {
                                x[f] = p.getDoubleValue();
                            } else if ("event_id".equals(name)) {
                                id = p.getText();
                            } else {
                                p.skipChildren();
                            }
                        }
                    }
                    double sum = 0;
                    for (final double v : x) {
                        sum += v * v;
                    }
                    buffer.reset();
                    try (JsonGenerator g = json.createGenerator(buffer)) {
                        g.writeStartObject();
                        g.writeStringField("event_id", id);
                        g.writeNumberField("score", sum);
                        g.writeBooleanField("anomaly", sum > 60);
                        g.writeEndObject();
                    }
                    context.forward(r.withValue(buffer.toByteArray()));
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }, "in");
        t.addSink("out", output, new ByteArraySerializer(), new ByteArraySerializer(), "parse");
        return t;
    }

    private String latency(final String guarantee, final int rate, final int seconds, final int partitions, final Path model)
            throws Exception {
        final String input = topic("bench-lat-events", partitions);
        final String out = topic("bench-lat-scores", partitions);
        final String appId = "bench-lat-" + UUID.randomUUID().toString().substring(0, 8);
        final List<Long> latencies = new ArrayList<>();
        final AtomicBoolean producing = new AtomicBoolean(true);
        try (AutoCloseable app = startScorer(appId, input, out, partitions, guarantee, 1, model)) {
            Thread.sleep(3000);
            final long warmUpEnd = System.currentTimeMillis() + 2000;
            final Thread consumer = new Thread(() -> consume(out, producing, warmUpEnd, latencies));
            consumer.start();
            try (KafkaProducer<byte[], byte[]> p = producer(5)) {
                final Random rnd = new Random(9);
                final long start = System.nanoTime();
                final int burst = Math.max(1, rate / 200);
                for (int i = 0; i < rate * seconds; i++) {
                    p.send(new ProducerRecord<>(input, ("k" + (i % 1000)).getBytes(StandardCharsets.UTF_8),
                            event(rnd, i, System.currentTimeMillis())));
                    if (i % burst == burst - 1) {
                        final long wait = start + (long) ((i + 1) * 1e9 / rate) - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                    }
                }
                p.flush();
            }
            Thread.sleep(1500);
            producing.set(false);
            consumer.join();
        }
        final long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        return String.format(Locale.ROOT, "latency %-16s scorer at %,d ev/s: p50 %d ms, p99 %d ms, max %d ms over %,d events",
                guarantee, rate, pct(sorted, 0.5), pct(sorted, 0.99), sorted.length == 0 ? -1 : sorted[sorted.length - 1],
                sorted.length);
    }

    private void consume(final String topic, final AtomicBoolean producing, final long warmUpEnd, final List<Long> latencies) {
        final Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-latency-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final EventReader reader = EventReader.forSpec(new FeatureSpec("event_id", null, "event_time", null,
                List.of(new FeatureDef("score", "score", FeatureType.CONTINUOUS, Transform.NONE, MissingPolicy.IMPUTE))),
                DecodeLimits.defaults());
        final EventFields fields = reader.newFields();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            while (producing.get()) {
                for (final ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
                    final long now = System.currentTimeMillis();
                    reader.read(r.value(), fields);
                    final Long sent = fields.timeMillis();
                    if (sent != null && sent >= warmUpEnd) {
                        latencies.add(now - sent);
                    }
                }
            }
        }
    }

    /**
     * A model of the trainer's default shape (hidden 64, 64, latent 8) over the 20 features, random weights; with
     * {@code history}, conditioned on five history features of the key (weighted mean and spread of f0, previous
     * f1, seconds since the previous event, number of past events).
     */
    private Path writeModel(final boolean history, final boolean entity) {
        final List<FeatureDef> defs = new ArrayList<>();
        for (int f = 0; f < FEATURES; f++) {
            defs.add(new FeatureDef("f" + f, "f" + f, FeatureType.CONTINUOUS, Transform.NONE, MissingPolicy.REJECT));
        }
        if (history) {
            defs.add(historyFeature("f0_recent", new HistoryDef("f0", HistoryStat.EWM_MEAN, 20)));
            defs.add(historyFeature("f0_spread", new HistoryDef("f0", HistoryStat.EWM_STD, 20)));
            defs.add(historyFeature("f1_previous", new HistoryDef("f1", HistoryStat.PREVIOUS, null)));
            defs.add(historyFeature("since_previous", new HistoryDef(null, HistoryStat.SINCE_PREVIOUS, null)));
            defs.add(historyFeature("key_events", new HistoryDef(null, HistoryStat.EVENTS, null)));
        }
        final FeatureSpec spec = new FeatureSpec("event_id", "key", "ts", null, defs);
        final EventReader reader = EventReader.forSpec(spec, DecodeLimits.defaults());
        final FeatureEncoder.Fitter fitter = new FeatureEncoder.Fitter(spec);
        final HistoryTracker tracker = HistoryTracker.forTraining(spec, null);
        final Random rnd = new Random(1);
        for (int i = 0; i < 20_000; i++) {
            final EventFields fields = reader.newFields();
            reader.read(event(rnd, i, i * 10L), fields);
            fitter.accept(fields.withHistory(tracker, fields.timeOrMin()));
            if (tracker != null) {
                tracker.commit();
            }
        }
        final FeatureEncoder encoder = fitter.finish().encoder();
        final int d = encoder.width();
        final int c = d - encoder.reconstructedWidth();
        final int h = 64;
        final int k = 8;
        final Random w = new Random(7);
        final MlpWeights enc = new MlpWeights("x", d, List.of(TestBundles.randomLayer(w, d, h, 1 / Math.sqrt(d)),
                TestBundles.randomLayer(w, h, h, 1 / Math.sqrt(h))), Activation.ELU,
                List.of(MlpHead.dense("mu", TestBundles.randomLayer(w, h, k, 1 / Math.sqrt(h))),
                        MlpHead.dense("logvar", TestBundles.randomLayer(w, h, k, 0.3 / Math.sqrt(h)))));
        final MlpWeights dec = new MlpWeights("z", k + c, List.of(TestBundles.randomLayer(w, k + c, h, 1 / Math.sqrt(k + c)),
                TestBundles.randomLayer(w, h, h, 1 / Math.sqrt(h))), Activation.ELU,
                List.of(MlpHead.dense("mean", TestBundles.randomLayer(w, h, d - c, 1 / Math.sqrt(h))),
                        MlpHead.constant("logvar", new float[d - c])));
        final Path dir = work.resolve(history ? "history-model" : "model");
        final Manifest draft = TestBundles.draft(encoder, k, List.of(h, h), 1e6, Activation.ELU);
        BundleWriter.write(dir, draft, enc, dec, Map.of());
        if (!entity) {
            return dir;
        }
        final Path entityDir = work.resolve("entity-model");
        BundleWriter.write(entityDir, draft.withCalibration(ownCalibration(dir)), enc, dec, Map.of());
        return entityDir;
    }

    /**
     * A calibration of a model on its own scores of fresh events (so tail probabilities are uniform on the benchmark's
     * events, as on a trained model's normal traffic, and about one event in eight carries evidence) with an entity test
     * and a silence test at the trainer's default rates (the factor the demo's training data gives).
     */
    private static Manifest.Calibration ownCalibration(final Path plain) {
        final dev.nelbo.schemas.bundle.ModelBundle bundle = dev.nelbo.schemas.bundle.ModelBundle.load(plain);
        final int n = 4096;
        final double[] scores = new double[n];
        try (dev.nelbo.engine.ScoringEngine engine = dev.nelbo.engine.ScoringEngine.open(bundle,
                dev.nelbo.engine.EngineOptions.defaults().withMaxBatch(256))) {
            final dev.nelbo.schemas.event.EventDecoder decoder = new dev.nelbo.schemas.event.EventDecoder(bundle.encoder(),
                    DecodeLimits.defaults(), Long.MAX_VALUE);
            final dev.nelbo.schemas.event.DecodedEvent decoded = decoder.newEvent();
            final dev.nelbo.engine.ScoringBatch batch = engine.newBatch();
            final dev.nelbo.engine.ScoringResults results = engine.newResults();
            final Random rnd = new Random(11);
            for (int done = 0; done < n; done += batch.capacity()) {
                batch.clear();
                for (int i = done; i < Math.min(n, done + batch.capacity()); i++) {
                    decoder.decode(event(rnd, i, i * 10L), batch.x(), batch.mask(), batch.nextRow(), decoded);
                    batch.commitRow("c-" + i);
                }
                engine.score(batch, results);
                for (int i = 0; i < batch.size(); i++) {
                    scores[done + i] = results.nelbo(i);
                }
            }
        }
        java.util.Arrays.sort(scores);
        final List<Manifest.Quantile> quantiles = new ArrayList<>();
        for (final double q : new double[] {0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999}) {
            quantiles.add(new Manifest.Quantile(q, scores[(int) Math.min(n - 1, Math.floor(q * n))]));
        }
        final double drift = dev.nelbo.engine.entity.EntityEvidence.DEFAULT_DRIFT;
        return new Manifest.Calibration("nelbo", quantiles.get(quantiles.size() - 1).value(), 0.001, "empirical", n,
                quantiles, null).withEntity(new Manifest.EntityCalibration(Manifest.EntityCalibration.CUSUM, drift,
                dev.nelbo.engine.entity.EntityEvidence.thresholdFor(drift, 1e-4), 1e-4, 0, 0))
                .withSilence(new Manifest.SilenceCalibration(Manifest.SilenceCalibration.CADENCE, 12.6, "gpd", 1e-5, 0, 0));
    }

    private static FeatureDef historyFeature(final String name, final HistoryDef history) {
        return new FeatureDef(name, null, FeatureType.CONTINUOUS, null, null, true, null, history);
    }

    /** One event: id, key, time and 20 correlated numeric fields (about 450 bytes of JSON). */
    private static byte[] event(final Random rnd, final int i, final long ts) {
        final StringBuilder sb = new StringBuilder(512);
        sb.append("{\"event_id\":\"e-").append(i).append("\",\"key\":\"k-").append(i % 1000).append("\",\"ts\":").append(ts);
        final double base = rnd.nextGaussian();
        for (int f = 0; f < FEATURES; f++) {
            sb.append(",\"f").append(f).append("\":").append(100 + 10 * (base + 0.5 * rnd.nextGaussian()) * (1 + f % 3));
        }
        return sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    private void fill(final String topic, final int n) {
        final long t0 = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> p = producer(20)) {
            final Random rnd = new Random(5);
            for (int i = 0; i < n; i++) {
                p.send(new ProducerRecord<>(topic, ("k-" + (i % 1000)).getBytes(StandardCharsets.UTF_8),
                        event(rnd, i, System.currentTimeMillis())), (m, e) -> {
                            if (e != null) {
                                throw new IllegalStateException(e);
                            }
                        });
            }
            p.flush();
        }
        System.out.printf(Locale.ROOT, "produced %,d events in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
    }

    private String topic(final String prefix, final int partitions) {
        final String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get();
            // producing before every partition has a leader can lose the first batch (KAFKA-15591); right after
            // the create, describing the topic may still fail with "unknown topic"
            while (!hasLeaders(name)) {
                Thread.sleep(20);
            }
            return name;
        } catch (final Exception e) {
            throw new IllegalStateException("cannot create topic " + name, e);
        }
    }

    private boolean hasLeaders(final String topic) throws InterruptedException {
        try {
            return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().stream()
                    .allMatch(pi -> pi.leader() != null);
        } catch (final java.util.concurrent.ExecutionException e) {
            return false;
        }
    }

    /** @param lingerMs 20 to fill the input fast; 5 when each event's time is stamped at send (latency) */
    private KafkaProducer<byte[], byte[]> producer(final int lingerMs) {
        final Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", bootstrap);
        p.put("linger.ms", lingerMs);
        p.put("batch.size", 256 * 1024);
        p.put("compression.type", "lz4");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private long endOffsets(final String topic) throws Exception {
        final var desc = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        final Map<TopicPartition, OffsetSpec> req = desc.partitions().stream()
                .collect(Collectors.toMap(pi -> new TopicPartition(topic, pi.partition()), pi -> OffsetSpec.latest()));
        return admin.listOffsets(req).all().get().values().stream().mapToLong(i -> i.offset()).sum();
    }

    private long committed(final String group, final String topic) throws Exception {
        final Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get();
        return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                .mapToLong(e -> e.getValue().offset()).sum();
    }

    /** CPU per record by thread kind: stream threads, inference, producer I/O, the rest of Java, JVM (GC, JIT). */
    private static String breakdown(final Map<String, Long> before, final Map<String, Long> after, final long process,
                                    final long records) {
        final Map<String, Long> kinds = new LinkedHashMap<>();
        long java = 0;
        for (final Map.Entry<String, Long> e : after.entrySet()) {
            final long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            java += d;
            final String n = e.getKey();
            final String kind = n.startsWith("kafka-producer-network-thread") ? "producer-io" : n.contains("StreamThread")
                    ? "stream" : n.startsWith("nelbo-inference") ? "inference" : "other";
            kinds.merge(kind, d, Long::sum);
        }
        kinds.put("jvm", process - java);
        return kinds.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %.1f", e.getKey(), e.getValue() / 1e3 / records))
                .collect(Collectors.joining(", "));
    }

    private static Map<String, Long> threadCpuNanos() {
        final java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        final Map<String, Long> out = new HashMap<>();
        for (final java.lang.management.ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null) {
                out.put(t.getThreadName() + "#" + t.getThreadId(), Math.max(0, mx.getThreadCpuTime(t.getThreadId())));
            }
        }
        return out;
    }

    private long brokerCpuNanos() throws IOException {
        if (brokerStat == null) {
            return 0;
        }
        // fields 14 and 15 of /proc/PID/stat: user and system time in clock ticks (100 per second on Linux)
        final String[] f = Files.readString(brokerStat).replaceFirst("^.*\\) ", "").split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static long pct(final long[] sorted, final double q) {
        return sorted.length == 0 ? -1 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }
}
