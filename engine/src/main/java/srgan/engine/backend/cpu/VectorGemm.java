package srgan.engine.backend.cpu;

import static srgan.engine.backend.cpu.MicroKernels.L;

import java.util.Arrays;

/**
 * Row-major {@code C[m x n] = alpha * op(A) * op(B) + beta * C} on the vector path, as
 * {@link srgan.engine.backend.Backend#gemm}.
 *
 * <ul>
 *   <li>{@code op(B) = B} (stored k x n): op(A) is packed into panels of 8 rows ({@code [k][8]}, scaled by
 *       alpha); each work item owns a run of blocks of {@code 3L} columns of C and runs the 8x3 micro-kernel over
 *       slices of {@link #KC} rows of B, copied row by row into a contiguous buffer first, so a block's slice
 *       stays in L1 while a row panel passes over it.</li>
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
    /** Most columns of C per work item of the panel path. */
    private static final int COLUMN_RUN = 512;
    /** Rows of B per work item of the dot-product path. */
    private static final int DOT_ROWS = 24;

    private final Parallel parallel;
    /** The calling thread's packed (or transposed) A. */
    private final ThreadLocal<Scratch> callBuffers = ThreadLocal.withInitial(() -> new Scratch(1, 0, 0));
    /** A work item's slices of B, its tile of C and the micro-kernel's sums. */
    private final ThreadLocal<Scratch> itemBuffers = ThreadLocal.withInitial(() -> new Scratch(4, 0, 0));

    VectorGemm(Parallel parallel) {
        this.parallel = parallel;
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
        float[] packed = callBuffers.get().floats(0, (long) blocks * k * MR);
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
        // Work items own runs of adjacent column blocks, so each row of B (and of C) is read in runs of up to
        // COLUMN_RUN floats rather than 3L: a discriminator's dense layer has rows of 18432 floats, and 192-byte
        // pieces of 1024 rows that far apart defeat the prefetcher and the TLB.
        int run = (int) Math.max(1, Math.min(COLUMN_RUN / NB, colBlocks / (4L * parallel.threads())));
        parallel.forEach((int) Parallel.ceilDiv(colBlocks, run), item -> {
            int cb0 = item * run;
            int cb1 = Math.min(colBlocks, cb0 + run);
            // Only the last block of all can be partial: it is copied into a zero-padded slice of B and
            // computed into a tile.
            int last = cb1 - 1;
            int lastCols = Math.min(NB, n - last * NB);
            boolean partial = lastCols < NB;
            int fullEnd = partial ? last : cb1;
            Scratch buffers = itemBuffers.get();
            float[] sums = buffers.floats(2, MR * NB);
            float[] slice = partial ? buffers.floats(0, KC * NB) : null;
            int slice0 = partial ? buffers.start(0) : 0;
            float[] tile = partial ? buffers.floats(1, (long) blocks * MR * NB) : null;
            float[] runSlice = buffers.floats(3, (long) KC * run * NB);
            int runSlice0 = buffers.start(3);
            if (partial) {
                for (int i = 0; i < m; i++) System.arraycopy(c, i * n + last * NB, tile, i * NB, lastCols);
            }
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                if (partial) {
                    for (int p = 0; p < kc; p++) {
                        System.arraycopy(b, (p0 + p) * n + last * NB, slice, slice0 + p * NB, lastCols);
                        Arrays.fill(slice, slice0 + p * NB + lastCols, slice0 + (p + 1) * NB, 0f);
                    }
                }
                // The slice of B for the full blocks, copied row by row into a contiguous buffer (in L2): the
                // copy streams each row's run, which the micro-kernel, reading 3L floats of each of KC rows,
                // would not.
                int width = (fullEnd - cb0) * NB;
                for (int p = 0; p < kc && width > 0; p++) {
                    System.arraycopy(b, (p0 + p) * n + cb0 * NB, runSlice, runSlice0 + p * width, width);
                }
                for (int blk = 0; blk < blocks; blk++) {
                    int rows = Math.min(MR, m - blk * MR);
                    int aOff = (blk * k + p0) * MR;
                    for (int cb = cb0; cb < fullEnd; cb++) {
                        MicroKernels.packed8x3(kc, packed, aOff, runSlice, runSlice0 + (cb - cb0) * NB, width,
                                sums);
                        MicroKernels.addTile(sums, c, blk * MR * n + cb * NB, n, rows);
                    }
                    if (partial) {
                        MicroKernels.packed8x3(kc, packed, aOff, slice, slice0, NB, sums);
                        MicroKernels.addTile(sums, tile, blk * MR * NB, NB, rows);
                    }
                }
            }
            if (partial) {
                for (int i = 0; i < m; i++) System.arraycopy(tile, i * NB, c, i * n + last * NB, lastCols);
            }
        });
    }

    private void dotProducts(boolean transA, int m, int n, int k, float alpha, float[] a, float[] b, float[] c) {
        float[] rowsOfA = a;
        if (transA) {
            // op(A) rows must run along k: transpose A (stored k x m) once.
            rowsOfA = callBuffers.get().floats(0, (long) m * k);
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
