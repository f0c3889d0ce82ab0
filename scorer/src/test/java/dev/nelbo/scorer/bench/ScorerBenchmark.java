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
import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
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
import java.util.Arrays;
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
 * <p>Arguments: {@code --bootstrap HOST:PORT} (required), {@code --scorer-jar PATH}, {@code --in-jvm true}, {@code
 * --scorer-java-opts "..."} (the scorer process's JVM options, e.g. JFR), {@code --guarantees
 * exactly_once_v2,at_least_once} (both), {@code --events N} (1000000), {@code --partitions P} (4), {@code --rounds
 * R} (3), {@code --threads 1,2} (stream thread counts), {@code --latency-rate N|half} (0: no latency part; half:
 * half the scorer's median rate in the run's rounds of each guarantee; the scorer in a process of its own as in
 * the rounds, the paced producer and the timing consumer in this JVM), {@code --latency-warmup S} (20: seconds at
 * the rate not counted, while a fresh process compiles), {@code --latency-seconds S} (10, counted), {@code
 * --profile scorer|baseline|history} (that app alone, for a profiler; history needs {@code --history true}),
 * {@code --scorer-set k=v,k=v} (extra scorer settings), {@code --entity true} (each round also runs the scorer
 * with the model calibrated on its own scores and an entity test, and reports its ratio to the scorer without),
 * {@code --history true} (each round also runs the scorer with a model conditioned on five history features, and
 * reports its ratio to the scorer without), {@code --avro true}, {@code --avro-registry true} (Avro in the Confluent wire format through a real schema registry)
 * and {@code --protobuf true} (the same events also in
 * that format, on a topic of their own; each round also runs the scorer with {@code nelbo.input.format} set to it on
 * them and reports its ratio to the scorer on JSON), {@code --before-jar JAR} (each round also runs that scorer jar,
 * built from an earlier commit, on the same events and model, and reports its ratio to this one: a before/after from
 * one run) and {@code --broker-pid PID} (to report the broker's CPU per record too).
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
        final String latencyRate = a.getOrDefault("latency-rate", "0");
        final int latencySeconds = Integer.parseInt(a.getOrDefault("latency-seconds", "10"));
        final int latencyWarmUp = Integer.parseInt(a.getOrDefault("latency-warmup", "20"));
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
        final Setup model = new Setup(b.writeModel(false, false), Map.of());
        // the scorer with other models, each reported against the plain one
        final List<Variant> variants = new ArrayList<>();
        if (Boolean.parseBoolean(a.getOrDefault("history", "false"))) {
            variants.add(new Variant("history", "5 history features", new Setup(b.writeModel(true, false), Map.of()), null, 0.8,
                    new LinkedHashMap<>()));
        }
        if (Boolean.parseBoolean(a.getOrDefault("entity", "false"))) {
            variants.add(new Variant("entity", "the entity and silence tests", new Setup(b.writeModel(false, true), Map.of()), null,
                    0.9, new LinkedHashMap<>()));
        }
        final Setup historyModel = variants.stream().filter(v -> v.name().equals("history")).map(Variant::model).findFirst()
                .orElse(null);
        final String input = b.topic("bench-events", partitions);
        // --avro true, --protobuf true: the same events in that format, on a topic of their own, scored by the scorer
        // with nelbo.input.format set to it
        final Map<String, Twin> twins = new LinkedHashMap<>();
        if (Boolean.parseBoolean(a.getOrDefault("avro", "false"))) {
            final String topic = b.topic("bench-avro-events", partitions);
            final Path schema = Files.writeString(b.work.resolve("bench-event.avsc"), BENCH_SCHEMA.toString(true));
            variants.add(new Variant("avro", "Avro input (the same events)", new Setup(model.dir(), Map.of("nelbo.input.format",
                    "avro", "nelbo.input.avro.schema", schema.toString())), topic, 1.0, new LinkedHashMap<>()));
            twins.put(topic, avroTwin());
        }
        if (Boolean.parseBoolean(a.getOrDefault("avro-registry", "false"))) {
            // Avro in the Confluent wire format, the writer schema read by id from a real schema registry (started
            // here in its own JVM), the reader schema the subject's latest version
            final String topic = b.topic("bench-avro-registry-events", partitions);
            final dev.nelbo.testkit.SchemaRegistryServer registry = dev.nelbo.testkit.SchemaRegistryServer.shared();
            final int id = registry.register(topic + "-value", BENCH_SCHEMA.toString());
            variants.add(new Variant("avro-registry", "Avro via a schema registry (the same events)", new Setup(model.dir(),
                    Map.of("nelbo.input.format", "avro", "nelbo.input.schema.registry.url", registry.url())), topic, 1.0,
                    new LinkedHashMap<>()));
            final Twin avro = avroTwin();
            twins.put(topic, (i, ts, v) -> dev.nelbo.schemas.testing.TestAvro.framed(id, avro.encode(i, ts, v)));
        }
        if (a.containsKey("before-jar")) {
            // the same events and model through the scorer jar of an earlier commit: a before/after from one run
            variants.add(new Variant("before", "the jar of --before-jar (the same events and model)", new Setup(model.dir(),
                    Map.of(), Path.of(a.get("before-jar"))), null, 0.0, new LinkedHashMap<>()));
        }
        if (Boolean.parseBoolean(a.getOrDefault("protobuf", "false"))) {
            final String topic = b.topic("bench-protobuf-events", partitions);
            final Path descriptors = Files.write(b.work.resolve("bench-event.desc"), DescriptorProtos.FileDescriptorSet
                    .newBuilder().addFile(BENCH_PROTO.getFile().toProto()).build().toByteArray());
            variants.add(new Variant("protobuf", "Protobuf input (the same events)", new Setup(model.dir(), Map.of(
                    "nelbo.input.format", "protobuf", "nelbo.input.protobuf.descriptor", descriptors.toString(),
                    "nelbo.input.protobuf.message", BENCH_PROTO.getFullName())), topic, 1.0, new LinkedHashMap<>()));
            twins.put(topic, protobufTwin());
        }
        b.fill(input, twins, events);
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
        final Map<String, List<Double>> scorerRates = new HashMap<>();
        for (final int t : threads) {
            for (final String guarantee : guarantees) {
                final List<Double> ratios = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    final Run base = b.throughput("baseline", input, partitions, guarantee, t, false, model);
                    final Run scorer = b.throughput("scorer", input, partitions, guarantee, t, true, model);
                    ratios.add(scorer.perSecond() / base.perSecond());
                    if (t == threads.get(0)) {
                        scorerRates.computeIfAbsent(guarantee, g -> new ArrayList<>()).add(scorer.perSecond());
                    }
                    summary.add(String.format(Locale.ROOT, "%-16s threads=%d round %d: baseline %,8.0f rec/s %6.1f us CPU/rec"
                                    + " | scorer %,8.0f rec/s %6.1f us CPU/rec | ratio %.2f (target >= 0.85)", guarantee, t, r + 1,
                            base.perSecond(), base.cpuMicros(), scorer.perSecond(), scorer.cpuMicros(),
                            scorer.perSecond() / base.perSecond()));
                    for (final Variant v : variants) {
                        final Run run = b.throughput(v.name(), v.input() != null ? v.input() : input, partitions, guarantee, t,
                                true, v.model());
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
                if (n > 0) {
                    summary.add(String.format(Locale.ROOT, "%-16s threads=%d median ratio %.2f over %d rounds (min %.2f, max %.2f)",
                            guarantee, t, median(ratios), n, ratios.get(0), ratios.get(n - 1)));
                }
            }
        }
        for (final Variant v : variants) {
            v.ratios().forEach((run, list) -> summary.add(String.format(Locale.ROOT,
                    "%-26s %s/no-%s median ratio %.2f over %d rounds (min %.2f)", run, v.name(), v.name(), median(list),
                    list.size(), java.util.Collections.min(list))));
        }
        if (!latencyRate.equals("0")) {
            for (final String guarantee : guarantees) {
                // "half": half the scorer's median rate in this run's rounds of that guarantee (first thread count)
                final int rate = latencyRate.equals("half") ? (int) (median(scorerRates.getOrDefault(guarantee, List.of()))
                        / 2) : Integer.parseInt(latencyRate);
                if (rate <= 0) {
                    throw new IllegalArgumentException("--latency-rate half needs throughput rounds of " + guarantee);
                }
                // the plain app at the same rate first: what the host and the harness add to any app's latency
                summary.add(b.latency(guarantee, rate, latencyWarmUp, latencySeconds, partitions, false, model));
                summary.add(b.latency(guarantee, rate, latencyWarmUp, latencySeconds, partitions, true, model));
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
     * @param model     its bundle and settings
     * @param input     its input topic, or null for the common one
     * @param target    the ratio to the plain scorer it should keep
     * @param ratios    its ratio per guarantee and thread count, per round
     */
    private record Variant(String name, String described, Setup model, String input, double target,
                           Map<String, List<Double>> ratios) {
    }

    /**
     * What one scorer run is given.
     *
     * @param dir      its model bundle
     * @param settings settings beyond the benchmark's own (the input format)
     * @param jar      the scorer jar it runs, or null for {@code --scorer-jar}
     */
    private record Setup(Path dir, Map<String, String> settings, Path jar) {
        Setup(final Path dir, final Map<String, String> settings) {
            this(dir, settings, null);
        }
    }

    private static double median(final List<Double> values) {
        final List<Double> v = new ArrayList<>(values);
        v.sort(null);
        final int n = v.size();
        return n == 0 ? 0 : n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    /** One measured run. */
    private record Run(double perSecond, double cpuMicros) {
    }

    private Run throughput(final String label, final String input, final int partitions, final String guarantee,
                           final int threads, final boolean scorer, final Setup model) throws Exception {
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
            final Map<String, Long> threadsStart = child != null ? child.threadCpuNanos() : threadCpuNanos();
            wallStart = System.nanoTime();
            committedStart = c;
            while (committed(appId, input) < end) {
                Thread.sleep(20);
            }
            final double seconds = (System.nanoTime() - wallStart) / 1e9;
            final long records = end - committedStart;
            final long cpu = (child != null ? child.cpuNanos() : processCpuNanos()) - cpuStart;
            final Map<String, Long> threadsEnd = child != null ? child.threadCpuNanos() : threadCpuNanos();
            final Run run = new Run(records / seconds, cpu / 1e3 / records);
            final long broker = brokerCpuNanos() - brokerStart;
            System.out.printf(Locale.ROOT, "%-8s %-8s %-16s threads=%d %,9.0f rec/s, %6.1f us CPU per record (%s)%s%n", label,
                    scorer ? "scorer" : "baseline", guarantee, threads, run.perSecond(), run.cpuMicros(),
                    (child != null ? "its own process: " : "") + breakdown(threadsStart, threadsEnd, cpu, records,
                            appId),
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

        /**
         * @return CPU time so far of each live thread of the process, by Linux thread name and id, from
         * /proc/PID/task (the JVM names its native threads after the Java ones, cut to 15 characters)
         */
        Map<String, Long> threadCpuNanos() throws IOException {
            final Map<String, Long> out = new HashMap<>();
            try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(process.pid()), "task"))) {
                for (final Path task : (Iterable<Path>) tasks::iterator) {
                    try {
                        final String stat = Files.readString(task.resolve("stat"));
                        final String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                        out.put(name + "#" + task.getFileName(), ticksToNanos(stat));
                    } catch (final java.nio.file.NoSuchFileException exited) {
                        // the thread ended between the listing and the read: its time stays in the process's total
                    }
                }
            }
            return out;
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
                               final String guarantee, final int threads, final Setup model) throws IOException {
        final Properties p = new Properties();
        p.putAll(scorerSettings(appId, input, out, partitions, guarantee, threads, model));
        final Path config = work.resolve(appId + ".properties");
        try (java.io.Writer w = Files.newBufferedWriter(config)) {
            p.store(w, "benchmark scorer");
        }
        final List<String> command = new ArrayList<>(scorerJavaOpts);
        command.addAll(List.of("-jar", (model.jar() != null ? model.jar() : scorerJar).toString(), "run", "--config",
                config.toString()));
        return launch(appId, command);
    }

    private Child launchBaseline(final String appId, final String input, final String out, final String guarantee,
                                 final int threads) throws IOException {
        return launch(appId, List.of("-cp", System.getProperty("java.class.path"), PlainStreamsApp.class.getName(), bootstrap,
                input, out, appId, guarantee, Integer.toString(threads), Files.createTempDirectory(work, "state").toString()));
    }

    private AutoCloseable startScorer(final String appId, final String input, final String out, final int partitions,
                                      final String guarantee, final int threads, final Setup model) throws IOException {
        final ScorerService service = ScorerService.start(ScorerConfig.of(scorerSettings(appId, input, out, partitions,
                guarantee, threads, model)), new PrometheusRegistry(), false);
        return service::close;
    }

    private Map<String, String> scorerSettings(final String appId, final String input, final String out, final int partitions,
                                               final String guarantee, final int threads, final Setup model) throws IOException {
        final Map<String, String> s = new LinkedHashMap<>();
        s.put("bootstrap.servers", bootstrap);
        s.put("application.id", appId);
        s.put("processing.guarantee", guarantee);
        s.put("commit.interval.ms", "100");
        s.put("num.stream.threads", Integer.toString(threads));
        s.put("state.dir", Files.createTempDirectory(work, "state").toString());
        s.put("nelbo.model.dir", model.dir().toString());
        s.put("nelbo.metrics.port", "0");
        s.put("nelbo.topic.events", input);
        s.put("nelbo.topic.scores", out);
        s.put("nelbo.topic.alerts", topic("bench-alerts", partitions));
        s.put("nelbo.topic.dlq", topic("bench-dlq", partitions));
        s.put("nelbo.topic.registry", "bench-models-" + appId);
        s.putAll(scorerExtra);
        s.putAll(model.settings());
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

    /**
     * End-to-end latency of the scorer or the plain app at a paced rate: from the event's send (its Kafka timestamp,
     * which both apps give their output) to a read_committed consumer reading the output. The first warmUpSeconds at
     * the rate are not counted (a fresh process compiles its hot paths then); seconds more are.
     */
    private String latency(final String guarantee, final int rate, final int warmUpSeconds, final int seconds,
                           final int partitions, final boolean scorer, final Setup model) throws Exception {
        final String input = topic("bench-lat-events", partitions);
        final String out = topic("bench-lat-scores", partitions);
        final String appId = "bench-lat-" + UUID.randomUUID().toString().substring(0, 8);
        // primitive and allocated up front: a million boxed samples would make this JVM's own GC pauses part of
        // the latencies it measures
        final Latencies latencies = new Latencies(rate * (warmUpSeconds + seconds + 5));
        final AtomicBoolean producing = new AtomicBoolean(true);
        try (AutoCloseable app = !scorer ? scorerJar != null ? launchBaseline(appId, input, out, guarantee, 1)
                : startBaseline(appId, input, out, guarantee, 1) : scorerJar != null
                ? launchScorer(appId, input, out, partitions, guarantee, 1, model)
                : startScorer(appId, input, out, partitions, guarantee, 1, model)) {
            awaitStable(appId, app);
            // the first seconds at the rate warm the JIT of a fresh process: not counted
            final long warmUpEnd = System.currentTimeMillis() + warmUpSeconds * 1000L;
            final Thread consumer = new Thread(() -> consume(out, producing, warmUpEnd, latencies));
            consumer.start();
            try (KafkaProducer<byte[], byte[]> p = producer(5)) {
                final Random rnd = new Random(9);
                final long start = System.nanoTime();
                final int burst = Math.max(1, rate / 200);
                for (int i = 0; i < rate * (warmUpSeconds + seconds); i++) {
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
        final long[] sorted = Arrays.copyOf(latencies.latency, latencies.count);
        Arrays.sort(sorted);
        // p99 per 5 s of send time: whether the tail is steady or a start-up transient
        final Map<Long, List<Long>> windows = new java.util.TreeMap<>();
        for (int i = 0; i < latencies.count; i++) {
            windows.computeIfAbsent(latencies.sent[i] / 5000, w -> new ArrayList<>()).add(latencies.latency[i]);
        }
        final String app = scorer ? "scorer" : "baseline";
        System.out.printf(Locale.ROOT, "latency %-8s %s at %,d ev/s, p99 per 5 s: %s ms%n", app, guarantee, rate, windows.values().stream()
                .map(w -> Long.toString(pct(w.stream().mapToLong(Long::longValue).sorted().toArray(), 0.99)))
                .collect(Collectors.joining(" ")));
        return String.format(Locale.ROOT, "latency %-16s %-8s (%s) at %,d ev/s: p50 %d ms, p99 %d ms, max %d ms over %,d events"
                        + " (output values of %.0f bytes on average)",
                guarantee, app, scorerJar != null ? "its own process" : "in this JVM", rate, pct(sorted, 0.5),
                pct(sorted, 0.99), sorted.length == 0 ? -1 : sorted[sorted.length - 1], sorted.length, latencies.count == 0 ? 0.0 : (double) latencies.bytes / latencies.count);
    }

    /** Waits until the app's consumer group is stable: its one member has its partitions. */
    private void awaitStable(final String appId, final AutoCloseable app) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!isStable(appId)) {
            if (app instanceof Child child && !child.process().isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the scorer " + appId + " did not join its group"
                        + (app instanceof Child child ? ": see " + child.log() : ""));
            }
            Thread.sleep(100);
        }
    }

    private boolean isStable(final String group) throws InterruptedException {
        try {
            return admin.describeConsumerGroups(List.of(group)).all().get().get(group).groupState()
                    == org.apache.kafka.common.GroupState.STABLE;
        } catch (final java.util.concurrent.ExecutionException notYet) {
            return false; // the group does not exist until the app's consumer first joins
        }
    }

    /** Send times and latencies (ms) of the counted outputs, written by the consuming thread only. */
    private static final class Latencies {
        private final long[] sent;
        private final long[] latency;
        private int count;
        /** Value bytes of the counted outputs. */
        private long bytes;

        Latencies(final int capacity) {
            sent = new long[capacity];
            latency = new long[capacity];
        }

        void add(final long sentAt, final long ms, final int valueBytes) {
            if (count < sent.length) {
                bytes += valueBytes;
                sent[count] = sentAt;
                latency[count++] = ms;
            }
        }
    }

    /** Reads the outputs until told to stop, adding each counted one's send time and latency to latencies. */
    private void consume(final String topic, final AtomicBoolean producing, final long warmUpEnd, final Latencies latencies) {
        final Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-latency-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            while (producing.get()) {
                for (final ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
                    // both apps give an output its input's timestamp: the producer's clock at send
                    final long sent = r.timestamp();
                    if (sent >= warmUpEnd) {
                        latencies.add(sent, System.currentTimeMillis() - sent, r.serializedValueSize());
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
    /** The benchmark's events in Avro: the JSON events' fields, the features as doubles. */
    static final Schema BENCH_SCHEMA = benchSchema();

    private static Schema benchSchema() {
        SchemaBuilder.FieldAssembler<Schema> f = SchemaBuilder.record("BenchEvent").namespace("dev.nelbo.bench").fields()
                .requiredString("event_id").requiredString("key")
                .name("ts").type(LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG))).noDefault();
        for (int i = 0; i < FEATURES; i++) {
            f = f.requiredDouble("f" + i);
        }
        return f.endRecord();
    }

    /** One event's features (a shared level per event, so the features correlate as a model expects). */
    private static double[] values(final Random rnd) {
        final double[] v = new double[FEATURES];
        final double base = rnd.nextGaussian();
        for (int f = 0; f < FEATURES; f++) {
            v[f] = 100 + 10 * (base + 0.5 * rnd.nextGaussian()) * (1 + f % 3);
        }
        return v;
    }

    private static byte[] event(final Random rnd, final int i, final long ts) {
        return json(i, ts, values(rnd));
    }

    private static byte[] json(final int i, final long ts, final double[] v) {
        final StringBuilder sb = new StringBuilder(512);
        sb.append("{\"event_id\":\"e-").append(i).append("\",\"key\":\"k-").append(i % 1000).append("\",\"ts\":").append(ts);
        for (int f = 0; f < FEATURES; f++) {
            sb.append(",\"f").append(f).append("\":").append(v[f]);
        }
        return sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The benchmark's events in Protobuf: {@code message BenchEvent { string event_id = 1; string key = 2; int64 ts = 3; double f0 = 4; ... }}. */
    static final Descriptors.Descriptor BENCH_PROTO = benchProto();

    private static Descriptors.Descriptor benchProto() {
        final DescriptorProtos.DescriptorProto.Builder m = DescriptorProtos.DescriptorProto.newBuilder().setName("BenchEvent");
        m.addField(protoField("event_id", 1, DescriptorProtos.FieldDescriptorProto.Type.TYPE_STRING));
        m.addField(protoField("key", 2, DescriptorProtos.FieldDescriptorProto.Type.TYPE_STRING));
        m.addField(protoField("ts", 3, DescriptorProtos.FieldDescriptorProto.Type.TYPE_INT64));
        for (int f = 0; f < FEATURES; f++) {
            m.addField(protoField("f" + f, 4 + f, DescriptorProtos.FieldDescriptorProto.Type.TYPE_DOUBLE));
        }
        try {
            return Descriptors.FileDescriptor.buildFrom(DescriptorProtos.FileDescriptorProto.newBuilder()
                    .setName("bench.proto").setPackage("dev.nelbo.bench").setSyntax("proto3").addMessageType(m).build(),
                    new Descriptors.FileDescriptor[0]).findMessageTypeByName("BenchEvent");
        } catch (final Descriptors.DescriptorValidationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static DescriptorProtos.FieldDescriptorProto protoField(final String name, final int number,
                                                                    final DescriptorProtos.FieldDescriptorProto.Type type) {
        return DescriptorProtos.FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type).build();
    }

    /** Writes one event in a binary format, with that format's own library. */
    @FunctionalInterface
    private interface Twin {
        byte[] encode(int i, long ts, double[] v) throws IOException;
    }

    /** The same events in Avro, written by Avro's own writer. */
    private static Twin avroTwin() {
        final GenericDatumWriter<GenericRecord> writer = new GenericDatumWriter<>(BENCH_SCHEMA);
        final java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream(256);
        return (i, ts, v) -> {
            final GenericRecord r = new GenericData.Record(BENCH_SCHEMA);
            r.put("event_id", "e-" + i);
            r.put("key", "k-" + (i % 1000));
            r.put("ts", ts);
            for (int f = 0; f < FEATURES; f++) {
                r.put("f" + f, v[f]);
            }
            buffer.reset();
            final BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(buffer, null);
            writer.write(r, enc);
            enc.flush();
            return buffer.toByteArray();
        };
    }

    /** The same events in Protobuf, serialized by the Protobuf library. */
    private static Twin protobufTwin() {
        final List<Descriptors.FieldDescriptor> fields = BENCH_PROTO.getFields();
        return (i, ts, v) -> {
            final DynamicMessage.Builder m = DynamicMessage.newBuilder(BENCH_PROTO).setField(fields.get(0), "e-" + i)
                    .setField(fields.get(1), "k-" + (i % 1000)).setField(fields.get(2), ts);
            for (int f = 0; f < FEATURES; f++) {
                m.setField(fields.get(3 + f), v[f]);
            }
            return m.build().toByteArray();
        };
    }

    /** Fills the input with n events, and each twin topic with the same events in its format. */
    private void fill(final String topic, final Map<String, Twin> twins, final int n) throws IOException {
        final long t0 = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> p = producer(20)) {
            final Random rnd = new Random(5);
            final org.apache.kafka.clients.producer.Callback failed = (m, e) -> {
                if (e != null) {
                    throw new IllegalStateException(e);
                }
            };
            for (int i = 0; i < n; i++) {
                final byte[] key = ("k-" + (i % 1000)).getBytes(StandardCharsets.UTF_8);
                final long ts = System.currentTimeMillis();
                final double[] v = values(rnd);
                p.send(new ProducerRecord<>(topic, key, json(i, ts, v)), failed);
                for (final Map.Entry<String, Twin> twin : twins.entrySet()) {
                    p.send(new ProducerRecord<>(twin.getKey(), key, twin.getValue().encode(i, ts, v)), failed);
                }
            }
            p.flush();
        }
        System.out.printf(Locale.ROOT, "produced %,d events%s in %.1f s%n", n, twins.isEmpty() ? ""
                : " (and the same in " + twins.size() + " binary format(s))", (System.nanoTime() - t0) / 1e9);
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

    /**
     * CPU per record by thread kind. In this JVM (names from ThreadMXBean, Java threads only): stream threads,
     * inference, producer I/O, other Java threads, and the JVM's own (GC, JIT) as the rest of the process's time. In a
     * child process (names from /proc, cut to 15 characters; the stream threads are named after the application id):
     * the JVM's GC and JIT threads apart too, and "exited" for threads that ended during the run.
     */
    private static String breakdown(final Map<String, Long> before, final Map<String, Long> after, final long process,
                                    final long records, final String appId) {
        final Map<String, Long> kinds = new LinkedHashMap<>();
        for (final String kind : List.of("stream", "inference", "producer-io", "gc", "jit", "other")) {
            kinds.put(kind, 0L);
        }
        final String streamPrefix = appId.substring(0, Math.min(15, appId.length()));
        long seen = 0;
        for (final Map.Entry<String, Long> e : after.entrySet()) {
            final long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            seen += d;
            final String n = e.getKey();
            final String kind = n.startsWith("kafka-producer-") ? "producer-io"
                    : n.contains("StreamThread") || n.startsWith(streamPrefix) ? "stream"
                    : n.startsWith("nelbo-inferenc") ? "inference"
                    : n.startsWith("GC Thread") || n.startsWith("G1 ") ? "gc"
                    : n.startsWith("C1 CompilerThre") || n.startsWith("C2 CompilerThre") ? "jit" : "other";
            kinds.merge(kind, d, Long::sum);
        }
        kinds.put(after.keySet().stream().anyMatch(n -> n.startsWith("GC Thread")) ? "exited" : "jvm", process - seen);
        return kinds.entrySet().stream().filter(e -> e.getValue() != 0)
                .map(e -> String.format(Locale.ROOT, "%s %.1f", e.getKey(), e.getValue() / 1e3 / records))
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
        return brokerStat == null ? 0 : ticksToNanos(Files.readString(brokerStat));
    }

    /** @return user and system time of a /proc stat line (fields 14 and 15, clock ticks of 10 ms on Linux) */
    private static long ticksToNanos(final String stat) {
        final String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static long pct(final long[] sorted, final double q) {
        return sorted.length == 0 ? -1 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }
}
