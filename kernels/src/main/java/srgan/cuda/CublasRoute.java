package srgan.cuda;

import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.runtime.cudaStream_t;

import static jcuda.jcublas.JCublas2.cublasCreate;
import static jcuda.jcublas.JCublas2.cublasDestroy;
import static jcuda.jcublas.JCublas2.cublasGetVersion;
import static jcuda.jcublas.JCublas2.cublasSetMathMode;
import static jcuda.jcublas.JCublas2.cublasSetPointerMode;
import static jcuda.jcublas.JCublas2.cublasSetStream;
import static jcuda.jcublas.JCublas2.cublasSgemm;
import static jcuda.jcublas.cublasMath.CUBLAS_DEFAULT_MATH;
import static jcuda.jcublas.cublasMath.CUBLAS_TF32_TENSOR_OP_MATH;
import static jcuda.jcublas.cublasOperation.CUBLAS_OP_N;
import static jcuda.jcublas.cublasOperation.CUBLAS_OP_T;
import static jcuda.jcublas.cublasPointerMode.CUBLAS_POINTER_MODE_HOST;

/**
 * {@link GemmEngine} through cuBLAS (JCublas2): one handle, bound to the context's stream, so a GEMM is
 * ordered with our own kernels like any launch.
 *
 * <p>Precision: FP32 ({@code CUBLAS_DEFAULT_MATH}, which never uses TF32 for SGEMM) unless the system
 * property {@code srgan.cuda.tf32=true} asks for {@code CUBLAS_TF32_TENSOR_OP_MATH}: tensor cores with inputs
 * rounded to 10 mantissa bits, several times faster, but no longer comparable with the reference backend at
 * float32 tolerances.
 */
public final class CublasRoute implements GemmEngine, AutoCloseable {

    private final CudaContext ctx;
    private final cublasHandle handle = new cublasHandle();
    private final boolean tf32;
    private final int version;
    private boolean closed;

    /**
     * Creates the handle on {@code ctx}'s primary context and stream. Throws {@link UnsatisfiedLinkError} when
     * JCublas2's native library or libcublas cannot be loaded, {@link jcuda.CudaException} when cuBLAS fails.
     */
    public CublasRoute(CudaContext ctx, boolean tf32) {
        this.ctx = ctx;
        this.tf32 = tf32;
        JCublas2.setExceptionsEnabled(true);
        ctx.makeCurrent();
        cublasCreate(handle);
        try {
            cublasSetStream(handle, new cudaStream_t(ctx.stream()));
            cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_HOST);
            cublasSetMathMode(handle, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
            int[] v = new int[1];
            cublasGetVersion(handle, v);
            version = v[0];
        } catch (RuntimeException | Error e) {
            cublasDestroy(handle);
            throw e;
        }
    }

    /** cuBLAS's version number, {@code major * 10000 + minor * 100 + patch}. */
    public int version() {
        return version;
    }

    public boolean tf32() {
        return tf32;
    }

    /**
     * Row-major {@code C = alpha * op(A) op(B) + beta * C} as column-major cuBLAS: a row-major r x c matrix is
     * the column-major c x r matrix in the same memory, so C^T = op(B)^T op(A)^T is computed with B as the
     * first operand and A as the second, each with its own transpose flag and its row length as leading
     * dimension.
     */
    @Override
    public synchronized void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                                  DeviceStorage a, DeviceStorage b, double beta, DeviceStorage c) {
        checkOpen();
        if (m == 0 || n == 0) return;
        ctx.makeCurrent();
        int ldb = Math.max(1, transB ? k : n);
        int lda = Math.max(1, transA ? m : k);
        cublasSgemm(handle, transB ? CUBLAS_OP_T : CUBLAS_OP_N, transA ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k,
                Pointer.to(new float[]{(float) alpha}), b.pointer(), ldb, a.pointer(), lda,
                Pointer.to(new float[]{(float) beta}), c.pointer(), n);
        ctx.countLibraryCall();
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("the cuBLAS route has been closed");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        ctx.makeCurrent();
        cublasDestroy(handle);
    }
}
