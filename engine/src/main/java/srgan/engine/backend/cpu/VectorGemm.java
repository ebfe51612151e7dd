package srgan.engine.backend.cpu;

import static srgan.engine.backend.cpu.MicroKernels.L;

import java.util.Arrays;

/**
 * Row-major {@code C[m x n] = alpha * op(A) * op(B) + beta * C} on the vector path, as
 * {@link srgan.engine.backend.Backend#gemm}.
 *
 * <ul>
 *   <li>{@code op(B) = B} (stored k x n): op(A) is packed into panels of 8 rows ({@code [k][8]}, scaled by
 *       alpha); each work item owns {@code 3L} columns of C and runs the 8x3 micro-kernel over slices of
 *       {@link #KC} rows of B read in place, so a slice stays in L1 while every row panel passes over it.</li>
 *   <li>{@code op(B) = B^T} (B stored n x k, a dense layer's forward pass): both operands run along k, so the
 *       4x3 dot-product kernel reads them in place; transposing B instead would cost a pass over the whole
 *       weight matrix, as much as the product itself when m is the batch size. Work items own blocks of B's
 *       rows and walk k in slices of {@link #DOT_KC}, so the slice of A stays in L2 across them.</li>
 * </ul>
 * Every element of C adds its products in one fixed order, whatever the thread count.
 */
final class VectorGemm {
    private static final int MR = 8;
    private static final int NB = 3 * L;
    /** Rows of B per micro-kernel call: a KC x NB slice is 36 KiB with 16 lanes. */
    private static final int KC = 192;
    /** Depth of one dot-product pass: 16 rows of A over it are 256 KiB, within L2. */
    private static final int DOT_KC = 4096;
    /** Rows of B per work item of the dot-product path. */
    private static final int DOT_ROWS = 24;

    private final Parallel parallel;
    private final ThreadLocal<float[][]> callBuffers = ThreadLocal.withInitial(() -> new float[1][]);
    private final ThreadLocal<float[][]> itemBuffers = ThreadLocal.withInitial(() -> new float[3][]);

    VectorGemm(Parallel parallel) {
        this.parallel = parallel;
    }

    private static float[] grow(float[][] slots, int slot, int size) {
        float[] f = slots[slot];
        if (f == null || f.length < size) slots[slot] = f = new float[size];
        return f;
    }

    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, float[] b, float beta,
              float[] c) {
        if (m == 0 || n == 0) return;
        scale(c, m * n, beta);
        if (k == 0 || alpha == 0) return;
        if (transB) {
            dotProducts(transA, m, n, k, alpha, a, b, c);
        } else {
            panels(transA, m, n, k, alpha, a, b, c);
        }
    }

    /** {@code C *= beta}; beta = 0 writes zeros without reading C, so NaN in C does not leak through. */
    private void scale(float[] c, int size, float beta) {
        if (beta == 1) return;
        parallel.forRange(size, Broadcast.GRAIN, (from, to) -> {
            if (beta == 0) {
                Arrays.fill(c, from, to, 0f);
            } else {
                for (int i = from; i < to; i++) c[i] *= beta;
            }
        });
    }

    private void panels(boolean transA, int m, int n, int k, float alpha, float[] a, float[] b, float[] c) {
        int blocks = (int) Parallel.ceilDiv(m, MR);
        // op(A)(i, p) = a[i * k + p], or a[p * m + i] when transposed; packed [block][p][row], zero past m.
        float[] packed = grow(callBuffers.get(), 0, blocks * k * MR);
        for (int blk = 0; blk < blocks; blk++) {
            for (int r = 0; r < MR; r++) {
                int i = blk * MR + r;
                int at = blk * k * MR + r;
                for (int p = 0; p < k; p++, at += MR) {
                    packed[at] = i >= m ? 0f : alpha * (transA ? a[p * m + i] : a[i * k + p]);
                }
            }
        }
        int colBlocks = (int) Parallel.ceilDiv(n, NB);
        parallel.forEach(colBlocks, cb -> {
            int j0 = cb * NB;
            int cols = Math.min(NB, n - j0);
            float[][] item = itemBuffers.get();
            float[] sums = grow(item, 2, MR * NB);
            boolean full = cols == NB;
            // A partial block of columns is copied into a zero-padded slice of B and computed into a tile.
            float[] slice = full ? null : grow(item, 0, KC * NB);
            float[] tile = full ? null : grow(item, 1, blocks * MR * NB);
            if (!full) {
                for (int i = 0; i < m; i++) System.arraycopy(c, i * n + j0, tile, i * NB, cols);
            }
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                if (!full) {
                    for (int p = 0; p < kc; p++) {
                        System.arraycopy(b, (p0 + p) * n + j0, slice, p * NB, cols);
                        Arrays.fill(slice, p * NB + cols, (p + 1) * NB, 0f);
                    }
                }
                for (int blk = 0; blk < blocks; blk++) {
                    int rows = Math.min(MR, m - blk * MR);
                    int aOff = (blk * k + p0) * MR;
                    if (full) {
                        MicroKernels.packed8x3(kc, packed, aOff, b, p0 * n + j0, n, sums);
                        MicroKernels.addTile(sums, c, blk * MR * n + j0, n, rows);
                    } else {
                        MicroKernels.packed8x3(kc, packed, aOff, slice, 0, NB, sums);
                        MicroKernels.addTile(sums, tile, blk * MR * NB, NB, rows);
                    }
                }
            }
            if (!full) {
                for (int i = 0; i < m; i++) System.arraycopy(tile, i * NB, c, i * n + j0, cols);
            }
        });
    }

    private void dotProducts(boolean transA, int m, int n, int k, float alpha, float[] a, float[] b, float[] c) {
        float[] rowsOfA = a;
        if (transA) {
            // op(A) rows must run along k: transpose A (stored k x m) once.
            rowsOfA = grow(callBuffers.get(), 0, m * k);
            for (int p = 0; p < k; p++) {
                for (int i = 0; i < m; i++) rowsOfA[i * k + p] = a[p * m + i];
            }
        }
        float[] ar = rowsOfA;
        int items = (int) Parallel.ceilDiv(n, DOT_ROWS);
        parallel.forEach(items, item -> {
            int j0 = item * DOT_ROWS;
            int j1 = Math.min(n, j0 + DOT_ROWS);
            for (int p0 = 0; p0 < k; p0 += DOT_KC) {
                int kc = Math.min(DOT_KC, k - p0);
                int j = j0;
                for (; j + 3 <= j1; j += 3) {
                    int i = 0;
                    for (; i + 4 <= m; i += 4) {
                        MicroKernels.dot4x3(kc, ar, i * k + p0, k, b, j * k + p0, k, c, i * n + j, n, alpha);
                    }
                    for (; i < m; i++) {
                        for (int jj = j; jj < j + 3; jj++) c[i * n + jj] += alpha * dot(ar, i * k + p0, b, jj * k + p0, kc);
                    }
                }
                for (; j < j1; j++) {
                    for (int i = 0; i < m; i++) c[i * n + j] += alpha * dot(ar, i * k + p0, b, j * k + p0, kc);
                }
            }
        });
    }

    private static float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        return MicroKernels.dot(a, aOff, b, bOff, len);
    }
}
