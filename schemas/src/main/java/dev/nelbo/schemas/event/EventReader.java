package dev.nelbo.schemas.event;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FailureReason;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the fields a feature spec names out of one JSON event with Jackson's streaming parser, without
 * building a tree: the spec's dotted paths are compiled into a trie of field names, fields off every path
 * are skipped, and each value on a path lands in its slot of an {@link EventFields}. This is the one way
 * every part of nelbo reads an event (training JSONL, the streaming scorer, the shadow scorer, offline
 * scoring, retraining), so all of them see the same values.
 *
 * <p>Total: for any byte sequence {@link #read} either fills the holder or throws an
 * {@link EncodingException} with a typed reason ({@code malformed}, {@code not_an_object},
 * {@code too_large}, {@code too_deep}, {@code number_too_long}, {@code string_too_long}). The limits are
 * checked here rather than by Jackson, whose constraint errors carry no location and no kind.
 *
 * <p>Semantics match a tree lookup: a path segment only descends into an object; a field that occurs
 * twice takes its last value (and a repeated object replaces everything under it); numbers read as text
 * (categorical features, ids, keys) keep the text a Jackson tree would give them ({@code 3}, {@code 2.5},
 * {@code 1.0E-5}). Immutable and thread-safe; use one {@link EventFields} per thread.
 */
public final class EventReader implements EventParser {

    /**
     * Jackson's own limits are lifted (numbers, strings and names of any length, any depth): this reader
     * enforces {@link DecodeLimits} itself so that each violation gets its own reason. NaN and Infinity tokens
     * are read as numbers, so a NaN is {@code not_finite} rather than malformed JSON.
     */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(Integer.MAX_VALUE)
                    .maxNumberLength(Integer.MAX_VALUE)
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNameLength(Integer.MAX_VALUE)
                    .build())
            .build();

    private final DecodeLimits limits;
    private final int features;
    private final int extras;
    private final boolean[] needsText;
    /** Slots read as the literal text of a number (ids and keys) rather than a tree's text of it. */
    private final boolean[] literal;
    private final Node root = new Node();

    private EventReader(final List<String> featurePaths, final boolean[] featureText, final String idPath,
                        final String keyPath, final String timePath, final List<String> extraPaths,
                        final DecodeLimits limits) {
        this.limits = limits;
        this.features = featurePaths.size();
        this.extras = extraPaths.size();
        this.needsText = new boolean[features + 3 + extras];
        this.literal = new boolean[features + 3 + extras];
        literal[EventFields.idSlot(features)] = true;
        literal[EventFields.keySlot(features)] = true;
        for (int f = 0; f < features; f++) {
            add(featurePaths.get(f), f, featureText[f]);
        }
        add(idPath, EventFields.idSlot(features), true);
        add(keyPath, EventFields.keySlot(features), true);
        add(timePath, EventFields.timeSlot(features), false);
        for (int e = 0; e < extras; e++) {
            add(extraPaths.get(e), EventFields.extraSlot(features, e), true);
        }
        root.seal();
    }

    /**
     * @param spec       the feature spec whose features, id, key and time paths are read
     * @param limits     what an event may be
     * @param extraPaths more dotted paths to read as text (a label column), see {@link EventFields#extra}
     * @return the reader
     */
    public static EventReader forSpec(final FeatureSpec spec, final DecodeLimits limits, final String... extraPaths) {
        final List<FeatureDef> defs = spec.features();
        final boolean[] text = new boolean[defs.size()];
        for (int f = 0; f < text.length; f++) {
            text[f] = defs.get(f).type() == FeatureType.CATEGORICAL;
        }
        // history features read no path: their values come from the entity's past events
        return new EventReader(defs.stream().map(f -> f.derivedFromHistory() ? null : f.path()).toList(), text, spec.idPath(), spec.keyPath(),
                spec.timestampPath(), Arrays.asList(extraPaths), limits);
    }

    /**
     * @param idPath dotted path of the id
     * @param limits what a document may be
     * @return a reader of one field, the id (for documents that are not events, such as alerts)
     */
    public static EventReader forId(final String idPath, final DecodeLimits limits) {
        return new EventReader(List.of(), new boolean[0], idPath, null, null, List.of(), limits);
    }

    /** @return a holder sized for this reader */
    @Override
    public EventFields newFields() {
        return new EventFields(features, extras);
    }

    /** @return the limits this reader enforces */
    public DecodeLimits limits() {
        return limits;
    }

    /**
     * @param path a dotted path
     * @return its segments
     */
    public static String[] splitPath(final String path) {
        return path.split("\\.", -1);
    }

    /**
     * Reads one event into {@code into} (every slot is reset first).
     *
     * @param bytes the record value, UTF-8 JSON
     * @param into  receives the values at the reader's paths
     * @throws EncodingException with a typed reason when the bytes are not a readable JSON object within the
     *                           limits; nothing else, whatever the bytes
     */
    @Override
    public void read(final byte[] bytes, final EventFields into) {
        into.clear();
        if (bytes == null || bytes.length == 0) {
            throw new EncodingException(FailureReason.MALFORMED, null, "empty record: expected a JSON object");
        }
        if (bytes.length > limits.maxBytes()) {
            throw new EncodingException(FailureReason.TOO_LARGE, null, "record of " + bytes.length
                    + " bytes exceeds the limit of " + limits.maxBytes() + " bytes");
        }
        final int invalid = Utf8.firstInvalid(bytes);
        if (invalid >= 0) {
            throw new EncodingException(FailureReason.MALFORMED, null, "not UTF-8 JSON: " + (Utf8.startsWithByteOrderMark(bytes)
                    ? "a byte order mark" : bytes[invalid] == 0 ? "a NUL byte (UTF-16 or UTF-32 text?)"
                    : "an invalid UTF-8 sequence") + " at byte " + invalid);
        }
        // strict UTF-8 without a byte order mark or NUL bytes: Jackson's encoding detection can only choose UTF-8
        try (JsonParser p = FACTORY.createParser(bytes)) {
            final JsonToken first = p.nextToken();
            if (first == null) {
                throw new EncodingException(FailureReason.MALFORMED, null, "no JSON value in the record");
            }
            if (first == JsonToken.START_OBJECT) {
                readObject(p, root, 1, into);
            } else {
                skip(p, first, 1);
            }
            if (p.nextToken() != null) {
                throw new EncodingException(FailureReason.MALFORMED, null, "not valid JSON: content after the end of the "
                        + "first value" + at(p.currentLocation()));
            }
            if (first != JsonToken.START_OBJECT) {
                throw new EncodingException(FailureReason.NOT_AN_OBJECT, null, "expected a JSON object but got " + kind(first));
            }
        } catch (final JsonProcessingException e) {
            throw new EncodingException(FailureReason.MALFORMED, null, "not valid JSON: " + e.getOriginalMessage()
                    + at(e.getLocation()));
        } catch (final IOException e) {
            throw new EncodingException(FailureReason.MALFORMED, null, "not valid JSON: " + e.getMessage());
        } catch (final EncodingException e) {
            throw e;
        } catch (final RuntimeException e) {
            // a parser failure that is not a JsonProcessingException (none is known): still the record's fault
            throw new EncodingException(FailureReason.MALFORMED, null, "not readable as JSON: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
    }

    private void readObject(final JsonParser p, final Node node, final int depth, final EventFields into) throws IOException {
        checkDepth(depth);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            final String name = p.currentName();
            checkString(name.length(), "field name");
            final Node child = node.children.get(name);
            final JsonToken value = p.nextToken();
            if (child == null) {
                skip(p, value, depth + 1);
                continue;
            }
            for (final int slot : child.subtree) {
                into.slot(slot).setAbsent();
            }
            if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                for (final int slot : child.slots) {
                    into.slot(slot).setStructure();
                }
                if (value == JsonToken.START_OBJECT && !child.children.isEmpty()) {
                    readObject(p, child, depth + 1, into);
                } else {
                    skip(p, value, depth + 1);
                }
            } else {
                checkScalar(p, value);
                if (child.slots.length > 0) {
                    setScalar(p, value, child.slots, into);
                }
            }
        }
    }

    private void setScalar(final JsonParser p, final JsonToken value, final int[] slots, final EventFields into)
            throws IOException {
        switch (value) {
            case VALUE_STRING -> {
                final String text = p.getText();
                final int lone = Utf8.loneSurrogate(text);
                if (lone >= 0) {
                    throw new EncodingException(FailureReason.MALFORMED, null, "a string escapes half of a surrogate pair"
                            + " (\\u" + Integer.toHexString(text.charAt(lone)) + "): it has no UTF-8 form"
                            + at(p.currentTokenLocation()));
                }
                for (final int slot : slots) {
                    into.slot(slot).setText(text);
                }
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                final double number = p.getDoubleValue();
                String text = null;
                for (final int slot : slots) {
                    if (needsText[slot] && text == null) {
                        text = treeText(p, value, number);
                    }
                    // an id or key is an identifier: 1e0 and 1.0 are two, as written
                    into.slot(slot).setNumber(number, !needsText[slot] ? null : literal[slot] ? p.getText() : text);
                }
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                for (final int slot : slots) {
                    into.slot(slot).setBoolean(value == JsonToken.VALUE_TRUE);
                }
            }
            default -> {
                for (final int slot : slots) {
                    into.slot(slot).setNull();
                }
            }
        }
    }

    /** The text a Jackson tree gives a number node ({@code IntNode}, {@code LongNode}, {@code BigIntegerNode}, {@code DoubleNode}). */
    private static String treeText(final JsonParser p, final JsonToken value, final double number) throws IOException {
        if (value == JsonToken.VALUE_NUMBER_INT) {
            return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? p.getText() : Long.toString(p.getLongValue());
        }
        return Double.toString(number);
    }

    /** Skips one value (the current token), still checking the limits inside it. */
    private void skip(final JsonParser p, final JsonToken first, final int depth) throws IOException {
        if (!first.isStructStart()) {
            checkScalar(p, first);
            return;
        }
        checkDepth(depth);
        int open = 1;
        while (open > 0) {
            final JsonToken t = p.nextToken();
            if (t == null) {
                throw new EncodingException(FailureReason.MALFORMED, null, "not valid JSON: unexpected end of input"
                        + at(p.currentLocation()));
            }
            if (t.isStructStart()) {
                open++;
                checkDepth(depth + open - 1);
            } else if (t.isStructEnd()) {
                open--;
            } else if (t == JsonToken.FIELD_NAME) {
                checkString(p.currentName().length(), "field name");
            } else {
                checkScalar(p, t);
            }
        }
    }

    private void checkScalar(final JsonParser p, final JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
            final int length = p.getTextLength();
            if (length > limits.maxNumberLength()) {
                throw new EncodingException(FailureReason.NUMBER_TOO_LONG, null, "a number of " + length
                        + " characters exceeds the limit of " + limits.maxNumberLength() + at(p.currentTokenLocation()));
            }
        } else if (t == JsonToken.VALUE_STRING) {
            checkString(p.getTextLength(), "string");
        }
    }

    private void checkString(final int length, final String what) {
        if (length > limits.maxStringLength()) {
            throw new EncodingException(FailureReason.STRING_TOO_LONG, null, "a " + what + " of " + length
                    + " characters exceeds the limit of " + limits.maxStringLength());
        }
    }

    private void checkDepth(final int depth) {
        if (depth > limits.maxDepth()) {
            throw new EncodingException(FailureReason.TOO_DEEP, null, "objects and arrays nested deeper than "
                    + limits.maxDepth() + " levels");
        }
    }

    private static String at(final JsonLocation location) {
        return location == null ? "" : " at " + location.offsetDescription();
    }

    private static String kind(final JsonToken t) {
        return switch (t) {
            case START_ARRAY -> "array";
            case VALUE_STRING -> "string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
            case VALUE_TRUE, VALUE_FALSE -> "boolean";
            case VALUE_NULL -> "null";
            default -> t.name().toLowerCase(Locale.ROOT);
        };
    }

    private void add(final String path, final int slot, final boolean text) {
        if (path == null) {
            return;
        }
        needsText[slot] = text;
        Node node = root;
        for (final String segment : splitPath(path)) {
            node = node.children.computeIfAbsent(segment, s -> new Node());
        }
        node.slotList.add(slot);
    }

    /** One field name on the way to one or more paths. */
    private static final class Node {
        private final Map<String, Node> children = new HashMap<>();
        private final List<Integer> slotList = new ArrayList<>();
        /** Slots whose path ends at this field. */
        private int[] slots;
        /** Slots at or below this field: reset when the field occurs (again). */
        private int[] subtree;

        int[] seal() {
            slots = slotList.stream().mapToInt(Integer::intValue).toArray();
            final List<Integer> all = new ArrayList<>(slotList);
            for (final Node child : children.values()) {
                for (final int s : child.seal()) {
                    all.add(s);
                }
            }
            subtree = all.stream().mapToInt(Integer::intValue).toArray();
            return subtree;
        }
    }
}
