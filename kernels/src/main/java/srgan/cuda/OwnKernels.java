package srgan.cuda;

import srgan.engine.backend.AdamHyper;
import srgan.engine.backend.BinaryOp;
import srgan.engine.backend.LossKind;
import srgan.engine.backend.PoolGeometry;
import srgan.engine.backend.UnaryOp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The primitives that always run on our own kernels (elementwise.cu, reduce.cu): activations, broadcasting,
 * reductions, PReLU, layout, pooling, losses and Adam. Everything is queued on the stream; nothing waits.
 */
final class OwnKernels implements AutoCloseable {

    /** Must match ADAM_CHUNK in elementwise.cu. */
    static final int ADAM_CHUNK = 4096;
    private static final int MAX_DIMS = 6;

    private final DeviceRuntime rt;
    /** The last Adam table (device) and the host words it was made from: the parameter list rarely changes. */
    private DeviceStorage adamTable;
    private long[] adamTableHost;

    OwnKernels(DeviceRuntime rt) {
        this.rt = rt;
    }

    private int blocks(long n) {
        return Grid.elementwise(n, rt.multiprocessorCount());
    }

    private void elementwise(String module, String kernel, long n, Object... args) {
        if (n <= 0) return;
        rt.launch(module, kernel, blocks(n), 1, 1, Grid.THREADS, 1, 1, 0, args);
    }

    static int unaryCode(UnaryOp op) {
        switch (op) {
            case RELU: return 0;
            case LEAKY_RELU: return 1;
            case TANH: return 2;
            case SIGMOID: return 3;
            case SCALE: return 4;
            case ADD_SCALAR: return 5;
            case RSQRT: return 6;
            default: throw new IllegalArgumentException("unknown unary op " + op);
        }
    }

    static int binaryCode(BinaryOp op) {
        switch (op) {
            case ADD: return 0;
            case SUB: return 1;
            case MUL: return 2;
            default: throw new IllegalArgumentException("unknown binary op " + op);
        }
    }

    static int lossCode(LossKind kind) {
        switch (kind) {
            case MSE: return 0;
            case L1: return 1;
            case BCE_WITH_LOGITS: return 2;
            default: throw new IllegalArgumentException("unknown loss " + kind);
        }
    }

    void unary(UnaryOp op, double param, DeviceStorage x, DeviceStorage y, long n) {
        elementwise("elementwise", "unary_f32", n, unaryCode(op), (float) param, x, y, n);
    }

    void unaryBackward(UnaryOp op, double param, DeviceStorage x, DeviceStorage y, DeviceStorage gy,
                       DeviceStorage gx, long n) {
        if (gx == null) return;
        elementwise("elementwise", "unary_backward_f32", n, unaryCode(op), (float) param, x, y, gy, gx, n);
    }

    // ---- broadcasting ----

    /** Dimensions after dropping size-1 axes and merging neighbours that walk memory alike in every operand. */
    static final class Collapsed {
        final List<Integer> sizes = new ArrayList<>();
        final List<long[]> strides = new ArrayList<>(); // one stride per operand
    }

    /**
     * Collapses {@code outShape} with one stride list per operand (0 where the operand broadcasts). Two
     * neighbouring axes merge when, for every operand, the outer stride equals inner stride times inner size.
     */
    static Collapsed collapse(int[] outShape, long[][] operandStrides) {
        Collapsed c = new Collapsed();
        for (int d = 0; d < outShape.length; d++) {
            if (outShape[d] == 1) continue;
            long[] st = new long[operandStrides.length];
            for (int o = 0; o < st.length; o++) st[o] = operandStrides[o][d];
            int last = c.sizes.size() - 1;
            if (last >= 0) {
                boolean merge = true;
                long[] prev = c.strides.get(last);
                for (int o = 0; o < st.length; o++) merge &= prev[o] == st[o] * outShape[d];
                long merged = (long) c.sizes.get(last) * outShape[d];
                if (merge && merged <= Integer.MAX_VALUE) { // the kernels take 32-bit sizes
                    c.sizes.set(last, (int) merged);
                    prev = st.clone();
                    c.strides.set(last, prev);
                    continue;
                }
            }
            c.sizes.add(outShape[d]);
            c.strides.add(st);
        }
        return c;
    }

    /** Contiguous strides of {@code shape}, with 0 where {@code shape[d] == 1} but {@code full[d] != 1}. */
    static long[] broadcastStrides(int[] shape, int[] full) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            st[d] = shape[d] == 1 && full[d] != 1 ? 0 : s;
            s *= shape[d];
        }
        return st;
    }

    static long product(int[] shape) {
        long p = 1;
        for (int s : shape) p *= s;
        return p;
    }

    void binary(BinaryOp op, DeviceStorage a, int[] aShape, DeviceStorage b, int[] bShape, DeviceStorage out,
                int[] outShape) {
        long n = product(outShape);
        if (n == 0) return;
        int code = binaryCode(op);
        if (Arrays.equals(aShape, outShape) && Arrays.equals(bShape, outShape)) {
            elementwise("elementwise", "binary_same_f32", n, code, a, b, out, n);
            return;
        }
        Collapsed c = collapse(outShape, new long[][]{broadcastStrides(aShape, outShape),
                broadcastStrides(bShape, outShape)});
        int rank = c.sizes.size();
        // The kernel takes the innermost 6 axes; any further outer axes (rare: they must alternate between
        // broadcasting a and b) are walked here, one launch per outer index, with offset pointers.
        int outer = Math.max(0, rank - MAX_DIMS);
        long inner = 1;
        for (int d = outer; d < rank; d++) inner *= c.sizes.get(d);
        int[] index = new int[outer];
        long outOffset = 0;
        do {
            long aOffset = 0, bOffset = 0;
            for (int d = 0; d < outer; d++) {
                aOffset += index[d] * c.strides.get(d)[0];
                bOffset += index[d] * c.strides.get(d)[1];
            }
            Object[] args = new Object[5 + 3 * MAX_DIMS];
            args[0] = code;
            args[1] = outer == 0 ? a : a.pointer(aOffset);
            args[2] = outer == 0 ? b : b.pointer(bOffset);
            args[3] = outer == 0 ? out : out.pointer(outOffset);
            args[4] = inner;
            int pad = MAX_DIMS - (rank - outer);
            for (int d = 0; d < MAX_DIMS; d++) {
                boolean real = d >= pad;
                int axis = outer + d - pad;
                args[5 + d] = real ? c.sizes.get(axis) : 1;
                args[5 + MAX_DIMS + d] = real ? c.strides.get(axis)[0] : 0L;
                args[5 + 2 * MAX_DIMS + d] = real ? c.strides.get(axis)[1] : 0L;
            }
            elementwise("elementwise", "binary_bcast_f32", inner, args);
            outOffset += inner;
        } while (nextIndex(index, c.sizes));
    }

    /** Advances a row-major index over the first {@code index.length} of {@code sizes}; false after the last. */
    private static boolean nextIndex(int[] index, List<Integer> sizes) {
        for (int d = index.length - 1; d >= 0; d--) {
            if (++index[d] < sizes.get(d)) return true;
            index[d] = 0;
        }
        return false;
    }

    /** dst += scale * (src summed over the axes where dstShape is 1). */
    void sumTo(DeviceStorage src, int[] srcShape, DeviceStorage dst, int[] dstShape, double scale) {
        long outCount = product(dstShape);
        long total = product(srcShape);
        if (outCount == 0 || total == 0) return;
        // Kept and reduced axes of src (size-1 axes dropped, neighbours of one kind merged: src is contiguous).
        List<Integer> keptSize = new ArrayList<>(), redSize = new ArrayList<>();
        List<Long> keptStride = new ArrayList<>(), redStride = new ArrayList<>();
        long stride = 1;
        long[] strides = new long[srcShape.length];
        for (int d = srcShape.length - 1; d >= 0; d--) {
            strides[d] = stride;
            stride *= srcShape[d];
        }
        Boolean lastReduced = null;
        for (int d = 0; d < srcShape.length; d++) {
            if (srcShape[d] == 1) continue;
            boolean reduced = dstShape[d] == 1;
            List<Integer> sizes = reduced ? redSize : keptSize;
            List<Long> st = reduced ? redStride : keptStride;
            if (lastReduced != null && lastReduced == reduced
                    && (long) sizes.get(sizes.size() - 1) * srcShape[d] <= Integer.MAX_VALUE) {
                int i = sizes.size() - 1;
                sizes.set(i, sizes.get(i) * srcShape[d]);
                st.set(i, strides[d]);
            } else {
                sizes.add(srcShape[d]);
                st.add(strides[d]);
            }
            lastReduced = reduced;
        }
        if (keptSize.size() > MAX_DIMS || redSize.size() > MAX_DIMS) {
            throw new UnsupportedOperationException("sumTo over more than " + MAX_DIMS + " alternating axes");
        }
        long reduceCount = total / outCount;
        boolean innermostReduced = lastReduced != null && lastReduced;
        Object[] dims = new Object[4 * MAX_DIMS];
        fillDims(dims, 0, keptSize, keptStride);
        fillDims(dims, 2 * MAX_DIMS, redSize, redStride);
        int sms = rt.multiprocessorCount();
        int splits;
        int gx;
        String kernel;
        Object[] head;
        DeviceStorage partial = null;
        try {
            if (innermostReduced) {
                kernel = "sum_to_rows_f32";
                splits = Grid.splits(outCount, reduceCount, 4L * sms, 4096);
                gx = Grid.checkedInt(outCount, "sumTo outputs");
                if (splits > 1) partial = rt.scratch(2 * outCount * splits);
                head = new Object[]{src, dst, (float) scale, reduceCount, splits, partial};
            } else {
                kernel = "sum_to_cols_f32";
                splits = Grid.splits(outCount, reduceCount, 1024L * sms, 64);
                gx = Grid.ceilDiv(outCount, Grid.THREADS);
                if (splits > 1) partial = rt.scratch(2 * outCount * splits);
                head = new Object[]{src, dst, (float) scale, outCount, reduceCount, splits, partial};
            }
            Object[] args = new Object[head.length + dims.length];
            System.arraycopy(head, 0, args, 0, head.length);
            System.arraycopy(dims, 0, args, head.length, dims.length);
            rt.launch("reduce", kernel, gx, splits, 1, Grid.THREADS, 1, 1, 0, args);
            if (partial != null) {
                rt.launch("reduce", "finish_partials_f32", blocks(outCount), 1, 1, Grid.THREADS, 1, 1, 0,
                        partial, splits, outCount, dst, (float) scale);
            }
        } finally {
            if (partial != null) partial.close();
        }
    }

    /** Writes 6 sizes (Integer) then 6 strides (Long) at {@code at}, leading axes padded with size 1. */
    private static void fillDims(Object[] out, int at, List<Integer> sizes, List<Long> strides) {
        int pad = MAX_DIMS - sizes.size();
        for (int d = 0; d < MAX_DIMS; d++) {
            out[at + d] = d >= pad ? sizes.get(d - pad) : 1;
            out[at + MAX_DIMS + d] = d >= pad ? strides.get(d - pad) : 0L;
        }
    }

    // ---- PReLU, layout, pooling ----

    void prelu(DeviceStorage x, DeviceStorage alpha, int alphaCount, DeviceStorage y, int n, int c, int hw) {
        long total = (long) n * c * hw;
        elementwise("elementwise", "prelu_f32", total, x, alpha, alphaCount, y, total, c, hw);
    }

    void preluBackward(DeviceStorage x, DeviceStorage alpha, int alphaCount, DeviceStorage gy, DeviceStorage gx,
                       DeviceStorage gAlpha, int n, int c, int hw) {
        long total = (long) n * c * hw;
        if (total == 0) return;
        if (gx != null) {
            elementwise("elementwise", "prelu_backward_x_f32", total, x, alpha, alphaCount, gy, gx, total, c, hw);
        }
        if (gAlpha != null) {
            long perAlpha = total / alphaCount;
            int splits = Grid.splits(alphaCount, perAlpha, 4L * rt.multiprocessorCount(), 4096);
            try (DeviceStorage partial = rt.scratch(2L * alphaCount * splits)) {
                rt.launch("reduce", "prelu_alpha_partial_f32", alphaCount, splits, 1, Grid.THREADS, 1, 1, 0,
                        x, gy, alphaCount, n, c, hw, splits, partial);
                rt.launch("reduce", "finish_partials_f32", blocks(alphaCount), 1, 1, Grid.THREADS, 1, 1, 0,
                        partial, splits, (long) alphaCount, gAlpha, 1f);
            }
        }
    }

    void pixelShuffle(DeviceStorage x, DeviceStorage y, int n, int c, int h, int w, int r, boolean backward) {
        long total = (long) n * c * h * w;
        elementwise("elementwise", "pixel_shuffle_f32", total, x, y, backward ? 1 : 0, n, c, h, w, r);
    }

    void copyChannels(DeviceStorage src, int srcChannels, int srcOffset, DeviceStorage dst, int dstChannels,
                      int dstOffset, int count, int n, int hw, boolean accumulate) {
        long total = (long) n * count * hw;
        elementwise("elementwise", "copy_channels_f32", total, src, srcChannels, srcOffset, dst, dstChannels,
                dstOffset, count, n, hw, accumulate ? 1 : 0);
    }

    void maxPool(PoolGeometry g, DeviceStorage x, DeviceStorage y) {
        int planes = Grid.checkedInt((long) g.n() * g.channels(), "pooled planes");
        elementwise("elementwise", "maxpool_f32", g.outputSize(), x, y, planes, g.inHeight(), g.inWidth(),
                g.outHeight(), g.outWidth(), g.kernel(), g.stride(), g.padding());
    }

    void maxPoolBackward(PoolGeometry g, DeviceStorage x, DeviceStorage gy, DeviceStorage gx) {
        if (gx == null) return;
        int planes = Grid.checkedInt((long) g.n() * g.channels(), "pooled planes");
        elementwise("elementwise", "maxpool_backward_f32", g.inputSize(), x, gy, gx, planes, g.inHeight(),
                g.inWidth(), g.outHeight(), g.outWidth(), g.kernel(), g.stride(), g.padding());
    }

    // ---- losses ----

    void loss(LossKind kind, DeviceStorage input, DeviceStorage target, long n, DeviceStorage out) {
        // A fixed block count for a given n: the partial sums, and so the result, do not depend on timing.
        int parts = (int) Math.max(1, Math.min(Grid.ceilDiv(n, Grid.THREADS), 1024));
        try (DeviceStorage partial = rt.scratch(2L * parts)) {
            rt.launch("reduce", "loss_partial_f32", parts, 1, 1, Grid.THREADS, 1, 1, 0,
                    lossCode(kind), input, target, n, partial);
            rt.launch("reduce", "loss_finish_f32", 1, 1, 1, Grid.THREADS, 1, 1, 0, partial, parts, n, out);
        }
    }

    void lossBackward(LossKind kind, DeviceStorage input, DeviceStorage target, long n, DeviceStorage gOut,
                      DeviceStorage gInput, DeviceStorage gTarget) {
        if (gInput == null && gTarget == null) return;
        elementwise("reduce", "loss_backward_f32", n, lossCode(kind), input, target, n, gOut, gInput, gTarget);
    }

    // ---- Adam ----

    void adamStep(List<DeviceStorage> params, List<DeviceStorage> grads, List<DeviceStorage> m,
                  List<DeviceStorage> v, AdamHyper h) {
        int t = params.size();
        if (t == 0) return;
        long[] words = new long[6 * t + 1];
        long blocks = 0;
        for (int i = 0; i < t; i++) {
            words[i] = rt.address(params.get(i));
            words[t + i] = rt.address(grads.get(i));
            words[2 * t + i] = rt.address(m.get(i));
            words[3 * t + i] = rt.address(v.get(i));
            long size = params.get(i).size();
            words[4 * t + i] = size;
            words[5 * t + i] = blocks;
            blocks += (size + ADAM_CHUNK - 1) / ADAM_CHUNK;
        }
        words[6 * t] = blocks;
        if (blocks == 0) return;
        DeviceStorage table = adamTable(words);
        double bc1 = h.biasCorrection1(), bc2 = h.biasCorrection2();
        rt.launch("elementwise", "adam_multi_f32", Grid.checkedInt(blocks, "Adam blocks"), 1, 1, Grid.THREADS, 1, 1,
                0, table, t, (float) (h.lr() / bc1), (float) h.beta1(), (float) h.beta2(), (float) h.eps(),
                (float) h.weightDecay(), (float) Math.sqrt(bc2));
    }

    /** The device copy of {@code words}, uploaded again only when the parameter list changed. */
    private DeviceStorage adamTable(long[] words) {
        if (adamTable != null && Arrays.equals(words, adamTableHost)) return adamTable;
        if (adamTable != null) adamTable.close();
        adamTable = rt.scratch(2L * words.length);
        rt.uploadLongs(words, adamTable);
        adamTableHost = words;
        return adamTable;
    }

    @Override
    public void close() {
        if (adamTable != null) {
            adamTable.close();
            adamTable = null;
            adamTableHost = null;
        }
    }
}
