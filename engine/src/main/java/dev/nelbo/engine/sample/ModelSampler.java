package dev.nelbo.engine.sample;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nelbo.engine.ScoringModel;
import dev.nelbo.engine.elbo.LogvarRange;
import dev.nelbo.engine.onnx.Device;
import dev.nelbo.engine.onnx.PinnedGraph;
import dev.nelbo.engine.onnx.SessionFactory;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.encoding.ColumnBlock;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.encoding.Likelihood;
import dev.nelbo.schemas.encoding.RawValue;
import dev.nelbo.schemas.encoding.RecordSource;
import dev.nelbo.schemas.event.EventReader;
import dev.nelbo.schemas.json.Json;
import dev.nelbo.schemas.spec.FeatureDef;
import dev.nelbo.schemas.spec.FeatureSpec;
import dev.nelbo.schemas.spec.FeatureType;

import java.nio.FloatBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Draws events from a model: z ~ N(0, I), the decoder's output for z (and the context, for a conditional model),
 * then every modelled feature from its likelihood (Gaussian with the decoder's mean and variance, Bernoulli,
 * categorical over the vocabulary), with the encoder's standardisation and transform undone. A posterior flow, if the
 * model has one, plays no part: it shapes q(z|x), while the generative model is p(z) p(x|z) with p(z) = N(0, I). The events are in the
 * input format (nested JSON at the spec's paths, with an id and a time), so the scorer takes them as they are: what
 * the model believes normal traffic looks like, or synthetic traffic for load tests. Deterministic for a seed.
 *
 * <p>Context features are given ({@code context}: value by feature name; the event time for time features) or drawn
 * from their training distribution (category frequencies; a continuous context from a normal with its training
 * mean and standard deviation); event times not given are spread over {@code [start, start + span)}.
 */
public final class ModelSampler implements AutoCloseable {

    private static final int BATCH = 256;

    private final FeatureEncoder encoder;
    private final ScoringModel model;
    private final SessionFactory sessions;
    private final PinnedGraph decoder;
    private final int k;
    private final int d;
    private final int dx;
    private final boolean logvarPerRow;
    private final float[] logvarConstant;

    private ModelSampler(final ModelBundle bundle) {
        this.encoder = bundle.encoder();
        this.model = ScoringModel.of(bundle);
        this.k = model.latentWidth();
        this.d = model.inputWidth();
        this.dx = model.reconstructedWidth();
        final ScoringModel.GraphNames names = model.names();
        final boolean gaussian = model.reconstructedLayout().stream().anyMatch(b -> b.likelihood() == Likelihood.GAUSSIAN);
        final Map<String, Integer> outputs = new LinkedHashMap<>();
        outputs.put(names.decoderMean(), dx);
        if (gaussian) {
            outputs.put(names.decoderLogvar(), dx);
        }
        this.sessions = SessionFactory.create(Device.CPU, false, 1);
        try {
            this.decoder = new PinnedGraph(sessions, model.decoderFile(), "decoder", names.decoderInput(), k + d - dx,
                    outputs, BATCH);
        } catch (final RuntimeException e) {
            sessions.close();
            throw e;
        }
        this.logvarPerRow = gaussian && decoder.perRow(names.decoderLogvar());
        this.logvarConstant = gaussian && !logvarPerRow ? decoder.constant(names.decoderLogvar()) : null;
    }

    /**
     * @param bundle a verified bundle
     * @return a sampler on its decoder (CPU)
     */
    public static ModelSampler open(final ModelBundle bundle) {
        return new ModelSampler(bundle);
    }

    /**
     * What to draw.
     *
     * @param count   number of events
     * @param seed    seed (same seed, same events)
     * @param context values of context features by name (as in an event: category text, number, boolean); the rest are
     *                drawn from their training distribution
     * @param time    the time of every event, or null to spread them over {@code [start, start + spanMillis)}
     * @param start   first possible event time when {@code time} is null
     * @param spanMillis length of that range
     */
    public record Request(int count, long seed, Map<String, String> context, Instant time, Instant start, long spanMillis) {
        /** Copies the context and checks the counts. */
        public Request {
            context = Map.copyOf(context);
            if (count < 0 || spanMillis <= 0) {
                throw new IllegalArgumentException("count must be >= 0 and the time span positive");
            }
        }
    }

    /**
     * @param request what to draw
     * @return the events, in the input format
     * @throws IllegalArgumentException for a context value that is not a context feature's or cannot be encoded
     */
    public List<ObjectNode> sample(final Request request) {
        final FeatureSpec spec = encoder.spec();
        for (final String name : request.context().keySet()) {
            final FeatureDef f = spec.features().stream().filter(x -> x.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("--context " + name + ": the model has no feature '" + name + "'"));
            if (!f.contextual() || f.type() == FeatureType.TIME) {
                throw new IllegalArgumentException("--context " + name + ": not a context feature"
                        + (f.type() == FeatureType.TIME ? " you can set (time features follow --time)" : " of this model"));
            }
        }
        final SplittableRandom random = new SplittableRandom(request.seed());
        final List<ObjectNode> events = new ArrayList<>(request.count());
        final float[] row = new float[d];
        final float[] mask = new float[d];
        final List<FeatureDef> features = spec.features();
        final String[][] contextValues = new String[BATCH][features.size()];
        final long[] times = new long[BATCH];
        final FloatBuffer in = decoder.input();
        for (int from = 0; from < request.count(); from += BATCH) {
            final int n = Math.min(BATCH, request.count() - from);
            for (int i = 0; i < n; i++) {
                times[i] = request.time() != null ? request.time().toEpochMilli()
                        : request.start().toEpochMilli() + (long) (random.nextDouble() * request.spanMillis());
                for (int f = 0; f < features.size(); f++) {
                    final FeatureDef def = features.get(f);
                    contextValues[i][f] = def.contextual() && def.type() != FeatureType.TIME
                            ? request.context().getOrDefault(def.name(), drawContext(f, random)) : null;
                }
                encoder.encode(source(features, contextValues[i], times[i]), row, mask, 0);
                final int at = i * (k + d - dx);
                for (int j = 0; j < k; j++) {
                    in.put(at + j, (float) gaussian(random));
                }
                in.put(at + k, row, dx, d - dx);
            }
            decoder.run(n);
            final FloatBuffer mean = decoder.output(model.names().decoderMean());
            final FloatBuffer logvar = logvarPerRow ? decoder.output(model.names().decoderLogvar()) : null;
            for (int i = 0; i < n; i++) {
                events.add(event(from + i, request.seed(), mean, logvar, i, contextValues[i], times[i], random));
            }
        }
        return events;
    }

    private ObjectNode event(final int index, final long seed, final FloatBuffer mean, final FloatBuffer logvar, final int row,
                             final String[] contextValues, final long time, final SplittableRandom random) {
        final FeatureSpec spec = encoder.spec();
        final ObjectNode e = Json.EVENTS.createObjectNode();
        if (spec.idPath() != null) {
            put(e, spec.idPath(), "sample-" + seed + "-" + index);
        }
        if (spec.timestampPath() != null) {
            put(e, spec.timestampPath(), Instant.ofEpochMilli(time).toString());
        }
        final LogvarRange range = model.decoderLogvar();
        final List<ColumnBlock> layout = encoder.layout();
        for (int f = 0; f < layout.size(); f++) {
            final ColumnBlock b = layout.get(f);
            final FeatureDef def = spec.features().get(f);
            if (b.contextual()) {
                // time features come from the event time; history features from the entity's past, not the event
                if (def.type() != FeatureType.TIME && !def.derivedFromHistory()) {
                    putText(e, def, contextValues[f]);
                }
                continue;
            }
            final int at = row * dx + b.offset();
            switch (b.likelihood()) {
                case GAUSSIAN -> {
                    final double lv = range.clamp(logvar != null ? logvar.get(at) : logvarConstant[b.offset()]);
                    final double v = mean.get(at) + Math.exp(0.5 * lv) * gaussian(random);
                    put(e, def.path(), encoder.decodeContinuous(f, v));
                }
                case BERNOULLI -> put(e, def.path(), random.nextDouble() < 1 / (1 + Math.exp(-mean.get(at))));
                case CATEGORICAL -> put(e, def.path(), encoder.category(f, category(mean, at, b.width() - 1, random)));
                case CYCLIC -> throw new IllegalStateException("a time feature is never modelled");
            }
        }
        return e;
    }

    /** A context value drawn from its training distribution, as event text. */
    private String drawContext(final int feature, final SplittableRandom random) {
        final FeatureDef def = encoder.spec().features().get(feature);
        final var stats = encoder.stats().features().get(feature);
        return switch (def.type()) {
            case CATEGORICAL -> stats.vocabulary().get(weighted(stats.frequencies(), stats.vocabulary().size(), random));
            case BINARY -> Boolean.toString(random.nextDouble() < stats.centre());
            case CONTINUOUS -> Double.toString(encoder.decodeContinuous(feature, gaussian(random)));
            case TIME -> throw new IllegalStateException("time features follow the event time");
        };
    }

    /** A category drawn from the softmax of the block's logits, leaving out the out-of-vocabulary slot (no real value). */
    private static int category(final FloatBuffer logits, final int at, final int vocab, final SplittableRandom random) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < vocab; j++) {
            max = Math.max(max, logits.get(at + j));
        }
        final double[] p = new double[vocab];
        for (int j = 0; j < vocab; j++) {
            p[j] = Math.exp(logits.get(at + j) - max);
        }
        return weighted(p, vocab, random);
    }

    /** An index in {@code [0, n)} drawn with probability proportional to its weight. */
    private static int weighted(final double[] weights, final int n, final SplittableRandom random) {
        double total = 0;
        for (int j = 0; j < n; j++) {
            total += weights[j];
        }
        double u = random.nextDouble() * total;
        for (int j = 0; j < n - 1; j++) {
            if (u < weights[j]) {
                return j;
            }
            u -= weights[j];
        }
        return n - 1;
    }

    /**
     * The event as the encoder sees it: context values and the time. Modelled features get their training centre
     * (only the context columns of the encoded row are used, but the encoder checks every value).
     */
    private RecordSource source(final List<FeatureDef> features, final String[] context, final long time) {
        return (feature, into) -> {
            final FeatureDef f = features.get(feature);
            if (f.type() == FeatureType.TIME) {
                into.setNumber(time, Long.toString(time));
            } else if (f.contextual()) {
                text(f, context[feature], into);
            } else {
                switch (f.type()) {
                    case CATEGORICAL -> into.setText(encoder.category(feature, 0));
                    case BINARY -> into.setBoolean(false);
                    default -> {
                        final double centre = encoder.decodeContinuous(feature, 0);
                        into.setNumber(centre, Double.toString(centre));
                    }
                }
            }
        };
    }

    private static void text(final FeatureDef f, final String value, final RawValue into) {
        switch (f.type()) {
            case CATEGORICAL -> into.setText(value);
            case BINARY -> into.setBoolean(binary(value));
            default -> {
                try {
                    into.setNumber(Double.parseDouble(value), value);
                } catch (final NumberFormatException e) {
                    throw new IllegalArgumentException("--context " + f.name() + "=" + value + ": not a number", e);
                }
            }
        }
    }

    /** A binary context value as given on the command line or drawn: {@code true} or {@code 1}. */
    private static boolean binary(final String value) {
        return Boolean.parseBoolean(value) || "1".equals(value);
    }

    private static void putText(final ObjectNode e, final FeatureDef f, final String value) {
        switch (f.type()) {
            case CATEGORICAL -> put(e, f.path(), value);
            case BINARY -> put(e, f.path(), binary(value));
            default -> put(e, f.path(), Double.parseDouble(value));
        }
    }

    private static void put(final ObjectNode root, final String path, final Object value) {
        final String[] segments = EventReader.splitPath(path);
        ObjectNode node = root;
        for (int i = 0; i < segments.length - 1; i++) {
            node = node.has(segments[i]) && node.get(segments[i]).isObject() ? (ObjectNode) node.get(segments[i])
                    : node.putObject(segments[i]);
        }
        final String leaf = segments[segments.length - 1];
        if (value instanceof Double v) {
            node.put(leaf, v);
        } else if (value instanceof Boolean v) {
            node.put(leaf, v);
        } else {
            node.put(leaf, (String) value);
        }
    }

    /** Box-Muller, from the one seeded stream (SplittableRandom has no nextGaussian on Java 17). */
    private static double gaussian(final SplittableRandom random) {
        final double u = 1 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    @Override
    public void close() {
        decoder.close();
        sessions.close();
    }
}
