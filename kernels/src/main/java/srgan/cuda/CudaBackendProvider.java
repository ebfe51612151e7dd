package srgan.cuda;

import jcuda.driver.JCudaDriver;
import srgan.engine.backend.Backend;
import srgan.engine.backend.BackendProvider;

/**
 * Contributes the "cuda" backend through {@link java.util.ServiceLoader}. Whether a device is usable is found
 * out once per JVM (loading JCuda's native library, {@code cuInit}, counting devices) and every failure is
 * turned into a sentence for {@link #unavailableReason()}; nothing here throws.
 */
public final class CudaBackendProvider implements BackendProvider {

    /** Which device {@link #create()} opens (default 0). */
    public static final String DEVICE_PROPERTY = "srgan.cuda.device";

    private static volatile String probe; // "" when available, else the reason; null before the first probe

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public boolean isAvailable() {
        return reason().isEmpty();
    }

    @Override
    public String unavailableReason() {
        return reason();
    }

    @Override
    public Backend create() {
        String why = reason();
        if (!why.isEmpty()) throw new IllegalStateException("CUDA backend unavailable: " + why);
        return new CudaBackend(Integer.getInteger(DEVICE_PROPERTY, 0));
    }

    private static String reason() {
        String r = probe;
        if (r == null) {
            synchronized (CudaBackendProvider.class) {
                r = probe;
                if (r == null) probe = r = probeOnce();
            }
        }
        return r;
    }

    private static String probeOnce() {
        try {
            JCudaDriver.setExceptionsEnabled(true);
            JCudaDriver.cuInit(0);
            int[] count = new int[1];
            JCudaDriver.cuDeviceGetCount(count);
            if (count[0] <= 0) return "no CUDA device (the NVIDIA driver reports 0 devices)";
            int wanted = Integer.getInteger(DEVICE_PROPERTY, 0);
            if (wanted < 0 || wanted >= count[0]) {
                return "no CUDA device " + wanted + " (" + DEVICE_PROPERTY + "); this machine has " + count[0];
            }
            return "";
        } catch (Throwable t) { // UnsatisfiedLinkError, CudaException, NoClassDefFoundError, anything
            return explain(t);
        }
    }

    /** A sentence a user can act on, from whatever the probe threw. */
    static String explain(Throwable t) {
        String all = chainText(t);
        if (all.contains("libcuda.so")) return "no NVIDIA driver (libcuda.so.1 not found)";
        if (all.contains("CUDA_ERROR_NO_DEVICE")) return "no CUDA device";
        if (all.contains("CUDA_ERROR_INSUFFICIENT_DRIVER")) {
            return "the NVIDIA driver is older than the CUDA version JCuda needs (CUDA_ERROR_INSUFFICIENT_DRIVER)";
        }
        if (all.contains("CUDA_ERROR")) return "CUDA initialisation failed: " + firstLine(t);
        if (t instanceof LinkageError) return "the JCuda native library could not be loaded: " + firstLine(t);
        return "CUDA probe failed: " + firstLine(t);
    }

    private static String chainText(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) sb.append(c).append('\n');
        return sb.toString();
    }

    private static String firstLine(Throwable t) {
        String m = String.valueOf(t.getMessage() != null ? t.getMessage() : t.toString());
        int nl = m.indexOf('\n');
        return (nl >= 0 ? m.substring(0, nl) : m).trim();
    }
}
