package dev.nelbo.engine;

import dev.nelbo.engine.onnx.Device;

/**
 * How a {@link ScoringEngine} runs. Maps one-to-one onto the scorer's configuration keys
 * {@code nelbo.engine.samples}, {@code nelbo.device}, {@code nelbo.device.strict},
 * {@code nelbo.engine.intra.op.threads} and {@code nelbo.batch.max.records}.
 *
 * @param samples        reparameterised samples L per record (default 8)
 * @param device         {@code cpu} (default), {@code cuda} or {@code cuda:N}
 * @param deviceStrict   fail instead of falling back to CPU when CUDA is requested but unavailable
 * @param intraOpThreads ONNX Runtime intra-op threads per session (default 1: fastest for small models)
 * @param maxBatch       most records per {@link ScoringEngine#score} call (default 512)
 */
public record EngineOptions(int samples, String device, boolean deviceStrict, int intraOpThreads, int maxBatch) {

    /** Default samples per record. */
    public static final int DEFAULT_SAMPLES = 8;
    /** {@link #DEFAULT_SAMPLES} as text: the default of every setting and option that sets the sample count. */
    public static final String DEFAULT_SAMPLES_TEXT = "" + DEFAULT_SAMPLES;
    /** Default records per batch. */
    public static final int DEFAULT_MAX_BATCH = 512;
    /** Upper bound on samples per record; beyond it the decoder batch grows past any sensible size. */
    public static final int MAX_SAMPLES = 4096;

    /**
     * @throws IllegalArgumentException naming the option to fix
     */
    public EngineOptions {
        if (samples < 1 || samples > MAX_SAMPLES) {
            throw new IllegalArgumentException("engine samples must be between 1 and " + MAX_SAMPLES + ", got " + samples);
        }
        Device.parse(device);
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("engine intra-op threads must be at least 1, got " + intraOpThreads);
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("engine max batch must be at least 1 record, got " + maxBatch);
        }
    }

    /** @return L = 8, cpu, not strict, 1 intra-op thread, batches of up to 512 */
    public static EngineOptions defaults() {
        return new EngineOptions(DEFAULT_SAMPLES, "cpu", false, 1, DEFAULT_MAX_BATCH);
    }

    /**
     * @param value samples per record
     * @return a copy with that many samples
     */
    public EngineOptions withSamples(final int value) {
        return new EngineOptions(value, device, deviceStrict, intraOpThreads, maxBatch);
    }

    /**
     * @param value {@code cpu}, {@code cuda} or {@code cuda:N}
     * @param strict fail instead of falling back to CPU
     * @return a copy on that device
     */
    public EngineOptions withDevice(final String value, final boolean strict) {
        return new EngineOptions(samples, value, strict, intraOpThreads, maxBatch);
    }

    /**
     * @param value most records per batch
     * @return a copy with that batch capacity
     */
    public EngineOptions withMaxBatch(final int value) {
        return new EngineOptions(samples, device, deviceStrict, intraOpThreads, value);
    }
}
