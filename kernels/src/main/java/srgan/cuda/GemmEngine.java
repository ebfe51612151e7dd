package srgan.cuda;

/**
 * One implementation of {@link srgan.engine.backend.Backend#gemm} on device memory: our own tiled SGEMM
 * ({@link OwnGemm}) or cuBLAS. Row-major {@code C[m x n] = alpha * op(A) * op(B) + beta * C}; op(A) is
 * {@code m x k} (A stored {@code k x m} when transposed), op(B) is {@code k x n}; with beta = 0, C is not read.
 * Queued on {@link CudaContext#stream()}.
 */
public interface GemmEngine {

    void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, DeviceStorage a, DeviceStorage b,
              double beta, DeviceStorage c);
}
