package srgan.engine.backend;

/**
 * A flat buffer of numbers owned by one {@link Backend}: a {@code double[]} on the reference backend, a
 * {@code float[]} on the CPU backend, device memory on CUDA. Storage is freed deterministically with
 * {@link #close()}; using it afterwards is an {@link IllegalStateException}.
 */
public interface Storage extends AutoCloseable {
    /** Number of elements. */
    long size();

    /** The backend that owns this buffer; only it may read or write it. */
    Backend backend();

    /** Whether {@link #close()} has run. */
    boolean isClosed();

    /** Releases the buffer (to the backend's cache, for device memory). Idempotent. */
    @Override
    void close();
}
