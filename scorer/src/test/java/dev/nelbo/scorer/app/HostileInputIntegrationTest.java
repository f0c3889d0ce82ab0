package dev.nelbo.scorer.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.schemas.testing.GeneratedInputs;
import dev.nelbo.scorer.config.Topics;
import dev.nelbo.scorer.testkit.ScorerFixtures;
import dev.nelbo.scorer.testkit.TestScorers;
import dev.nelbo.testkit.KafkaTestClients;
import dev.nelbo.testkit.SharedBroker;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No record can stop the scorer, on a real broker: every hostile input class of the issue, generated records (value,
 * key, timestamp including -1, and header bytes),
 * and records at the size boundaries (just under the broker's {@code message.max.bytes}; an output over the
 * producer's {@code max.request.size}) each give exactly one score or dead letter, and good events before
 * and after are scored by the same, still running, instance.
 */
class HostileInputIntegrationTest {

    /** The broker's default message.max.bytes (1 MiB + 12). */
    private static final int BROKER_MAX = 1_048_588;

    @TempDir
    Path dir;

    /** What one input must come out as. */
    private record Expect(String name, String reason, boolean anomaly) {
    }

    @Test
    void every_hostile_input_gives_one_score_or_dead_letter_and_the_scorer_keeps_running() throws Exception {
        final Topics topics = TestScorers.freshTopics("hostile", 1);
        ScorerFixtures.writeModel(dir.resolve("model"), 1);
        final List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        final String events = topics.events();
        final List<Expect> expect = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            records.add(new ProducerRecord<>(events, key("before-" + i), ScorerFixtures.normal(i)));
            expect.add(new Expect("good before " + i, null, false));
        }
        for (final ScorerFixtures.BadRecord b : ScorerFixtures.badRecords(1000)) {
            records.add(new ProducerRecord<>(events, null, b.value()));
            expect.add(new Expect(b.name(), b.expected() == null ? null : b.expected().wireName(), false));
        }
        for (final ScorerFixtures.Extreme x : ScorerFixtures.extremes(2000)) {
            records.add(new ProducerRecord<>(events, key("extreme-" + x.name()), x.value()));
            expect.add(new Expect(x.name(), null, true));
        }
        final Random rnd = new Random(11);
        // generated records: value, key, timestamp and headers, each as any producer may write them
        final long now = System.currentTimeMillis();
        for (int i = 0; i < 300; i++) {
            final byte[] key = rnd.nextBoolean() ? null : GeneratedInputs.arbitraryBytes(rnd, 64);
            final byte[] value = i % 2 == 0 ? GeneratedInputs.arbitraryBytes(rnd, 500)
                    : GeneratedInputs.mutate(rnd, ScorerFixtures.normal(3000 + i));
            final Long ts = switch (rnd.nextInt(5)) {
                case 0 -> null;
                case 1 -> 0L;
                case 2 -> now - (rnd.nextLong() >>> 24);
                case 3 -> now + rnd.nextInt(1_800_000);
                default -> -1L;
            };
            final RecordHeaders headers = new RecordHeaders();
            for (int h = rnd.nextInt(3); h > 0; h--) {
                headers.add(new String(GeneratedInputs.arbitraryBytes(rnd, 20), StandardCharsets.UTF_8),
                        rnd.nextInt(4) == 0 ? null : GeneratedInputs.arbitraryBytes(rnd, 100));
            }
            records.add(ts != null && ts < 0 ? KafkaTestClients.withoutTimestamp(events, key, value)
                    : new ProducerRecord<>(events, null, ts, key, value, headers));
            expect.add(new Expect("generated " + i, "?", false));
        }
        // just under the broker's limit: refused unread (too_large), its dead letter bounded
        final byte[] nearLimit = ("{\"pad\":\"" + "x".repeat(BROKER_MAX - 300) + "\"}").getBytes(StandardCharsets.UTF_8);
        records.add(new ProducerRecord<>(events, null, nearLimit));
        expect.add(new Expect("value just under message.max.bytes", "too_large", false));
        // a key that leaves no room for the score under max.request.size: the score goes out without the Kafka key
        final int hugeKey = records.size();
        records.add(new ProducerRecord<>(events, new byte[BROKER_MAX - 400], ScorerFixtures.normal(5000)));
        expect.add(new Expect("key just under message.max.bytes", null, false));
        for (int i = 0; i < 50; i++) {
            records.add(new ProducerRecord<>(events, key("after-" + i), ScorerFixtures.normal(6000 + i)));
            expect.add(new Expect("good after " + i, null, false));
        }

        final Map<String, String> settings = TestScorers.settings(SharedBroker.uniqueName("hostile-app"), topics,
                dir.resolve("model"), Map.of("nelbo.alert.suppression.window.ms", "0"));
        try (ScorerService service = ScorerService.start(TestScorers.config(settings), new PrometheusRegistry(), false)) {
            final List<RecordMetadata> sent = KafkaTestClients.send(records);
            final List<ConsumerRecord<byte[], byte[]>> out = KafkaTestClients.readCommitted(
                    List.of(topics.scores(), topics.dlq()), Duration.ofSeconds(90), l -> l.size() >= sent.size());
            final Map<Long, List<ConsumerRecord<byte[], byte[]>>> byOffset = new HashMap<>();
            for (final ConsumerRecord<byte[], byte[]> r : out) {
                final JsonNode doc = ScorerFixtures.parse(r.value());
                assertEquals(List.of(), Schemas.validate(r.topic().equals(topics.dlq()) ? SchemaDocument.DEAD_LETTER
                        : SchemaDocument.SCORE, doc), doc.toString());
                assertTrue(r.serializedValueSize() < 8 * 1024 || !r.topic().equals(topics.dlq()), "dead letter of "
                        + r.serializedValueSize() + " bytes");
                byOffset.computeIfAbsent(doc.at("/source/offset").asLong(), k -> new ArrayList<>()).add(r);
            }
            for (int i = 0; i < records.size(); i++) {
                final Expect e = expect.get(i);
                final List<ConsumerRecord<byte[], byte[]>> mine = byOffset.getOrDefault(sent.get(i).offset(), List.of());
                assertEquals(1, mine.size(), e.name() + " gave " + mine.size() + " outputs");
                final ConsumerRecord<byte[], byte[]> r = mine.get(0);
                final JsonNode doc = ScorerFixtures.parse(r.value());
                if (!"?".equals(e.reason())) {
                    assertEquals(e.reason(), r.topic().equals(topics.dlq()) ? doc.get("reason").asText() : null,
                            e.name() + ": " + doc);
                }
                if (e.anomaly()) {
                    assertTrue(doc.get("anomaly").asBoolean(), e.name());
                    assertEquals("bytes", doc.at("/clamped/0/feature").asText(), e.name());
                }
            }
            assertTrue(byOffset.get(sent.get(hugeKey).offset()).get(0).key() == null, "the score went out without the huge key");
            assertEquals(KafkaStreams.State.RUNNING, service.state());
            assertTrue(service.isReady());
        }
    }

    private static byte[] key(final String k) {
        return k.getBytes(StandardCharsets.UTF_8);
    }
}
