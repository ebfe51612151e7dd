package srgan.engine.backend;

/**
 * Lets a module contribute a backend without the engine depending on it (the CUDA backend lives in the
 * kernels module and is found through {@link java.util.ServiceLoader}).
 */
public interface BackendProvider {
    /** The name users type: "cpu", "cuda", "reference". */
    String name();

    /** Whether this backend can run here; never throws. */
    boolean isAvailable();

    /** Why {@link #isAvailable()} is false, in words a user can act on; empty when available. */
    String unavailableReason();

    Backend create();
}
