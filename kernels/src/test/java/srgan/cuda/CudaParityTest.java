package srgan.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import srgan.engine.backend.Backend;
import srgan.engine.backend.BackendProvider;
import srgan.engine.backend.Backends;
import srgan.engine.testing.BackendParitySuite;

/**
 * Every op, forward and backward, on the CUDA backend against the float64 reference, with the same
 * tolerances as the CPU backend ({@link srgan.engine.testing.OpCases}). Which convolution, GEMM and batch-norm
 * path runs depends on {@code -Dsrgan.cuda.libs}: {@code none} holds our own kernels to the reference, the
 * default holds cuDNN/cuBLAS to it where they load. Skipped, with the reason, where there is no usable GPU.
 */
@Tag("gpu")
class CudaParityTest extends BackendParitySuite {
    @Override
    protected Backend createBackend() {
        BackendProvider cuda = Backends.providers().stream().filter(p -> p.name().equals("cuda")).findFirst()
                .orElseThrow(() -> new AssertionError("the CUDA provider is not registered"));
        Assumptions.assumeTrue(cuda.isAvailable(), () -> "no CUDA device here: " + cuda.unavailableReason());
        Backend backend = cuda.create();
        System.out.println("CUDA parity on: " + backend.describe());
        return backend;
    }

    @Override
    protected long liveBytes(Backend backend) {
        backend.synchronize();
        return ((CudaBackend) backend).allocator().bytesInUse();
    }
}
