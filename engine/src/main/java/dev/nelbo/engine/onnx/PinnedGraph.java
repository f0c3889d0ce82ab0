package dev.nelbo.engine.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One ONNX graph with a single float input {@code [rows, inputWidth]} and float outputs that are
 * either per-row ({@code [rows, width]}) or constant ({@code [width]}, e.g. a learned log-variance).
 *
 * <p>Input and per-row outputs live in direct, native-order buffers allocated once for the largest
 * batch; ONNX Runtime reads the input and writes the outputs in place (pinned outputs), and the
 * tensors wrapping those buffers are cached per row count, so a steady-state {@link #run} allocates
 * only ONNX Runtime's small per-call result object. Constant outputs are read once when the graph is
 * opened and are not computed again. The graph's inputs, outputs and shapes are checked against what
 * the caller expects, so a bundle whose graphs do not match its manifest is refused at load.
 *
 * <p>Not thread-safe (the buffers are shared); ONNX Runtime sessions themselves are.
 */
public final class PinnedGraph implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PinnedGraph.class);

    private final String what;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String inputName;
    private final int inputWidth;
    private final int maxRows;
    private final FloatBuffer input;
    private final List<String> rowOutputs = new ArrayList<>();
    private final Map<String, Integer> widths = new LinkedHashMap<>();
    private final Map<String, FloatBuffer> outputBuffers = new LinkedHashMap<>();
    private final Map<String, float[]> constants = new LinkedHashMap<>();
    private final Binding[] bindings;
    private boolean closed;

    private record Binding(OnnxTensor input, Map<String, OnnxTensor> inputs, Map<String, OnnxValue> outputs) {
    }

    /**
     * Loads and checks a graph.
     *
     * @param factory     session factory (device, threads)
     * @param file        ONNX file
     * @param what        name used in messages, e.g. "encoder"
     * @param inputName   expected input name
     * @param inputWidth  expected input width
     * @param outputs     expected output names and widths
     * @param maxRows     largest row count a {@link #run} will use
     * @throws IllegalStateException when the graph does not load or does not match the expectation
     */
    public PinnedGraph(final SessionFactory factory, final Path file, final String what, final String inputName,
                       final int inputWidth, final Map<String, Integer> outputs, final int maxRows) {
        this.what = what;
        this.inputName = inputName;
        this.inputWidth = inputWidth;
        this.maxRows = maxRows;
        this.env = factory.environment();
        this.session = factory.open(file);
        try {
            checkInput();
            for (Map.Entry<String, Integer> e : outputs.entrySet()) {
                checkOutput(e.getKey(), e.getValue());
            }
            this.input = directFloats(maxRows * inputWidth);
            for (String name : rowOutputs) {
                outputBuffers.put(name, directFloats(maxRows * widths.get(name)));
            }
            this.bindings = new Binding[maxRows + 1];
            readConstants();
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    /** @return the input buffer, row-major {@code [maxRows, inputWidth]}; write rows with absolute puts */
    public FloatBuffer input() {
        return input;
    }

    /**
     * @param name output name
     * @return whether the output is per-row (otherwise it is a constant, see {@link #constant})
     */
    public boolean perRow(final String name) {
        return outputBuffers.containsKey(name);
    }

    /**
     * @param name a per-row output
     * @return its buffer, row-major {@code [rows, width]} after {@link #run}
     */
    public FloatBuffer output(final String name) {
        final FloatBuffer b = outputBuffers.get(name);
        if (b == null) {
            throw new IllegalArgumentException(what + " output '" + name + "' is not a per-row output");
        }
        return b;
    }

    /**
     * @param name a constant output
     * @return a copy of its values
     */
    public float[] constant(final String name) {
        final float[] c = constants.get(name);
        if (c == null) {
            throw new IllegalArgumentException(what + " output '" + name + "' is not a constant output");
        }
        return c.clone();
    }

    /**
     * Runs the graph on the first {@code rows} rows of {@link #input()}, filling the per-row outputs.
     *
     * @param rows row count, 1 to maxRows
     * @throws IllegalStateException when ONNX Runtime fails
     */
    public void run(final int rows) {
        if (rows < 1 || rows > maxRows) {
            throw new IllegalArgumentException(what + ": " + rows + " rows outside 1.." + maxRows);
        }
        Binding b = bindings[rows];
        if (b == null) {
            b = bind(rows);
            bindings[rows] = b;
        }
        try (OrtSession.Result ignored = session.run(b.inputs(), Set.of(), b.outputs())) {
            // Outputs were written into the pinned buffers.
        } catch (OrtException e) {
            throw new IllegalStateException("Failed to execute the " + what + " graph: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        closeQuietly();
    }

    private Binding bind(final int rows) {
        try {
            final OnnxTensor in = OnnxTensor.createTensor(env, slice(input, rows * inputWidth),
                    new long[] {rows, inputWidth});
            final Map<String, OnnxValue> outs = new LinkedHashMap<>();
            for (String name : rowOutputs) {
                final int w = widths.get(name);
                outs.put(name, OnnxTensor.createTensor(env, slice(outputBuffers.get(name), rows * w),
                        new long[] {rows, w}));
            }
            return new Binding(in, Map.of(inputName, in), Map.copyOf(outs));
        } catch (OrtException e) {
            throw new IllegalStateException("Failed to create " + what + " tensors for " + rows + " rows: " + e.getMessage(), e);
        }
    }

    private void checkInput() {
        try {
            final Map<String, NodeInfo> inputs = session.getInputInfo();
            if (inputs.size() != 1 || !inputs.containsKey(inputName)) {
                throw new IllegalStateException(what + " graph must have exactly one input '" + inputName + "', has "
                        + inputs.keySet());
            }
            final long[] shape = tensorShape(inputs.get(inputName), inputName);
            if (shape.length != 2 || shape[1] != inputWidth) {
                throw new IllegalStateException(what + " input '" + inputName + "' must be [batch, " + inputWidth
                        + "], is " + Arrays.toString(shape));
            }
        } catch (OrtException e) {
            throw new IllegalStateException("Failed to read the " + what + " graph's inputs: " + e.getMessage(), e);
        }
    }

    private void checkOutput(final String name, final int width) {
        try {
            final Map<String, NodeInfo> outputs = session.getOutputInfo();
            final NodeInfo info = outputs.get(name);
            if (info == null) {
                throw new IllegalStateException(what + " graph has no output '" + name + "'; outputs are " + outputs.keySet());
            }
            final long[] shape = tensorShape(info, name);
            if (shape.length == 2 && shape[1] == width) {
                rowOutputs.add(name);
            } else if (shape.length != 1 || shape[0] != width) {
                throw new IllegalStateException(what + " output '" + name + "' must be [batch, " + width + "] or ["
                        + width + "], is " + Arrays.toString(shape));
            }
            widths.put(name, width);
        } catch (OrtException e) {
            throw new IllegalStateException("Failed to read the " + what + " graph's outputs: " + e.getMessage(), e);
        }
    }

    private long[] tensorShape(final NodeInfo info, final String name) {
        if (!(info.getInfo() instanceof TensorInfo t) || t.type != OnnxJavaType.FLOAT) {
            throw new IllegalStateException(what + " '" + name + "' must be a float tensor, is " + info.getInfo());
        }
        return t.getShape();
    }

    /** Runs one zero row to read the constant outputs; this is also the graph's first (slow) run. */
    private void readConstants() {
        final List<String> constantNames = widths.keySet().stream().filter(n -> !outputBuffers.containsKey(n)).toList();
        if (constantNames.isEmpty()) {
            return;
        }
        try (OnnxTensor in = OnnxTensor.createTensor(env, directFloats(inputWidth),
                new long[] {1, inputWidth});
             OrtSession.Result result = session.run(Map.of(inputName, in), Set.copyOf(constantNames))) {
            for (String name : constantNames) {
                final OnnxTensor t = (OnnxTensor) result.get(name).orElseThrow();
                final FloatBuffer values = t.getFloatBuffer();
                final float[] copy = new float[values.remaining()];
                values.get(copy);
                for (float v : copy) {
                    if (!Float.isFinite(v)) {
                        throw new IllegalStateException(what + " constant output '" + name + "' contains " + v);
                    }
                }
                constants.put(name, copy);
            }
        } catch (OrtException e) {
            throw new IllegalStateException("Failed to read the " + what + " graph's constant outputs: " + e.getMessage(), e);
        }
    }

    private void closeQuietly() {
        if (closed) {
            return;
        }
        closed = true;
        if (bindings != null) {
            for (Binding b : bindings) {
                if (b != null) {
                    b.input().close();
                    b.outputs().values().forEach(OnnxValue::close);
                }
            }
        }
        try {
            session.close();
        } catch (OrtException | RuntimeException e) {
            LOG.warn("Failed to close the {} session: {}", what, e.getMessage());
        }
    }

    private static FloatBuffer slice(final FloatBuffer buffer, final int length) {
        return buffer.duplicate().position(0).limit(length).slice();
    }

    private static FloatBuffer directFloats(final int count) {
        return ByteBuffer.allocateDirect(count * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
