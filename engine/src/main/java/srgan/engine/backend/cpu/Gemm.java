package srgan.engine.backend.cpu;

/**
 * The single-threaded float32 matrix kernel under every GEMM and convolution of the CPU backend, plus the
 * parallel driver behind {@link srgan.engine.backend.Backend#gemm}.
 *
 * <p>The kernel is the i-k-j loop with the k dimension blocked: for each row of C, every k of the block adds a
 * scaled row of B to the row of C. The innermost loop is a contiguous axpy, which C2 vectorises, and a block
 * of B ({@value #K_BLOCK} rows by the caller's column count) stays in cache while all rows of C pass over it.
 * A later, faster kernel (packed panels, register tiles, the Vector API) replaces this body; the signature is
 * the seam.
 *
 * <p>Every C element adds its products one at a time in ascending k, however callers split rows and columns
 * between threads, so results are bitwise the same for any thread count.
 */
final class Gemm {
    /** Rows of B (columns of A) per cache block. */
    static final int K_BLOCK = 256;
    /** Columns of C per work item of the public GEMM. */
    static final int N_BLOCK = 256;

    private Gemm() {
    }

    /**
     * {@code C(i, j) += alpha * sum_p A(i, p) * B(p, j)} for {@code i < m, j < n, p < k}, where
     * {@code A(i, p) = a[aOff + i * aRowStride + p * aColStride]} (any layout, transposed included),
     * {@code B(p, j) = b[bOff + p * ldb + j]} and {@code C(i, j) = c[cOff + i * ldc + j]}.
     */
    static void accumulate(int m, int n, int k, float alpha, float[] a, int aOff, int aRowStride, int aColStride,
                           float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        for (int p0 = 0; p0 < k; p0 += K_BLOCK) {
            int p1 = Math.min(k, p0 + K_BLOCK);
            for (int i = 0; i < m; i++) {
                int cRow = cOff + i * ldc;
                int aPos = aOff + i * aRowStride + p0 * aColStride;
                for (int p = p0; p < p1; p++, aPos += aColStride) {
                    float s = alpha * a[aPos];
                    int bRow = bOff + p * ldb;
                    for (int j = 0; j < n; j++) {
                        c[cRow + j] += s * b[bRow + j];
                    }
                }
            }
        }
    }

    /**
     * Row-major {@code C[m x n] = alpha * op(A) * op(B) + beta * C}, as {@link srgan.engine.backend.Backend#gemm}.
     * Work items are blocks of rows times blocks of columns; a transposed B is packed block by block into
     * rows so the kernel always streams contiguous rows of B.
     */
    static void gemm(Parallel parallel, boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, float[] b, float beta, float[] c) {
        if (m == 0 || n == 0) return;
        int colBlocks = (int) Parallel.ceilDiv(n, N_BLOCK);
        // Enough row blocks for about four items per thread, never fewer rows than one per block.
        int rowBlocks = (int) Math.min(m, Math.max(1, Parallel.ceilDiv(4L * parallel.threads(), colBlocks)));
        int rowsPerBlock = (int) Parallel.ceilDiv(m, rowBlocks);
        rowBlocks = (int) Parallel.ceilDiv(m, rowsPerBlock);
        int aRowStride = transA ? 1 : k;
        int aColStride = transA ? m : 1;
        int rowBlockCount = rowBlocks;
        parallel.forEach(rowBlockCount * colBlocks, item -> {
            int i0 = (item / colBlocks) * rowsPerBlock;
            int i1 = Math.min(m, i0 + rowsPerBlock);
            int j0 = (item % colBlocks) * N_BLOCK;
            int j1 = Math.min(n, j0 + N_BLOCK);
            int rows = i1 - i0;
            int cols = j1 - j0;
            for (int i = i0; i < i1; i++) {
                int row = i * n;
                if (beta == 0) {
                    // beta = 0 means C is not read: NaN or garbage in C must not leak through 0 * C.
                    java.util.Arrays.fill(c, row + j0, row + j1, 0f);
                } else if (beta != 1) {
                    for (int j = j0; j < j1; j++) c[row + j] *= beta;
                }
            }
            if (!transB) {
                accumulate(rows, cols, k, alpha, a, i0 * aRowStride, aRowStride, aColStride, b, j0, n,
                        c, i0 * n + j0, n);
                return;
            }
            float[] panel = new float[Math.min(k, K_BLOCK) * cols];
            for (int p0 = 0; p0 < k; p0 += K_BLOCK) {
                int depth = Math.min(k, p0 + K_BLOCK) - p0;
                // op(B)(p, j) = b[j * k + p]: copy the block into rows of op(B).
                for (int j = 0; j < cols; j++) {
                    int src = (j0 + j) * k + p0;
                    for (int p = 0; p < depth; p++) panel[p * cols + j] = b[src + p];
                }
                accumulate(rows, cols, depth, alpha, a, i0 * aRowStride + p0 * aColStride, aRowStride, aColStride,
                        panel, 0, cols, c, i0 * n + j0, n);
            }
        });
    }
}
