package srgan.cuda;

/**
 * Queues one kernel from our PTX on the backend's stream. {@link CudaContext} is the real one; tests put a
 * recorder in its place to check every launch's arguments against the PTX signatures without a device.
 *
 * <p>Arguments are {@link DeviceStorage} (its device pointer), {@link jcuda.driver.CUdeviceptr}, {@code null}
 * (a null device pointer), {@link Integer} (CUDA {@code int}), {@link Long} ({@code long long}) or
 * {@link Float}; each must match the kernel's parameter in size and kind.
 */
public interface KernelLauncher {

    void launch(String module, String kernel, int gx, int gy, int gz, int bx, int by, int bz, int sharedBytes,
                Object... args);

    /** Streaming multiprocessors on the device; launch heuristics size grids with it. */
    int multiprocessorCount();
}
