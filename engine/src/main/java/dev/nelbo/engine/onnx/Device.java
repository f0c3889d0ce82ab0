package dev.nelbo.engine.onnx;

import java.util.Locale;

/**
 * Where ONNX Runtime executes the graphs.
 *
 * @param cuda     true for a CUDA device, false for CPU
 * @param ordinal  CUDA device ordinal (0 for CPU)
 */
public record Device(boolean cuda, int ordinal) {

    /** The CPU. */
    public static final Device CPU = new Device(false, 0);

    /**
     * @throws IllegalArgumentException for a negative ordinal or a CPU with an ordinal
     */
    public Device {
        if (ordinal < 0 || (!cuda && ordinal != 0)) {
            throw new IllegalArgumentException("invalid device ordinal " + ordinal);
        }
    }

    /**
     * @param text {@code cpu}, {@code cuda} (device 0) or {@code cuda:N}; case-insensitive
     * @return the device
     * @throws IllegalArgumentException for anything else
     */
    public static Device parse(final String text) {
        if (text == null) {
            throw new IllegalArgumentException("device must be cpu, cuda or cuda:N, got nothing");
        }
        final String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("cpu")) {
            return CPU;
        }
        if (t.equals("cuda")) {
            return new Device(true, 0);
        }
        if (t.startsWith("cuda:")) {
            try {
                final int n = Integer.parseInt(t.substring(5));
                if (n >= 0) {
                    return new Device(true, n);
                }
            } catch (NumberFormatException e) {
                // fall through to the message below
            }
        }
        throw new IllegalArgumentException("device must be cpu, cuda or cuda:N, got '" + text + "'");
    }

    @Override
    public String toString() {
        return cuda ? "cuda:" + ordinal : "cpu";
    }
}
