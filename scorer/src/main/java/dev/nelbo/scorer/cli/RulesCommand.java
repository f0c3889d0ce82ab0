package dev.nelbo.scorer.cli;

import dev.nelbo.registry.Topics;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.scorer.config.ScorerConfig;
import dev.nelbo.scorer.config.ScorerKey;
import dev.nelbo.scorer.rules.AlertRule;
import dev.nelbo.scorer.rules.AlertRules;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code rules}: the alert rules every scorer instance follows live, in the compacted rules topic
 * ({@code nelbo.topic.rules}).
 */
@Command(name = "rules", mixinStandardHelpOptions = true,
        description = {"Manage alert rules: which deviations matter (direction rules) and mutes with an expiry.",
                "Every scorer instance follows the rules topic and applies a change within about a second; rules act on"
                        + " alerting only, scores never change."},
        subcommands = {RulesCommand.Add.class, RulesCommand.ListRules.class, RulesCommand.Remove.class})
public final class RulesCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code rules add}. */
    @Command(name = "add", mixinStandardHelpOptions = true, description = {
            "Add or replace a rule (by id). A direction rule: --feature F --direction above|below|both [--min-abs X]"
                    + " [--min-rel X]. A mute: --mute with --key, --feature and/or --context NAME=VALUE, --for or --until,"
                    + " and --reason.",
            "--dry-run: write nothing; say how many of the last --last alerts the rule would have dropped."})
    static final class Add implements Callable<Integer> {
        @Mixin
        private SettingsOptions options = new SettingsOptions();
        @Spec
        private CommandSpec spec;
        @Option(names = "--id", required = true, description = "The rule's name (letters, digits, '_', '.', '-').")
        private String id;
        @Option(names = "--mute", description = "A mute rather than a direction rule.")
        private boolean mute;
        @Option(names = "--feature", description = "Direction: the feature; mute: the leading feature muted.")
        private String feature;
        @Option(names = "--direction", description = "above, below or both.")
        private String direction;
        @Option(names = "--min-abs", description = "Smallest absolute deviation from the expected value that matters.")
        private Double minAbs;
        @Option(names = "--min-rel", description = "Smallest deviation relative to the expected value (0.2: 20%%).")
        private Double minRel;
        @Option(names = "--key", description = "Mute: the entity key.")
        private String key;
        @Option(names = "--context", paramLabel = "NAME=VALUE", description = "Mute: an event feature's value.")
        private String context;
        @Option(names = "--for", paramLabel = "DURATION", description = "Mute: for this long from now (ISO-8601, e.g. PT2H).")
        private Duration lasting;
        @Option(names = "--until", paramLabel = "INSTANT", description = "Until this instant (e.g. 2026-12-07T18:00:00Z).")
        private Instant until;
        @Option(names = "--reason", description = "Why (a mute needs one).")
        private String reason;
        @Option(names = "--dry-run", description = "Write nothing; count the recent alerts the rule would drop.")
        private boolean dryRun;
        @Option(names = "--last", defaultValue = "1000", description = "Alerts the dry run reads. Default: ${DEFAULT-VALUE}")
        private int last;

        @Override
        public Integer call() {
            final ScorerConfig cfg = options.load();
            final String expires = until != null ? until.toString() : lasting != null ? Instant.now().plus(lasting).toString() : null;
            String contextFeature = null;
            String contextValue = null;
            if (context != null) {
                if (!context.contains("=")) {
                    throw new IllegalArgumentException("--context: NAME=VALUE, got " + context);
                }
                contextFeature = context.substring(0, context.indexOf('='));
                contextValue = context.substring(context.indexOf('=') + 1);
            }
            final AlertRule rule = new AlertRule(id, mute ? AlertRule.MUTE : AlertRule.DIRECTION, feature, direction, minAbs,
                    minRel, key, contextFeature, contextValue, expires, reason);
            final PrintWriter out = spec.commandLine().getOut();
            if (dryRun) {
                final List<byte[]> alerts = tail(cfg.clientProperties(), cfg.require(ScorerKey.TOPIC_ALERTS), last);
                final AlertRules alone = AlertRules.of(List.of(rule));
                final long now = System.currentTimeMillis();
                int dropped = 0;
                int unreadable = 0;
                for (final byte[] a : alerts) {
                    try {
                        dropped += alone.decide(Json.DOCUMENTS.readTree(a), n -> Optional.empty(), now).send() ? 0 : 1;
                    } catch (final java.io.IOException e) {
                        unreadable++;
                    }
                }
                out.printf("dry run: %s would have dropped %d of the last %d alerts%s%s%n", rule.describe(), dropped,
                        alerts.size(), unreadable > 0 ? " (" + unreadable + " records not alerts)" : "",
                        rule.contextFeature() != null ? "; alerts do not carry context values, so a context mute matches"
                                + " none of them here" : "");
                return 0;
            }
            final String topic = cfg.require(ScorerKey.TOPIC_RULES);
            write(cfg.clientProperties(), topic, rule.id(), rule.toJson());
            out.println("added " + rule.describe() + " to " + topic);
            return 0;
        }
    }

    /** {@code rules list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "The rules in the rules topic, expired ones marked.")
    static final class ListRules implements Callable<Integer> {
        @Mixin
        private SettingsOptions options = new SettingsOptions();
        @Spec
        private CommandSpec spec;

        @Override
        public Integer call() {
            final ScorerConfig cfg = options.load();
            final PrintWriter out = spec.commandLine().getOut();
            final Map<String, AlertRule> rules = read(cfg.clientProperties(), cfg.require(ScorerKey.TOPIC_RULES), out);
            final long now = System.currentTimeMillis();
            rules.values().forEach(r -> out.println(r.describe() + (r.activeAt(now) ? "" : "  [expired]")));
            out.println(rules.size() + " rule(s)");
            return 0;
        }
    }

    /** {@code rules remove}. */
    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a rule (a tombstone for its id).")
    static final class Remove implements Callable<Integer> {
        @Mixin
        private SettingsOptions options = new SettingsOptions();
        @Spec
        private CommandSpec spec;
        @Parameters(paramLabel = "ID", description = "The rule's id.")
        private String id;

        @Override
        public Integer call() {
            final ScorerConfig cfg = options.load();
            final String topic = cfg.require(ScorerKey.TOPIC_RULES);
            if (!read(cfg.clientProperties(), topic, spec.commandLine().getErr()).containsKey(id)) {
                throw new IllegalArgumentException("no rule '" + id + "' in " + topic + " (rules list shows them)");
            }
            write(cfg.clientProperties(), topic, id, null);
            spec.commandLine().getOut().println("removed " + id + " from " + topic);
            return 0;
        }
    }

    private static void write(final Map<String, Object> client, final String topic, final String id, final byte[] value) {
        try (Admin admin = Admin.create(client)) {
            Topics.ensureCompacted(admin, topic, AlertRule.MAX_BYTES);
        }
        final Map<String, Object> p = new HashMap<>(client);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, id, value)).get(30, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted writing to " + topic, e);
        } catch (final java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("could not write to " + topic + ": " + (e.getCause() != null
                    ? e.getCause().getMessage() : e.getMessage()), e);
        }
    }

    /** @return the rules the topic holds now, by id, as the scorers follow it (records that are not rules: said on err) */
    private static Map<String, AlertRule> read(final Map<String, Object> client, final String topic, final PrintWriter err) {
        final Map<String, AlertRule> rules = new TreeMap<>();
        for (final ConsumerRecord<String, byte[]> r : range(client, topic, Long.MAX_VALUE)) {
            try {
                AlertRule.apply(rules, r.key(), r.value());
            } catch (final IllegalArgumentException e) {
                err.println("skipped " + r.topic() + "-" + r.partition() + "@" + r.offset() + ": " + e.getMessage());
            }
        }
        return rules;
    }

    /** @return the values of about the last n records of the topic, oldest first */
    private static List<byte[]> tail(final Map<String, Object> client, final String topic, final int n) {
        final List<ConsumerRecord<String, byte[]>> records = range(client, topic, n);
        records.sort(Comparator.comparingLong(ConsumerRecord::timestamp));
        return records.subList(Math.max(0, records.size() - n), records.size()).stream().map(ConsumerRecord::value).toList();
    }

    /** @return each partition's last perPartition records (all: Long.MAX_VALUE), read to the end offsets of now */
    private static List<ConsumerRecord<String, byte[]>> range(final Map<String, Object> client, final String topic,
                                                              final long perPartition) {
        final Map<String, Object> p = new HashMap<>(client);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            if (parts.isEmpty()) {
                return out;
            }
            c.assign(parts);
            final Map<TopicPartition, Long> begin = c.beginningOffsets(parts);
            final Map<TopicPartition, Long> end = c.endOffsets(parts);
            for (final TopicPartition tp : parts) {
                c.seek(tp, Math.max(begin.get(tp), end.get(tp) - Math.min(perPartition, end.get(tp))));
            }
            final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end within 30 s");
                }
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
