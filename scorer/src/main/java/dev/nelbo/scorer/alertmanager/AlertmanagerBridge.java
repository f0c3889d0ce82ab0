package dev.nelbo.scorer.alertmanager;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends the alerts topic to Prometheus Alertmanager, so that grouping, silences, inhibition and receivers come from the
 * tool an on-call team already runs.
 *
 * <p>A consumer group reads the alerts topic (read_committed: only alerts of committed scorer transactions); each
 * polled batch is posted to the Alertmanager instances, and its offsets are committed once one instance has accepted
 * it. While none accepts, the bridge holds the batch and its offsets and tries again, the pause doubling from 250 ms
 * up to {@code nelbo.alertmanager.retry.max.ms} (the consumer is paused and keeps polling, so it stays in its group).
 * After a crash, the batch since the last commit is sent again; Alertmanager identifies an alert by its labels, which
 * hold the alert's identity ({@link AlertmanagerAlert}), so it updates the alerts it holds and does not notify twice.
 *
 * <p>A record that is not an alert (anyone who can write to the topic can write one) is skipped with a WARN naming
 * its partition and offset, and counted; so is an alert Alertmanager refuses (HTTP 400), found by sending the refused
 * batch's alerts one at a time. Neither stops the bridge.
 */
public final class AlertmanagerBridge implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AlertmanagerBridge.class);
    private static final Duration FIRST_PAUSE = Duration.ofMillis(250);

    private final AlertmanagerSettings settings;
    private final String topic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<AlertmanagerClient> clients = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    /** Set when partitions are revoked: a batch being retried then belongs to another member. */
    private volatile boolean revoked;
    /** Set once the consumer has joined its group (its first assignment, possibly empty). */
    private volatile boolean joined;

    private final Counter sent;
    private final Counter rejected;
    private final Counter failures;
    private final Gauge upGauge;

    /**
     * @param settings the bridge's settings
     * @param client   Kafka connection and security settings
     * @param topic    the alerts topic
     * @param registry where the bridge's metrics go
     */
    public AlertmanagerBridge(final AlertmanagerSettings settings, final Map<String, Object> client, final String topic,
                              final PrometheusRegistry registry) {
        this.settings = settings;
        this.topic = topic;
        final Map<String, Object> props = new HashMap<>(client);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, settings.offsetReset());
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, settings.groupId());
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        final HttpClient http = HttpClient.newBuilder().connectTimeout(settings.timeout()).build();
        for (final URI url : settings.urls()) {
            clients.add(new AlertmanagerClient(http, url, settings.timeout(), settings.authorization()));
        }
        sent = Counter.builder().name("nelbo_alertmanager_alerts_sent_total")
                .help("Alerts accepted by Alertmanager (sent again after a restart: counted again)").withoutExemplars()
                .register(registry);
        rejected = Counter.builder().name("nelbo_alertmanager_alerts_rejected_total")
                .help("Records of the alerts topic not delivered, by reason: unreadable (not an alert), refused (HTTP 400)")
                .labelNames("reason").withoutExemplars().register(registry);
        failures = Counter.builder().name("nelbo_alertmanager_send_failures_total")
                .help("Requests to an Alertmanager instance that failed (unreachable, timeout, 5xx, 401, 403, 429)")
                .labelNames("alertmanager").withoutExemplars().register(registry);
        upGauge = Gauge.builder().name("nelbo_alertmanager_up")
                .help("1 when the latest batch was accepted by an Alertmanager (or none was sent yet), 0 while none accepts")
                .withoutExemplars().register(registry);
        upGauge.set(1);
        rejected.labelValues("unreadable");
        rejected.labelValues("refused");
        clients.forEach(c -> failures.labelValues(c.name()));
    }

    /** @return whether the latest batch was delivered (or none was sent yet) */
    public boolean up() {
        return upGauge.get() == 1;
    }

    /** @return whether the bridge's consumer has joined its group: it reads the alerts topic */
    public boolean joined() {
        return joined;
    }

    /**
     * Delivers alerts until {@link #close} is called from another thread.
     *
     * @throws InterruptedException when interrupted
     */
    public void run() throws InterruptedException {
        LOG.info("Sending alerts from {} to Alertmanager {} as consumer group {} (new groups start at the {} offset)", topic,
                clients.stream().map(AlertmanagerClient::name).toList(), settings.groupId(), settings.offsetReset());
        consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(final Collection<TopicPartition> partitions) {
                if (!partitions.isEmpty()) {
                    revoked = true;
                }
            }

            @Override
            public void onPartitionsAssigned(final Collection<TopicPartition> partitions) {
                joined = true;
                LOG.info("Alerts topic partitions assigned: {}", partitions);
            }
        });
        try {
            while (running.get()) {
                final ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                if (records.isEmpty()) {
                    continue;
                }
                revoked = false;
                if (deliver(translate(records))) {
                    final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                    for (final TopicPartition tp : records.partitions()) {
                        final List<ConsumerRecord<byte[], byte[]>> part = records.records(tp);
                        offsets.put(tp, new OffsetAndMetadata(part.get(part.size() - 1).offset() + 1));
                    }
                    try {
                        consumer.commitSync(offsets);
                    } catch (final CommitFailedException | RebalanceInProgressException moved) {
                        // the partitions moved on: their new owner sends the batch again, which Alertmanager dedups
                        LOG.info("Delivered {} alerts whose offsets went to another member before the commit",
                                records.count());
                    }
                }
            }
        } catch (final WakeupException stopping) {
            // close() woke the consumer
        } finally {
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(10)));
        }
    }

    private List<ObjectNode> translate(final ConsumerRecords<byte[], byte[]> records) {
        final List<ObjectNode> out = new ArrayList<>(records.count());
        final long now = System.currentTimeMillis();
        for (final ConsumerRecord<byte[], byte[]> r : records) {
            try {
                out.add(AlertmanagerAlert.of(r.value(), settings.staticLabels(), settings.resolve().toMillis(), now));
            } catch (final AlertmanagerAlert.UnreadableAlert e) {
                rejected.labelValues("unreadable").inc();
                LOG.warn("Skipped record {}-{}@{}: not an alert ({})", r.topic(), r.partition(), r.offset(), e.getMessage());
            }
        }
        return out;
    }

    /**
     * @return true when the batch is delivered (or refused for good); false when the batch was given up because its
     * partitions went to another member, or the bridge is stopping
     */
    private boolean deliver(final List<ObjectNode> alerts) throws InterruptedException {
        if (alerts.isEmpty()) {
            return true;
        }
        Duration pause = FIRST_PAUSE;
        while (true) {
            final AlertmanagerClient.Result result = postToAny(alerts);
            if (result.outcome() == AlertmanagerClient.Outcome.ACCEPTED) {
                sent.inc(alerts.size());
                return true;
            }
            if (result.outcome() == AlertmanagerClient.Outcome.REFUSED) {
                return alerts.size() == 1 ? refused(alerts.get(0), result.detail()) : deliverOneByOne(alerts);
            }
            // none accepted: hold the batch and its offsets, keep the group membership, try again
            consumer.pause(consumer.assignment());
            try {
                // partitions assigned during this poll are not paused: put back what it reads from them, so the main
                // loop reads it again rather than skipping it
                final ConsumerRecords<byte[], byte[]> early = consumer.poll(pause);
                for (final TopicPartition tp : early.partitions()) {
                    consumer.seek(tp, early.records(tp).get(0).offset());
                }
            } finally {
                consumer.resume(consumer.paused());
            }
            if (revoked || !running.get()) {
                LOG.info("Gave up a batch of {} undelivered alerts: {}", alerts.size(), revoked
                        ? "its partitions went to another member, which sends it" : "stopping; the next start sends it");
                return false;
            }
            final Duration doubled = pause.multipliedBy(2);
            pause = doubled.compareTo(settings.retryMax()) > 0 ? settings.retryMax() : doubled;
        }
    }

    /** One at a time, to find the alerts Alertmanager refuses and deliver the rest. */
    private boolean deliverOneByOne(final List<ObjectNode> alerts) throws InterruptedException {
        for (final ObjectNode alert : alerts) {
            if (!deliver(List.of(alert))) {
                return false;
            }
        }
        return true;
    }

    private boolean refused(final ObjectNode alert, final String detail) {
        rejected.labelValues("refused").inc();
        LOG.warn("Alertmanager refused alert {}: {}", AlertmanagerAlert.identity(alert), detail);
        return true;
    }

    /**
     * @return the accepting instance's answer when one accepts; else REFUSED when every instance refused, FAILED when
     * one failed, with the last answer's detail
     */
    private AlertmanagerClient.Result postToAny(final List<ObjectNode> alerts) throws InterruptedException {
        final ArrayNode body = JsonNodeFactory.instance.arrayNode().addAll(alerts);
        boolean refusedByAll = true;
        String detail = "";
        for (final AlertmanagerClient c : clients) {
            final AlertmanagerClient.Result r = c.post(body);
            if (r.outcome() == AlertmanagerClient.Outcome.ACCEPTED) {
                if (!up()) {
                    LOG.info("Alertmanager {} accepts alerts again", c.name());
                }
                upGauge.set(1);
                return r;
            }
            detail = r.detail();
            if (r.outcome() == AlertmanagerClient.Outcome.FAILED) {
                refusedByAll = false;
                failures.labelValues(c.name()).inc();
                LOG.warn("Alertmanager {} did not take {} alerts: {}", c.name(), alerts.size(), r.detail());
            }
        }
        if (refusedByAll) {
            return new AlertmanagerClient.Result(AlertmanagerClient.Outcome.REFUSED, detail);
        }
        upGauge.set(0);
        return new AlertmanagerClient.Result(AlertmanagerClient.Outcome.FAILED, detail);
    }

    /** Stops {@link #run} (from another thread, e.g. a shutdown hook). */
    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
    }
}
