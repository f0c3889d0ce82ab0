package dev.nelbo.scorer.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.schemas.event.EventEnvelope;
import dev.nelbo.schemas.output.ScoreRecord;
import dev.nelbo.schemas.output.SourceRef;
import dev.nelbo.schemas.testing.TestData;
import dev.nelbo.scorer.config.ScorerConfig;
import dev.nelbo.scorer.config.ScorerKey;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.output.ScoreMapper;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.testkit.SharedBroker;
import dev.nelbo.scorer.testkit.TestScorers;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
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
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * Scorer benchmark on a real (in-process KRaft) broker. Not a test: run it with {@code scorer/bench.sh}.
 *
 * <p>Prints, for exactly_once_v2 and at_least_once: throughput of the scorer versus a pass-through Kafka
 * Streams app that does the same JSON parse and writes a score-record-sized JSON output under the same
 * guarantee on the same broker; and end-to-end latency (event time stamped at send -> score visible to a
 * read_committed consumer) at a steady rate.
 *
 * <p>Arguments (all optional): events for throughput (300000; 0 skips the throughput part), latency rate
 * per second (20000), latency seconds (15), partitions (4), and {@code baseline} to measure the
 * pass-through's latency too.
 */
public final class ScorerBenchmark {

    private static final Map<String, Double> CPU_US = new HashMap<>();

    private ScorerBenchmark() {
    }

    /**
     * @param args see the class comment
     * @throws Exception on failure
     */
    public static void main(final String[] args) throws Exception {
        final int events = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
        final int rate = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        final int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        final int partitions = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        final boolean baselineLatency = args.length > 4 && args[4].equals("baseline");
        final Path modelDir = Files.createTempDirectory("bench-model");
        ScorerFixtures.writeModel(modelDir, 1);
        System.out.printf("nelbo scorer benchmark: %d events, %d partitions, latency at %d/s for %d s, %d cores%n", events,
                partitions, rate, seconds, Runtime.getRuntime().availableProcessors());

        final List<String> lines = new ArrayList<>();
        final Topics input = TestScorers.freshTopics("bench", partitions);
        if (events > 0) {
            fill(input.events(), events);
            // a freshly started broker is markedly slower: one unmeasured pass first
            throughput("warm-up", input, partitions, "at_least_once", false, modelDir);
        }
        for (final String guarantee : events > 0 ? List.of("exactly_once_v2", "at_least_once") : List.<String>of()) {
            final double pass = throughput("pass-through", input, partitions, guarantee, false, modelDir);
            final double scorer = throughput("scorer", input, partitions, guarantee, true, modelDir);
            lines.add(String.format("throughput %-16s pass-through %,9.0f rec/s   scorer %,9.0f rec/s   ratio %.2f (target >= 0.85)",
                    guarantee, pass, scorer, scorer / pass));
            final double passCpu = CPU_US.get("pass-through/" + guarantee);
            final double scorerCpu = CPU_US.get("scorer/" + guarantee);
            lines.add(String.format("cpu        %-16s pass-through %.2f us/rec   scorer %.2f us/rec   ratio %.2f (stream-thread CPU)",
                    guarantee, passCpu, scorerCpu, passCpu / scorerCpu));
        }
        if (events == 0) {
            // the first transactional app on a fresh broker sees seconds of extra latency (coordinator
            // start-up): warm the broker with an unreported exactly-once run first
            System.out.println("warm-up: " + latency("exactly_once_v2", rate, 3, partitions, modelDir, false));
        }
        for (final String guarantee : List.of("exactly_once_v2", "at_least_once")) {
            if (baselineLatency) {
                lines.add(latency(guarantee, rate, seconds, partitions, modelDir, false));
            }
            lines.add(latency(guarantee, rate, seconds, partitions, modelDir, true));
        }
        System.out.println();
        lines.forEach(System.out::println);
        System.exit(0);
    }

    private static void fill(final String topic, final int n) throws Exception {
        final long t0 = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> p = producer()) {
            final Random rnd = new Random(5);
            for (int i = 0; i < n; i++) {
                p.send(new ProducerRecord<>(topic, ("k" + (i % 1000)).getBytes(), ScorerFixtures.bytes(TestData.event(rnd, i))),
                        (m, e) -> {
                            if (e != null) {
                                throw new IllegalStateException(e);
                            }
                        });
            }
            p.flush();
        }
        System.out.printf("produced %,d events in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
    }

    @SuppressWarnings("try")
    private static double throughput(final String label, final Topics input, final int partitions, final String guarantee,
                                     final boolean scorer, final Path modelDir) throws Exception {
        final Topics out = TestScorers.freshTopics("bench-out", partitions);
        final Topics topics = new Topics(input.events(), out.scores(), out.alerts(), out.dlq(), out.registry());
        final String appId = SharedBroker.uniqueName("bench-" + label);
        final ScorerConfig config = ScorerConfig.of(TestScorers.settings(appId, topics, modelDir,
                Map.of("processing.guarantee", guarantee)));
        final long end = endOffsets(topics.events());
        try (App app = App.start(config, scorer)) {
            final long t0 = System.nanoTime();
            final long cpu0 = streamThreadCpuNanos(appId);
            final long inf0 = threadCpuNanos("nelbo-inference");
            while (committed(appId, topics.events()) < end) {
                Thread.sleep(20);
            }
            final double perSecond = end / ((System.nanoTime() - t0) / 1e9);
            final double cpuUsPerRecord = (streamThreadCpuNanos(appId) - cpu0) / 1e3 / end;
            final double inferenceUsPerRecord = (threadCpuNanos("nelbo-inference") - inf0) / 1e3 / end;
            System.out.printf("%-12s %-16s %,9.0f rec/s wall, %.2f us stream-thread CPU per record (+ %.2f us on the"
                    + " inference thread)%n", label, guarantee, perSecond, cpuUsPerRecord, inferenceUsPerRecord);
            CPU_US.put(label + "/" + guarantee, cpuUsPerRecord);
            return perSecond;
        }
    }

    private static String latency(final String guarantee, final int rate, final int seconds, final int partitions,
                                  final Path modelDir, final boolean scorer) throws Exception {
        final Topics topics = TestScorers.freshTopics("bench-lat", partitions);
        final String appId = SharedBroker.uniqueName("bench-lat");
        final ScorerConfig config = ScorerConfig.of(TestScorers.settings(appId, topics, modelDir,
                Map.of("processing.guarantee", guarantee)));
        final List<Long> latencies = new ArrayList<>();
        final AtomicBoolean producing = new AtomicBoolean(true);
        try (App app = App.start(config, scorer)) {
            app.awaitRunning();
            final long warmUpEnd = System.currentTimeMillis() + 2000;
            final Thread consumer = new Thread(() -> consume(topics.scores(), partitions, producing, warmUpEnd, latencies));
            consumer.start();
            try (KafkaProducer<byte[], byte[]> p = producer()) {
                final Random rnd = new Random(9);
                final long start = System.nanoTime();
                final int total = rate * seconds;
                final int burst = Math.max(1, rate / 200);
                for (int i = 0; i < total; i++) {
                    final ObjectNode e = TestData.event(rnd, i);
                    e.put("ts", System.currentTimeMillis());
                    p.send(new ProducerRecord<>(topics.events(), ("k" + (i % 1000)).getBytes(), ScorerFixtures.bytes(e)));
                    if (i % burst == burst - 1) {
                        final long due = start + (long) ((i + 1) * 1e9 / rate);
                        final long wait = due - System.nanoTime();
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
        final long target = guarantee.startsWith("exactly") ? 250 : 50;
        return String.format("latency    %-16s %-12s at %,d ev/s: p50 %d ms, p99 %d ms, max %d ms over %,d events"
                + " (target p99 <= %d ms)", guarantee, scorer ? "scorer" : "pass-through", rate, pct(sorted, 0.5), pct(sorted, 0.99), sorted.length == 0 ? -1 : sorted[sorted.length - 1],
                sorted.length, target);
    }

    /** CPU time of the app's stream threads: robust against neighbours on a shared machine, unlike wall time. */
    private static long streamThreadCpuNanos(final String appId) {
        return cpuNanos(name -> name.startsWith(appId) && name.contains("StreamThread"));
    }

    private static long threadCpuNanos(final String prefix) {
        return cpuNanos(name -> name.startsWith(prefix));
    }

    private static long cpuNanos(final java.util.function.Predicate<String> threadName) {
        final java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long total = 0;
        for (final java.lang.management.ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null && threadName.test(t.getThreadName())) {
                total += Math.max(0, mx.getThreadCpuTime(t.getThreadId()));
            }
        }
        return total;
    }

    private static long pct(final long[] sorted, final double q) {
        return sorted.length == 0 ? -1 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

    private static void consume(final String topic, final int partitions, final AtomicBoolean producing, final long warmUpEnd,
                                final List<Long> latencies) {
        final Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBroker.get().bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> parts = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                parts.add(new TopicPartition(topic, i));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            while (producing.get()) {
                for (final ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
                    final long now = System.currentTimeMillis();
                    final long eventTime = ScorerFixtures.parse(r.value()).get("event_time").asLong();
                    if (eventTime >= warmUpEnd) {
                        latencies.add(now - eventTime);
                    }
                }
            }
        }
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        final Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", SharedBroker.get().bootstrapServers());
        p.put("linger.ms", 5);
        p.put("batch.size", 256 * 1024);
        p.put("compression.type", "lz4");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static long endOffsets(final String topic) throws Exception {
        final var admin = SharedBroker.get().admin();
        final var desc = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        final Map<TopicPartition, OffsetSpec> req = desc.partitions().stream()
                .collect(Collectors.toMap(pi -> new TopicPartition(topic, pi.partition()), pi -> OffsetSpec.latest()));
        return admin.listOffsets(req).all().get().values().stream().mapToLong(i -> i.offset()).sum();
    }

    private static long committed(final String group, final String topic) throws Exception {
        final Map<TopicPartition, OffsetAndMetadata> offsets = SharedBroker.get().admin().listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get();
        return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                .mapToLong(e -> e.getValue().offset()).sum();
    }

    /** The scorer topology, or the pass-through baseline, running under one configuration. */
    private static final class App implements AutoCloseable {
        private final KafkaStreams streams;
        private final ModelManager models;

        private App(final KafkaStreams streams, final ModelManager models) {
            this.streams = streams;
            this.models = models;
        }

        static App start(final ScorerConfig config, final boolean scorer) {
            final ScorerMetrics metrics = new ScorerMetrics(new PrometheusRegistry(), false);
            final ModelManager models = new ModelManager(EngineOptions.defaults().withMaxBatch(config.intValue(ScorerKey.BATCH_MAX_RECORDS)),
                    metrics);
            models.offer(config.modelDir().orElseThrow(), "benchmark");
            final Topology topology = scorer ? dev.nelbo.scorer.topology.ScorerTopology.build(config, models, metrics)
                    : passThrough(config.topics());
            final KafkaStreams streams = new KafkaStreams(topology, config.streamsProperties());
            streams.start();
            return new App(streams, models);
        }

        void awaitRunning() throws InterruptedException {
            while (streams.state() != KafkaStreams.State.RUNNING) {
                Thread.sleep(20);
            }
        }

        @Override
        public void close() {
            streams.close(Duration.ofSeconds(30));
            streams.cleanUp();
            models.close();
        }
    }

    private static final byte[] VERSION = "20260101T000000Z-2d0aada8".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    /**
     * Same input parse (the event envelope's parser) and the same output per event: a score-record
     * document and the model version header.
     */
    static Topology passThrough(final Topics topics) {
        final Topology t = new Topology();
        t.addSource("in", new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.events());
        t.addProcessor("parse", () -> new Processor<byte[], byte[], byte[], byte[]>() {
            private ProcessorContext<byte[], byte[]> context;
            private final Map<String, Double> contributions = new java.util.LinkedHashMap<>(Map.of(
                    "latency_ms", 1.5, "bytes", 2.5, "retried", 0.5, "region", 1.0));

            @Override
            public void init(final ProcessorContext<byte[], byte[]> ctx) {
                this.context = ctx;
            }

            @Override
            public void process(final Record<byte[], byte[]> r) {
                final ObjectNode e = EventEnvelope.parse(r.value());
                final var meta = context.recordMetadata().orElseThrow();
                // full-precision numbers derived from the event, like real scores (short constants format faster)
                final double a = Math.log1p(e.path("http").path("latency_ms").asDouble());
                final double b = Math.log1p(e.path("bytes").asDouble());
                contributions.replaceAll((k, v) -> a * b / (k.length() + 1.0));
                final ScoreRecord s = new ScoreRecord(e.path("event_id").asText(), e.path("key").asText(), e.path("ts").asLong(),
                        "20260101T000000Z-2d0aada8", a + b, a, b, a + b / 3, 1 / (1 + a), 60.0, false, contributions,
                        SourceRef.kafka(meta.topic(), meta.partition(), meta.offset()));
                final org.apache.kafka.common.header.internals.RecordHeaders headers =
                        new org.apache.kafka.common.header.internals.RecordHeaders();
                headers.add(Topics.MODEL_VERSION_HEADER, VERSION);
                context.forward(r.withValue(ScoreMapper.toJson(s)).withHeaders(headers));
            }
        }, "in");
        t.addSink("out", topics.scores(), new ByteArraySerializer(), new ByteArraySerializer(), "parse");
        return t;
    }
}
