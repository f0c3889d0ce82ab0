package dev.nelbo.scorer.bench;

import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * The benchmark's baseline as its own process: the plain Kafka Streams JSON app a user would write without nelbo
 * ({@link ScorerBenchmark#baseline}), run until SIGTERM.
 *
 * <p>Arguments: bootstrap, input topic, output topic, application id, processing guarantee, stream threads, state dir.
 */
public final class PlainStreamsApp {

    private PlainStreamsApp() {
    }

    /**
     * @param args see the class comment
     * @throws InterruptedException when interrupted
     */
    public static void main(final String[] args) throws InterruptedException {
        final KafkaStreams streams = new KafkaStreams(ScorerBenchmark.baseline(args[1], args[2]), properties(args[0], args[3],
                args[4], Integer.parseInt(args[5]), args[6]));
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close(Duration.ofSeconds(30));
            stopped.countDown();
        }));
        streams.start();
        stopped.await();
    }

    /**
     * @param bootstrap broker
     * @param appId     application id
     * @param guarantee processing guarantee
     * @param threads   stream threads
     * @param stateDir  state directory
     * @return the baseline's settings: the scorer's commit interval, Kafka Streams' defaults otherwise
     */
    static Properties properties(final String bootstrap, final String appId, final String guarantee, final int threads,
                                 final String stateDir) {
        final Properties p = new Properties();
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        return p;
    }
}
