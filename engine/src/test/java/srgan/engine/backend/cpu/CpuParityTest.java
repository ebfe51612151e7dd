package srgan.engine.backend.cpu;

import srgan.engine.backend.Backend;
import srgan.engine.testing.BackendParitySuite;

/** The float32 CPU backend against the reference, op by op; tolerances are in {@link srgan.engine.testing.OpCases}. */
class CpuParityTest extends BackendParitySuite {
    @Override
    protected Backend createBackend() {
        // Two threads even on one core: the split reductions must agree with the single-threaded oracle.
        return new CpuBackend(2);
    }

    @Override
    protected long liveBytes(Backend backend) {
        return ((CpuBackend) backend).bytesInUse();
    }
}
