package dev.nelbo.schemas.spec;

import dev.nelbo.schemas.SchemaDocument;
import dev.nelbo.schemas.Schemas;
import dev.nelbo.schemas.event.AvroEventReader;
import dev.nelbo.schemas.event.DecodeLimits;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.testing.TestAvro;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SchemaSpecProposalTest {

    private static Map<String, FeatureDef> byName(final FeatureSpec spec) {
        return spec.features().stream().collect(Collectors.toMap(FeatureDef::name, f -> f));
    }

    @Test
    void proposes_types_missing_policies_and_the_id_key_and_time_from_the_schema() {
        final SpecInference.Result r = SchemaSpecProposal.fromAvro(TestAvro.SCHEMA, SpecInference.Options.defaults());
        final FeatureSpec spec = r.spec();
        assertEquals("event_id", spec.idPath());
        assertEquals("key", spec.keyPath());
        assertEquals("ts", spec.timestampPath());
        final Map<String, FeatureDef> f = byName(spec);
        assertEquals(List.of("http.latency_ms", "bytes", "retried", "region", "ts_hour"),
                spec.features().stream().map(FeatureDef::name).toList(), "the map 'tags' is left out");
        assertEquals(FeatureType.CONTINUOUS, f.get("http.latency_ms").type());
        assertEquals("http.latency_ms", f.get("http.latency_ms").path(), "a nested record's field by its dotted path");
        assertEquals(MissingPolicy.REJECT, f.get("http.latency_ms").missing());
        assertEquals(MissingPolicy.IMPUTE, f.get("bytes").missing(), "a union with null may be missing");
        assertEquals(FeatureType.BINARY, f.get("retried").type());
        assertEquals(FeatureType.CATEGORICAL, f.get("region").type());
        assertEquals(FeatureType.TIME, f.get("ts_hour").type());
        assertTrue(f.get("ts_hour").contextual());
        assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("'tags': map: left out")), r.notes().toString());
        assertEquals(List.of(), Schemas.validate(SchemaDocument.FEATURE_SPEC, Json.DOCUMENTS.valueToTree(spec)));
        // what it proposes, the Avro reader serves
        AvroEventReader.format(TestAvro.SCHEMA).parser(spec, DecodeLimits.defaults());
    }

    @Test
    void proposes_the_same_features_from_the_protobuf_twin_of_the_schema() {
        final com.google.protobuf.Descriptors.Descriptor type = dev.nelbo.schemas.event.ProtobufEventReader.messageType(
                dev.nelbo.schemas.testing.TestProto.DESCRIPTOR_SET, "dev.nelbo.test.Event");
        final SpecInference.Result r = SchemaSpecProposal.fromProtobuf(type, SpecInference.Options.defaults());
        final FeatureSpec avro = SchemaSpecProposal.fromAvro(TestAvro.SCHEMA, SpecInference.Options.defaults()).spec();
        assertEquals(avro.features().stream().map(f -> f.name() + ":" + f.type()).toList(),
                r.spec().features().stream().map(f -> f.name() + ":" + f.type()).toList());
        assertEquals(List.of("event_id", "key", "ts"), List.of(r.spec().idPath(), r.spec().keyPath(), r.spec().timestampPath()));
        final Map<String, FeatureDef> f = byName(r.spec());
        assertEquals(MissingPolicy.IMPUTE, f.get("bytes").missing(), "a wrapper may be unset");
        assertEquals(MissingPolicy.IMPUTE, f.get("http.latency_ms").missing(), "inside a message, which may be unset");
        assertEquals(MissingPolicy.REJECT, f.get("retried").missing(), "a proto3 scalar is always there");
        assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("'tags': map: left out")), r.notes().toString());
        dev.nelbo.schemas.event.ProtobufEventReader.format(type).parser(r.spec(), DecodeLimits.defaults());
    }

    @Test
    void leaves_out_what_it_cannot_read_and_says_why() {
        final Schema s = AvroEventReader.parseSchema("""
                {"type":"record","name":"E","fields":[
                  {"name":"id","type":"string"},
                  {"name":"when","type":{"type":"long","logicalType":"timestamp-micros"}},
                  {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
                  {"name":"day","type":{"type":"int","logicalType":"date"}},
                  {"name":"either","type":["null","int","string"]},
                  {"name":"blob","type":"bytes"},
                  {"name":"items","type":{"type":"array","items":"int"}},
                  {"name":"status","type":{"type":"enum","name":"S","symbols":[%s]}},
                  {"name":"label","type":"boolean"},
                  {"name":"meta","type":["null",{"type":"record","name":"M","fields":[{"name":"size","type":"long"}]}]}]}"""
                .formatted(java.util.stream.IntStream.range(0, 40).mapToObj(i -> "\"S" + i + "\"")
                        .collect(Collectors.joining(","))));
        final SpecInference.Result r = SchemaSpecProposal.fromAvro(s, SpecInference.Options.defaults().withLabel("label"));
        final Map<String, FeatureDef> f = byName(r.spec());
        assertEquals("id", r.spec().idPath());
        assertEquals("when", r.spec().timestampPath(), "a timestamp by its logical type");
        assertEquals(FeatureType.CONTINUOUS, f.get("price").type(), "a decimal is a number");
        assertEquals(MissingPolicy.IMPUTE, f.get("meta.size").missing(), "inside a nullable record");
        assertEquals(40, r.spec().maxCategories(), "the vocabulary holds the largest enum (over the default 32)");
        assertTrue(!f.containsKey("label") && !f.containsKey("day") && !f.containsKey("either") && !f.containsKey("blob")
                && !f.containsKey("items"), f.keySet().toString());
        for (final String note : List.of("'day': date", "'either': a union of 2 types", "'blob': bytes", "'items': array")) {
            assertTrue(r.notes().stream().anyMatch(n -> n.startsWith(note)), note + " in " + r.notes());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SchemaSpecProposal.fromAvro(AvroEventReader.parseSchema(
                "{\"type\":\"record\",\"name\":\"X\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}"),
                SpecInference.Options.defaults())).getMessage().contains("no field of X can be a feature"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SchemaSpecProposal.fromAvro(AvroEventReader.parseSchema(
                "\"string\""), SpecInference.Options.defaults())).getMessage().contains("must be a record"));
    }
}
