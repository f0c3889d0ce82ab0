package dev.nelbo.engine.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Creates ONNX Runtime sessions on the requested device. When CUDA is requested but cannot be used
 * (a CPU-only ONNX Runtime build, or no CUDA 12 / cuDNN 9 libraries or GPU), it logs ONE warning per
 * process saying why (engines opened later for other stream threads or models log it at DEBUG) and
 * runs on CPU, or throws when the device is strict.
 */
public final class SessionFactory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SessionFactory.class);
    /** Fallbacks already reported: every stream thread opens its own engine, the log needs one line. */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final Device device;
    private boolean closed;

    private SessionFactory(final OrtEnvironment env, final OrtSession.SessionOptions options, final Device device) {
        this.env = env;
        this.options = options;
        this.device = device;
    }

    /**
     * @param requested      the device asked for
     * @param strict         throw instead of falling back to CPU
     * @param intraOpThreads intra-op threads per session
     * @return a factory for sessions on the device actually used
     * @throws IllegalStateException when CUDA is unavailable and {@code strict}, or ONNX Runtime fails
     */
    public static SessionFactory create(final Device requested, final boolean strict, final int intraOpThreads) {
        final OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = cpuOptions(intraOpThreads);
        if (!requested.cuda()) {
            return new SessionFactory(env, options, Device.CPU);
        }
        final String problem;
        if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
            problem = "this ONNX Runtime build has no CUDA provider (build nelbo with -Pgpu for onnxruntime_gpu)";
        } else {
            String failure = null;
            try {
                options.addCUDA(requested.ordinal());
            } catch (OrtException | RuntimeException e) {
                failure = "CUDA provider failed to load for device " + requested.ordinal() + ": " + e.getMessage();
            }
            if (failure == null) {
                return new SessionFactory(env, options, requested);
            }
            // A failed addCUDA may leave the options half-configured: start again from clean CPU options.
            options.close();
            options = cpuOptions(intraOpThreads);
            problem = failure;
        }
        if (strict) {
            options.close();
            throw new IllegalStateException("device " + requested + " requested with device.strict=true, but " + problem);
        }
        if (WARNED.add(requested + ": " + problem)) {
            LOG.warn("Device {} requested but {}; scoring on CPU instead (set device.strict=true to fail instead)",
                    requested, problem);
        } else {
            LOG.debug("Device {} unavailable ({}); scoring on CPU", requested, problem);
        }
        return new SessionFactory(env, options, Device.CPU);
    }

    /** @return the device sessions run on (CPU after a fallback) */
    public Device device() {
        return device;
    }

    /**
     * @param file ONNX file
     * @return a session for it
     * @throws IllegalStateException when ONNX Runtime cannot load the file
     */
    public OrtSession open(final Path file) {
        try {
            return env.createSession(file.toString(), options);
        } catch (OrtException e) {
            throw new IllegalStateException("Failed to load ONNX graph " + file + ": " + e.getMessage(), e);
        }
    }

    /** @return the shared ONNX Runtime environment */
    public OrtEnvironment environment() {
        return env;
    }

    /** Releases the session options; close only after every session made from them is closed. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            options.close();
        }
    }

    private static OrtSession.SessionOptions cpuOptions(final int intraOpThreads) {
        final OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return options;
        } catch (OrtException e) {
            options.close();
            throw new IllegalStateException("Failed to configure ONNX Runtime session options: " + e.getMessage(), e);
        }
    }
}
