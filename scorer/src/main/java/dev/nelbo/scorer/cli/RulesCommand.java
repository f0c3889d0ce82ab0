package dev.nelbo.scorer.cli;

import dev.nelbo.schemas.json.Json;
import dev.nelbo.scorer.config.ScorerConfig;
import dev.nelbo.scorer.config.ScorerKey;
import dev.nelbo.scorer.rules.AlertRule;
import dev.nelbo.scorer.rules.AlertRules;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

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
                        final com.fasterxml.jackson.databind.JsonNode alert = Json.DOCUMENTS.readTree(a);
                        dropped += alone.decide(alert, AlertRules.contextOf(alert), now).send() ? 0 : 1;
                    } catch (final java.io.IOException e) {
                        unreadable++;
                    }
                }
                out.printf("dry run: %s would have dropped %d of the last %d alerts%s%s%n", rule.describe(), dropped,
                        alerts.size(), unreadable > 0 ? " (" + unreadable + " records not alerts)" : "",
                        rule.contextFeature() != null ? "; alerts carry the values of categorical and binary context"
                                + " features only, so a mute of another feature's value matches none of them here" : "");
                return 0;
            }
            final String topic = cfg.require(ScorerKey.TOPIC_RULES);
            TopicIo.write(cfg.clientProperties(), topic, AlertRule.MAX_BYTES, rule.id(), rule.toJson());
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
            TopicIo.remove(cfg.clientProperties(), topic, AlertRule.MAX_BYTES, id, spec.commandLine().getErr(),
                    AlertRule::apply, "rule");
            spec.commandLine().getOut().println("removed " + id + " from " + topic);
            return 0;
        }
    }

    /** @return the rules the topic holds now, by id, as the scorers follow it (records that are not rules: said on err) */
    private static Map<String, AlertRule> read(final Map<String, Object> client, final String topic, final PrintWriter err) {
        return TopicIo.latest(client, topic, err, AlertRule::apply);
    }

    /** @return the values of about the last n records of the topic, oldest first */
    private static List<byte[]> tail(final Map<String, Object> client, final String topic, final int n) {
        final List<ConsumerRecord<String, byte[]>> records = new ArrayList<>(TopicIo.last(client, topic, n));
        records.sort(Comparator.comparingLong(ConsumerRecord::timestamp));
        return records.subList(Math.max(0, records.size() - n), records.size()).stream().map(ConsumerRecord::value).toList();
    }
}
