package dev.nelbo.scorer.topology;

import dev.nelbo.scorer.rules.AlertRules;
import java.util.function.Supplier;
import dev.nelbo.scorer.config.ScorerConfig;
import dev.nelbo.scorer.config.ScorerKey;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.metrics.ScorerMetrics;
import dev.nelbo.scorer.model.ModelManager;
import dev.nelbo.scorer.pipeline.PipelineSettings;
import dev.nelbo.scorer.pipeline.Suppression;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The scorer's topology: events (raw bytes, so deserialization problems are the pipeline's to
 * dead-letter) -> {@link ScoringProcessor} -> scores, alerts, dead letters (and, with {@code nelbo.shadow.topic},
 * the shadow model's scores).
 */
public final class ScorerTopology {

    /** Source node reading the events topic. */
    public static final String SOURCE = "events-source";
    /** The scoring processor node. */
    public static final String PROCESSOR = "score";
    /** Sink node writing score records. */
    public static final String SCORES_SINK = "scores-sink";
    /** Sink node writing alerts. */
    public static final String ALERTS_SINK = "alerts-sink";
    /** Sink node writing dead letters. */
    public static final String DLQ_SINK = "dlq-sink";
    /** Sink node writing the shadow model's score records (only with nelbo.shadow.topic). */
    public static final String SHADOW_SINK = "shadow-sink";
    /** Changelogged store of per-key alert suppression. */
    public static final String SUPPRESSION_STORE = "nelbo-alert-suppression";
    /** Changelogged store of per-key history (models with history features). */
    public static final String HISTORY_STORE = "nelbo-entity-history";
    /** Per-key state of the entity test: each key's CUSUM statistic and run of evidence (changelogged). */
    public static final String ENTITY_STORE = "nelbo-entity-evidence";
    /** Per-key state of the silence test: each key's cadence (changelogged). */
    public static final String SILENCE_STORE = "nelbo-entity-cadence";
    /** Data-less store whose pre-commit flush drains the batch buffer (see {@link StreamsInternals}). */
    static final String PRE_COMMIT_STORE = "nelbo-pre-commit-flush";

    private ScorerTopology() {
    }

    /**
     * @param config  scorer configuration
     * @param models  the model manager (must hold a model before the topology runs)
     * @param metrics metrics
     * @param outputTimes the timestamps the output topics accept
     * @param rules   the alert rules in force (they change while the topology runs)
     * @return the topology
     */
    public static Topology build(final ScorerConfig config, final ModelManager models, final ScorerMetrics metrics,
                                 final OutputTimestamps outputTimes, final Supplier<AlertRules> rules) {
        return build(config.pipelineSettings(), config.topics(), config.get(ScorerKey.SHADOW_TOPIC).orElse(null), models,
                metrics, outputTimes, rules);
    }

    /**
     * @param settings    pipeline settings
     * @param topics      topic names
     * @param shadowTopic where the shadow model's score records go, or null for no shadow scoring
     * @param models      the model manager
     * @param metrics     metrics
     * @param outputTimes the timestamps the output topics accept
     * @param rules       the alert rules in force
     * @return the topology
     */
    static Topology build(final PipelineSettings settings, final Topics topics, final String shadowTopic,
                          final ModelManager models, final ScorerMetrics metrics, final OutputTimestamps outputTimes,
                          final Supplier<AlertRules> rules) {
        final Topology t = new Topology();
        // no per-source offset reset (null): auto.offset.reset applies
        t.addSource((AutoOffsetReset) null, SOURCE, new RecordTimes(metrics, System::currentTimeMillis),
                new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.events());
        t.addProcessor(PROCESSOR, () -> new ScoringProcessor(models, metrics, settings, shadowTopic != null,
                outputTimes, rules), SOURCE);
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(SUPPRESSION_STORE), Serdes.String(),
                Suppression.serde()).withCachingDisabled(), PROCESSOR);
        // not cached: the processor writes a key updated many times between two commits once, before the commit
        // (WriteBehindKeyedStore), so its changelog gets one record per key per commit
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(HISTORY_STORE), Serdes.String(),
                Serdes.ByteArray()).withCachingDisabled(), PROCESSOR);
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ENTITY_STORE), Serdes.String(),
                Serdes.ByteArray()).withCachingDisabled(), PROCESSOR);
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(SILENCE_STORE), Serdes.String(),
                Serdes.ByteArray()).withCachingDisabled(), PROCESSOR);
        t.addStateStore(StreamsInternals.preCommitStore(PRE_COMMIT_STORE), PROCESSOR);
        t.addSink(SCORES_SINK, topics.scores(), new ByteArraySerializer(), new ByteArraySerializer(), PROCESSOR);
        t.addSink(ALERTS_SINK, topics.alerts(), new ByteArraySerializer(), new ByteArraySerializer(), PROCESSOR);
        t.addSink(DLQ_SINK, topics.dlq(), new ByteArraySerializer(), new ByteArraySerializer(), PROCESSOR);
        if (shadowTopic != null) {
            t.addSink(SHADOW_SINK, shadowTopic, new ByteArraySerializer(), new ByteArraySerializer(), PROCESSOR);
        }
        return t;
    }
}
