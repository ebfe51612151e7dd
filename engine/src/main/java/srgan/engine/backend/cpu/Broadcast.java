package srgan.engine.backend.cpu;

import srgan.engine.backend.BinaryOp;

/**
 * Broadcast element-wise ops and their adjoint, the reduction {@code sumTo}, for equal-rank shapes.
 *
 * <p>Both first <em>coalesce</em> the shapes: dimensions of size 1 in the larger shape are dropped and
 * neighbouring dimensions that every operand treats alike (all present, or broadcast in the same operands) are
 * merged. A same-shape op becomes one flat loop, and the per-channel case ({@code [1, C, 1, 1]} against
 * {@code [N, C, H, W]}) becomes {@code [N, C, H*W]} against {@code [1, C, 1]}: rows of H*W with one constant
 * per row, the fast path the bias add, the batch-norm style scalings and the bias gradient need.
 */
final class Broadcast {
    /** Elements per parallel chunk of element-wise work; below this a thread hand-off costs more than it saves. */
    static final int GRAIN = 1 << 15;
    /** Elements per partial sum in a full reduction; fixed, so the result does not depend on the thread count. */
    static final int REDUCE_CHUNK = 1 << 14;

    private final Parallel parallel;
    /** Whether the reductions run on {@link VectorOps}. */
    private final boolean vectorOps;

    Broadcast(Parallel parallel, boolean vectorOps) {
        this.parallel = parallel;
        this.vectorOps = vectorOps;
    }

    // ---- binary ----

    void binary(BinaryOp op, float[] a, int[] aShape, float[] b, int[] bShape, float[] out, int[] outShape) {
        int rank = outShape.length;
        int[] dims = new int[rank];
        boolean[] aFull = new boolean[rank];
        boolean[] bFull = new boolean[rank];
        int r = 0;
        for (int d = 0; d < rank; d++) {
            if (outShape[d] == 1) continue;
            boolean af = aShape[d] != 1;
            boolean bf = bShape[d] != 1;
            if (r > 0 && aFull[r - 1] == af && bFull[r - 1] == bf) {
                dims[r - 1] *= outShape[d];
            } else {
                dims[r] = outShape[d];
                aFull[r] = af;
                bFull[r] = bf;
                r++;
            }
        }
        int total = 1;
        for (int d = 0; d < r; d++) total *= dims[d];
        if (total == 0) return;
        if (r == 0) {
            out[0] = apply(op, a[0], b[0]);
            return;
        }
        int[] aStride = strides(dims, aFull, r);
        int[] bStride = strides(dims, bFull, r);
        int inner = dims[r - 1];
        int ia = aStride[r - 1];
        int ib = bStride[r - 1];
        int outer = r - 1;
        parallel.forRange(total, GRAIN, (from, to) -> {
            // Decode the first row's multi-index once, then step it like an odometer.
            int[] idx = new int[outer];
            int row = from / inner;
            int aRow = 0;
            int bRow = 0;
            for (int d = outer - 1; d >= 0; d--) {
                idx[d] = row % dims[d];
                row /= dims[d];
                aRow += idx[d] * aStride[d];
                bRow += idx[d] * bStride[d];
            }
            int j = from % inner;
            int e = from;
            while (e < to) {
                int len = Math.min(inner - j, to - e);
                rowKernel(op, a, aRow + j * ia, ia, b, bRow + j * ib, ib, out, e, len);
                e += len;
                j = 0;
                for (int d = outer - 1; d >= 0; d--) {
                    aRow += aStride[d];
                    bRow += bStride[d];
                    if (++idx[d] < dims[d]) break;
                    aRow -= aStride[d] * dims[d];
                    bRow -= bStride[d] * dims[d];
                    idx[d] = 0;
                }
            }
        });
    }

    /** Contiguous strides over the coalesced dims for an operand present in {@code full} dims, 0 elsewhere. */
    private static int[] strides(int[] dims, boolean[] full, int rank) {
        int[] s = new int[rank];
        int step = 1;
        for (int d = rank - 1; d >= 0; d--) {
            if (full[d]) {
                s[d] = step;
                step *= dims[d];
            }
        }
        return s;
    }

    private static float apply(BinaryOp op, float x, float y) {
        switch (op) {
            case ADD: return x + y;
            case SUB: return x - y;
            case MUL: return x * y;
            default: throw new IllegalArgumentException("unknown binary op " + op);
        }
    }

    /**
     * One run of {@code len} outputs; each operand either advances (stride 1) or stays put (stride 0). The
     * loops are spelled out per case so each is a plain counted loop the JIT vectorises.
     */
    private static void rowKernel(BinaryOp op, float[] a, int ap, int ia, float[] b, int bp, int ib, float[] out,
                                  int op0, int len) {
        if (ia == 1 && ib == 1) {
            switch (op) {
                case ADD: for (int i = 0; i < len; i++) out[op0 + i] = a[ap + i] + b[bp + i]; return;
                case SUB: for (int i = 0; i < len; i++) out[op0 + i] = a[ap + i] - b[bp + i]; return;
                case MUL: for (int i = 0; i < len; i++) out[op0 + i] = a[ap + i] * b[bp + i]; return;
                default: throw new IllegalArgumentException("unknown binary op " + op);
            }
        }
        if (ia == 1) {
            float bv = b[bp];
            switch (op) {
                case ADD: for (int i = 0; i < len; i++) out[op0 + i] = a[ap + i] + bv; return;
                case SUB: for (int i = 0; i < len; i++) out[op0 + i] = a[ap + i] - bv; return;
                case MUL: for (int i = 0; i < len; i++) out[op0 + i] = a[ap + i] * bv; return;
                default: throw new IllegalArgumentException("unknown binary op " + op);
            }
        }
        if (ib == 1) {
            float av = a[ap];
            switch (op) {
                case ADD: for (int i = 0; i < len; i++) out[op0 + i] = av + b[bp + i]; return;
                case SUB: for (int i = 0; i < len; i++) out[op0 + i] = av - b[bp + i]; return;
                case MUL: for (int i = 0; i < len; i++) out[op0 + i] = av * b[bp + i]; return;
                default: throw new IllegalArgumentException("unknown binary op " + op);
            }
        }
        // Both broadcast along this dim (the output is wider than either operand).
        java.util.Arrays.fill(out, op0, op0 + len, apply(op, a[ap], b[bp]));
    }

    // ---- sumTo ----

    void sumTo(float[] src, int[] srcShape, float[] dst, int[] dstShape, double scale) {
        int rank = srcShape.length;
        int[] dims = new int[rank];
        boolean[] reduced = new boolean[rank];
        int r = 0;
        for (int d = 0; d < rank; d++) {
            if (srcShape[d] == 1) continue;
            boolean red = dstShape[d] == 1;
            if (r > 0 && reduced[r - 1] == red) {
                dims[r - 1] *= srcShape[d];
            } else {
                dims[r] = srcShape[d];
                reduced[r] = red;
                r++;
            }
        }
        int total = 1;
        for (int d = 0; d < r; d++) total *= dims[d];
        if (total == 0) return;
        if (r == 0) {
            dst[0] = (float) (dst[0] + scale * src[0]);
        } else if (r == 1 && !reduced[0]) {
            parallel.forRange(total, GRAIN, (from, to) -> {
                if (vectorOps) {
                    VectorOps.addScaled(src, dst, from, to, scale);
                    return;
                }
                for (int i = from; i < to; i++) dst[i] = (float) (dst[i] + scale * src[i]);
            });
        } else if (r == 1) {
            dst[0] = (float) (dst[0] + scale * sumAll(src, total));
        } else if (reduced[r - 1]) {
            sumInnerReduced(src, dst, dims, reduced, r, scale);
        } else {
            sumInnerKept(src, dst, dims, reduced, r, scale);
        }
    }

    /** The sum of {@code src[0, n)} in double, from fixed-size partials added in order. */
    double sumAll(float[] src, int n) {
        int chunks = (int) Parallel.ceilDiv(n, REDUCE_CHUNK);
        double[] partial = new double[chunks];
        parallel.forEach(chunks, c -> {
            int from = c * REDUCE_CHUNK;
            int to = Math.min(n, from + REDUCE_CHUNK);
            double s = 0;
            if (vectorOps) {
                s = VectorOps.sum(src, from, to);
            } else {
                for (int i = from; i < to; i++) s += src[i];
            }
            partial[c] = s;
        });
        double s = 0;
        for (double p : partial) s += p;
        return s;
    }

    /**
     * Coalesced dims alternate kept/reduced and the last is reduced: each dst element is a sum of contiguous
     * runs of {@code dims[r - 1]} (H*W for the per-channel case). Work is split over dst elements, each summed
     * by one thread in source order.
     */
    private void sumInnerReduced(float[] src, float[] dst, int[] dims, boolean[] reduced, int r, double scale) {
        int[] stride = contiguousStrides(dims, r);
        int run = dims[r - 1];
        int[] keptDims = select(dims, reduced, r, false);
        int[] keptStride = select(stride, reduced, r, false);
        // The reduced dims other than the innermost run, walked like an odometer.
        int[] redDims = select(dims, reduced, r - 1, true);
        int[] redStride = select(stride, reduced, r - 1, true);
        int dstCount = 1;
        for (int d : keptDims) dstCount *= d;
        int perDst = 1;
        for (int d : redDims) perDst *= d;
        int runsPerDst = perDst;
        int minChunk = (int) Math.max(1, GRAIN / ((long) runsPerDst * run));
        parallel.forRange(dstCount, minChunk, (from, to) -> {
            int[] idx = new int[redDims.length];
            for (int j = from; j < to; j++) {
                int base = 0;
                int rest = j;
                for (int d = keptDims.length - 1; d >= 0; d--) {
                    base += (rest % keptDims[d]) * keptStride[d];
                    rest /= keptDims[d];
                }
                double s = 0;
                int off = base;
                java.util.Arrays.fill(idx, 0);
                for (int k = 0; k < runsPerDst; k++) {
                    if (vectorOps) {
                        s += VectorOps.sum(src, off, off + run);
                    } else {
                        for (int i = off; i < off + run; i++) s += src[i];
                    }
                    for (int d = redDims.length - 1; d >= 0; d--) {
                        off += redStride[d];
                        if (++idx[d] < redDims[d]) break;
                        off -= redStride[d] * redDims[d];
                        idx[d] = 0;
                    }
                }
                dst[j] = (float) (dst[j] + scale * s);
            }
        });
    }

    /**
     * The last coalesced dim is kept: dst elements come in contiguous rows of {@code dims[r - 1]}, and each
     * row is the sum of source rows, added column-wise into a double accumulator (stride-1 reads). Work items
     * are (dst row, column chunk), so even a single dst row ({@code [N, X]} to {@code [1, X]}) is split.
     */
    private void sumInnerKept(float[] src, float[] dst, int[] dims, boolean[] reduced, int r, double scale) {
        final int columnChunk = 1024;
        int[] stride = contiguousStrides(dims, r);
        int width = dims[r - 1];
        int[] keptDims = select(dims, reduced, r - 1, false);
        int[] keptStride = select(stride, reduced, r - 1, false);
        int[] redDims = select(dims, reduced, r, true);
        int[] redStride = select(stride, reduced, r, true);
        int rows = 1;
        for (int d : keptDims) rows *= d;
        int perRow = 1;
        for (int d : redDims) perRow *= d;
        int sourceRows = perRow;
        int chunks = (int) Parallel.ceilDiv(width, columnChunk);
        int items = rows * chunks;
        int minItems = (int) Math.max(1, GRAIN / ((long) sourceRows * Math.min(width, columnChunk)));
        parallel.forRange(items, minItems, (from, to) -> {
            int[] idx = new int[redDims.length];
            double[] acc = new double[Math.min(width, columnChunk)];
            for (int item = from; item < to; item++) {
                int row = item / chunks;
                int c0 = (item % chunks) * columnChunk;
                int len = Math.min(columnChunk, width - c0);
                int base = c0;
                int rest = row;
                for (int d = keptDims.length - 1; d >= 0; d--) {
                    base += (rest % keptDims[d]) * keptStride[d];
                    rest /= keptDims[d];
                }
                java.util.Arrays.fill(acc, 0, len, 0);
                java.util.Arrays.fill(idx, 0);
                int off = base;
                for (int k = 0; k < sourceRows; k++) {
                    if (vectorOps) {
                        VectorOps.accumulate(src, off, acc, 0, len);
                    } else {
                        for (int c = 0; c < len; c++) acc[c] += src[off + c];
                    }
                    for (int d = redDims.length - 1; d >= 0; d--) {
                        off += redStride[d];
                        if (++idx[d] < redDims[d]) break;
                        off -= redStride[d] * redDims[d];
                        idx[d] = 0;
                    }
                }
                int at = row * width + c0;
                for (int c = 0; c < len; c++) dst[at + c] = (float) (dst[at + c] + scale * acc[c]);
            }
        });
    }

    private static int[] contiguousStrides(int[] dims, int rank) {
        int[] s = new int[rank];
        int step = 1;
        for (int d = rank - 1; d >= 0; d--) {
            s[d] = step;
            step *= dims[d];
        }
        return s;
    }

    /** The entries of {@code values[0, count)} whose {@code reduced} flag equals {@code which}. */
    private static int[] select(int[] values, boolean[] reduced, int count, boolean which) {
        int m = 0;
        for (int d = 0; d < count; d++) if (reduced[d] == which) m++;
        int[] out = new int[m];
        m = 0;
        for (int d = 0; d < count; d++) if (reduced[d] == which) out[m++] = values[d];
        return out;
    }
}
