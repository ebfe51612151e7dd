package srgan.engine.backend.cpu;

import srgan.engine.backend.Backend;
import srgan.engine.backend.BackendProvider;

/**
 * Provides the "cpu" backend, available everywhere. The thread count comes from the system property
 * {@value #THREADS_PROPERTY}, by default {@link Runtime#availableProcessors()}.
 */
public final class CpuBackendProvider implements BackendProvider {
    /** System property holding the number of threads, e.g. {@code -Dsrgan.threads=8}. */
    public static final String THREADS_PROPERTY = "srgan.threads";

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public boolean isAvailable() {
        return true;
    }

    @Override
    public String unavailableReason() {
        return "";
    }

    /** A new backend; an {@link IllegalArgumentException} if {@value #THREADS_PROPERTY} is not a positive integer. */
    @Override
    public Backend create() {
        return new CpuBackend(threads(System.getProperty(THREADS_PROPERTY)));
    }

    /** The thread count a property value asks for: null means one per available processor. */
    static int threads(String property) {
        if (property == null || property.isBlank()) return Runtime.getRuntime().availableProcessors();
        int t;
        try {
            t = Integer.parseInt(property.trim());
        } catch (NumberFormatException e) {
            t = 0;
        }
        if (t < 1) {
            throw new IllegalArgumentException("-D" + THREADS_PROPERTY + " must be a positive integer, got '"
                    + property + "'");
        }
        return t;
    }
}
