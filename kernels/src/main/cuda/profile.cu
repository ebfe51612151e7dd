// Kernels for measurement only (CudaBackend's profiling mode, srgan.cuda.profile=true).
#include "common.cuh"

// One thread busy-waits for `cycles` SM clock cycles. Queued ahead of a training step, it holds the stream
// while the host queues the whole step behind it, so that the step then runs back to back: event times
// measured inside it are device time without the host's launch gaps.
extern "C" __global__ void spin_cycles(i64 cycles) {
    const i64 start = clock64();
    while (clock64() - start < cycles) {
    }
}
