package dev.nelbo.deploy.cli;

import dev.nelbo.contract.TopicNames;
import dev.nelbo.deploy.kafka.TopicProvisioner;
import dev.nelbo.deploy.kafka.TopicSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Creates nelbo's topics and waits until every partition has a leader. */
@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "Create the topics nelbo needs (idempotent) and wait until every partition has a leader.")
public final class TopicsCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @CommandLine.Mixin
    private KafkaClientOptions kafka;

    @Option(names = "--events", defaultValue = TopicNames.EVENTS, description = "Input topic. Default: ${DEFAULT-VALUE}")
    private String events;

    @Option(names = "--scores", defaultValue = TopicNames.SCORES, description = "Default: ${DEFAULT-VALUE}")
    private String scores;

    @Option(names = "--alerts", defaultValue = TopicNames.ALERTS, description = "Default: ${DEFAULT-VALUE}")
    private String alerts;

    @Option(names = "--dlq", defaultValue = TopicNames.DLQ, description = "Default: ${DEFAULT-VALUE}")
    private String dlq;

    @Option(names = "--registry", defaultValue = TopicNames.REGISTRY, description = "Model registry topic (compacted). Default: ${DEFAULT-VALUE}")
    private String registry;

    @Option(names = "--status", defaultValue = TopicNames.STATUS,
            description = "Scorer status topic (compacted; which instance serves or refused which model). Default: ${DEFAULT-VALUE}")
    private String status;

    @Option(names = "--rules", defaultValue = TopicNames.RULES,
            description = "Alert rules topic (compacted; every scorer instance follows it). Default: ${DEFAULT-VALUE}")
    private String rules;

    @Option(names = "--feedback", defaultValue = TopicNames.FEEDBACK,
            description = "Operators' labels of alerts (compacted; the scorers and retrain read it). Default: ${DEFAULT-VALUE}")
    private String feedback;

    @Option(names = "--partitions", defaultValue = "6",
            description = "Partitions of the events and scores topics (the scorer's parallelism). Default: ${DEFAULT-VALUE}")
    private int partitions;

    @Option(names = "--replication-factor", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}")
    private short replicationFactor;

    @Option(names = "--timeout", defaultValue = "60", description = "Seconds to wait for the broker and partition leaders. Default: ${DEFAULT-VALUE}")
    private int timeoutSeconds;

    @Override
    public Integer call() {
        try (TopicProvisioner provisioner = new TopicProvisioner(kafka.properties(spec), Duration.ofSeconds(timeoutSeconds))) {
            for (final String line : provisioner.ensure(plan(), replicationFactor)) {
                spec.commandLine().getOut().println(line);
            }
        }
        spec.commandLine().getOut().println("every partition has a leader");
        return 0;
    }

    /** @return nelbo's topics with the partition counts and configs chosen on the command line */
    List<TopicSpec> plan() {
        // Alerts and dead letters are a small fraction of the input: fewer partitions keep the broker light.
        final int side = Math.max(1, (partitions + 1) / 2);
        return List.of(
                new TopicSpec(events, partitions, Map.of()),
                new TopicSpec(scores, partitions, Map.of()),
                new TopicSpec(alerts, side, Map.of()),
                new TopicSpec(dlq, side, Map.of()),
                // One partition keeps the registry totally ordered; compaction keeps the latest record per key;
                // model bundles can exceed the default 1 MB record limit.
                new TopicSpec(registry, 1, Map.of("cleanup.policy", "compact", "max.message.bytes", "16777216")),
                new TopicSpec(status, 1, Map.of("cleanup.policy", "compact")),
                new TopicSpec(rules, 1, Map.of("cleanup.policy", "compact")),
                new TopicSpec(feedback, 1, Map.of("cleanup.policy", "compact")));
    }
}
