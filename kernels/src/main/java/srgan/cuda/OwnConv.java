package srgan.cuda;

import srgan.engine.backend.ConvGeometry;

import java.util.ArrayList;
import java.util.List;

/**
 * Our own convolutions (gemm.cu, conv.cu), the fallback when cuDNN is absent and a candidate of the autotuner
 * ({@link ConvAutotuner}) when it is present. Several kernels ({@link Algo}) serve each pass; which apply
 * depends on the geometry ({@link #candidates}); without measurements the implicit GEMM runs. Shape letters: N batch, C channels, H x W image, K kernel, S stride, P padding.
 * <ul>
 *   <li>Implicit GEMMs, never materialising im2col: forward M = out channels, N = N*OH*OW, K = C*KH*KW;
 *       backward data M = in channels, N = N*H*W, K = out channels*KH*KW; backward weight M = out channels,
 *       N = C*KH*KW, K = N*OH*OW (split-K). Any kernel size, stride and padding.</li>
 *   <li>Backward data for stride S > 1 by parity classes: S*S implicit GEMMs, each over the input pixels of one
 *       (ih mod S, iw mod S) class with only the taps that reach it, instead of visiting every tap and
 *       discarding all but 1/S^2 of them.</li>
 *   <li>Direct convolutions for at most 4 output channels (the GEMM's 64-row tile would be 94% empty): the
 *       forward of a layer with few out channels, the backward data of one with few in channels (as a
 *       stride-1 correlation of gy with the transposed, rotated weight), and the weight gradient of one with
 *       few out channels (per-band partial sums, added in a fixed order).</li>
 * </ul>
 * Every kernel is deterministic: splits write partial sums that a second kernel adds in a fixed order.
 */
public final class OwnConv implements ConvEngine {

    /** The kernels one pass can run on. */
    public enum Algo {
        /** Implicit GEMM, registers as the compiler chooses (one 256-thread block per SM). */
        GEMM("gemm", ""),
        /**
         * The same, capped at 128 registers so that two 256-thread blocks share an SM; only where the GEMM's M
         * (the channels it produces) exceeds 64, so that the 128-row tile is used.
         */
        GEMM_R128("gemm-r128", "_r128"),
        /** Backward data of a strided convolution by parity classes. */
        PARITY("parity", ""),
        /** The same, capped at 128 registers. */
        PARITY_R128("parity-r128", "_r128"),
        /** Direct convolution producing at most {@value #FEW_OUT_MAX} channels. */
        FEW_OUT("few-out", "");

        final String label;
        final String suffix;

        Algo(String label, String suffix) {
            this.label = label;
            this.suffix = suffix;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /** The most output channels the direct kernels compute (one float4 of weights per tap). */
    static final int FEW_OUT_MAX = 4;
    /** Dynamic shared memory the direct kernels may take without opting in: 48 KiB, in floats. */
    private static final int SHARED_FLOATS = 48 * 1024 / Float.BYTES;
    /** conv.cu's tile: 32 x 16 outputs, 128 threads, 4 input channels staged at a time. */
    private static final int FO_TW = 32;
    private static final int FO_TH = 16;
    private static final int FO_THREADS = 128;
    private static final int FO_CIB = 4;
    /** Output rows per band of the direct weight gradient, and columns per strip. */
    private static final int WG_BAND_ROWS = 16;
    private static final int WG_TW = 32;
    /** Partial sums never take more than this many bytes. */
    private static final long MAX_PARTIAL_BYTES = 256L << 20;

    private final DeviceRuntime rt;

    OwnConv(DeviceRuntime rt) {
        this.rt = rt;
    }

    // ---- choosing a kernel ----

    /** The kernels that can run {@code pass} on {@code g}, the specialised ones first. */
    public List<Algo> candidates(Pass pass, ConvGeometry g) {
        List<Algo> out = new ArrayList<>();
        switch (pass) {
            case FORWARD -> {
                if (fewOutForward(g)) out.add(Algo.FEW_OUT);
                out.add(Algo.GEMM);
                if (wideTile(g.outChannels())) out.add(Algo.GEMM_R128);
            }
            case BACKWARD_DATA -> {
                if (fewOutData(g)) out.add(Algo.FEW_OUT);
                if (g.stride() > 1) {
                    out.add(Algo.PARITY);
                    if (wideTile(g.inChannels())) out.add(Algo.PARITY_R128);
                }
                out.add(Algo.GEMM);
                if (wideTile(g.inChannels())) out.add(Algo.GEMM_R128);
            }
            case BACKWARD_WEIGHT -> {
                if (fewOutWeight(g) != null) out.add(Algo.FEW_OUT);
                out.add(Algo.GEMM);
                if (wideTile(g.outChannels())) out.add(Algo.GEMM_R128);
            }
        }
        return out;
    }

    /** Whether a GEMM with M = {@code m} runs on 128-row tiles, the only ones with a 128-register variant. */
    private static boolean wideTile(long m) {
        return TilePlan.tileRows(m) == 128;
    }

    // ---- the ConvEngine passes ----
    // Without measurements every pass runs the implicit GEMM, the kernel proven on a GPU (the H200 parity run).
    // The direct and parity-class kernels pass the emulator (EmulatedKernelsTest) and are offered to the
    // autotuner, which is off by default until they pass the parity suite on a GPU too
    // (CudaBackend.AUTOTUNE_PROPERTY).

    @Override
    public void forward(ConvGeometry g, DeviceStorage x, DeviceStorage w, DeviceStorage bias, DeviceStorage y) {
        forward(Algo.GEMM, g, x, w, bias, y);
    }

    @Override
    public void backwardData(ConvGeometry g, DeviceStorage w, DeviceStorage gy, DeviceStorage gx) {
        backwardData(Algo.GEMM, g, w, gy, gx);
    }

    @Override
    public void backwardWeight(ConvGeometry g, DeviceStorage x, DeviceStorage gy, DeviceStorage gw) {
        backwardWeight(Algo.GEMM, g, x, gy, gw);
    }

    // ---- each pass on a given kernel ----

    /** The forward on {@code algo}, which must be one of {@link #candidates}. */
    public void forward(Algo algo, ConvGeometry g, DeviceStorage x, DeviceStorage w, DeviceStorage bias,
                        DeviceStorage y) {
        check(algo, Pass.FORWARD, g);
        if (algo == Algo.FEW_OUT) {
            int khw = g.kernelHeight() * g.kernelWidth();
            fewOut(g.n(), g.inChannels(), g.inHeight(), g.inWidth(), g.outChannels(), g.kernelHeight(),
                    g.kernelWidth(), g.padding(), g.padding(), g.outHeight(), g.outWidth(),
                    0, g.inChannels() * khw, khw, g.kernelWidth(), 1, x, w, bias, y, false);
            return;
        }
        long pixels = (long) g.n() * g.outHeight() * g.outWidth();
        gemm("conv_fwd", algo, g.outChannels(), pixels, (long) g.inChannels() * g.kernelHeight() * g.kernelWidth(),
                g, new Object[]{x, w, bias, y}, new Object[]{bias, y}, new Object[0]);
    }

    /** The backward-data pass on {@code algo}, which must be one of {@link #candidates}. */
    public void backwardData(Algo algo, ConvGeometry g, DeviceStorage w, DeviceStorage gy, DeviceStorage gx) {
        check(algo, Pass.BACKWARD_DATA, g);
        int kh = g.kernelHeight(), kw = g.kernelWidth(), khw = kh * kw;
        switch (algo) {
            case FEW_OUT ->
                // gx = correlate(gy, rot180(w) with in and out channels swapped), padding K - 1 - P: weight
                // (c = in channel, o = out channel, a, b) sits at w[o][c][KH-1-a][KW-1-b], i.e. at
                // khw - 1 + c*khw + o*(C*khw) - a*KW - b.
                    fewOut(g.n(), g.outChannels(), g.outHeight(), g.outWidth(), g.inChannels(), kh, kw,
                            kh - 1 - g.padding(), kw - 1 - g.padding(), g.inHeight(), g.inWidth(),
                            khw - 1, khw, g.inChannels() * khw, -kw, -1, gy, w, null, gx, true);
            case PARITY, PARITY_R128 -> parity(algo, g, w, gy, gx);
            default -> {
                long pixels = (long) g.n() * g.inHeight() * g.inWidth();
                gemm("conv_bwd_data", algo, g.inChannels(), pixels, (long) g.outChannels() * khw, g,
                        new Object[]{w, gy, gx}, new Object[]{gx}, new Object[0]);
            }
        }
    }

    /** The backward-weight pass on {@code algo}, which must be one of {@link #candidates}. */
    public void backwardWeight(Algo algo, ConvGeometry g, DeviceStorage x, DeviceStorage gy, DeviceStorage gw) {
        check(algo, Pass.BACKWARD_WEIGHT, g);
        if (algo == Algo.FEW_OUT) {
            fewOutWeight(g, fewOutWeight(g), x, gy, gw);
            return;
        }
        long pixels = (long) g.n() * g.outHeight() * g.outWidth();
        gemm("conv_bwd_weight", algo, g.outChannels(), (long) g.inChannels() * g.kernelHeight() * g.kernelWidth(),
                pixels, g, new Object[]{x, gy, gw}, new Object[]{gw}, new Object[0]);
    }

    private void check(Algo algo, Pass pass, ConvGeometry g) {
        if (!candidates(pass, g).contains(algo)) {
            throw new IllegalArgumentException("kernel " + algo + " cannot run the " + pass + " pass of " + g);
        }
    }

    // ---- implicit GEMMs ----

    private static Object[] geometry(ConvGeometry g) {
        return new Object[]{g.n(), g.inChannels(), g.inHeight(), g.inWidth(), g.outChannels(), g.kernelHeight(),
                g.kernelWidth(), g.stride(), g.padding(), g.outHeight(), g.outWidth()};
    }

    /**
     * Queues {@code name}_BM{suffix} and, with split-K, {@code name}_split_reduce. {@code extra} follows the
     * geometry in both kernels' argument lists (the parity class).
     */
    private void gemm(String name, Algo algo, long m, long n, long k, ConvGeometry g, Object[] tensors,
                      Object[] reduceTensors, Object[] extra) {
        TilePlan p = TilePlan.of(m, n, k, rt.multiprocessorCount());
        Object[] head = concat(tensors, geometry(g), extra);
        String kernel = name + "_" + p.bm() + algo.suffix;
        if (p.splits() == 1) {
            rt.launch("gemm", kernel, p.gridX(), p.gridY(), 1, p.threads(), 1, 1, 0,
                    concat(head, new Object[]{p.kChunk(), null}));
            return;
        }
        try (DeviceStorage partial = rt.scratch((long) p.splits() * m * n)) {
            rt.launch("gemm", kernel, p.gridX(), p.gridY(), p.splits(), p.threads(), 1, 1, 0,
                    concat(head, new Object[]{p.kChunk(), partial}));
            rt.launch("gemm", name + "_split_reduce", Grid.elementwise(m * n, rt.multiprocessorCount()), 1, 1,
                    Grid.THREADS, 1, 1, 0, concat(concat(reduceTensors, geometry(g), extra),
                            new Object[]{p.splits(), partial}));
        }
    }

    /** One parity class (ph, pw) of a strided backward-data pass, as gemm.cu's ConvBackwardDataParity sees it. */
    record ParityClass(int ph, int pw, int kh0, int kw0, int taps, long pixels) {
        static ParityClass of(ConvGeometry g, int ph, int pw) {
            int s = g.stride();
            int kh0 = (ph + g.padding()) % s, kw0 = (pw + g.padding()) % s;
            int ka = kh0 < g.kernelHeight() ? (g.kernelHeight() - kh0 + s - 1) / s : 0;
            int kb = kw0 < g.kernelWidth() ? (g.kernelWidth() - kw0 + s - 1) / s : 0;
            int ch = ph < g.inHeight() ? (g.inHeight() - ph + s - 1) / s : 0;
            int cw = pw < g.inWidth() ? (g.inWidth() - pw + s - 1) / s : 0;
            return new ParityClass(ph, pw, kh0, kw0, ka * kb, (long) g.n() * ch * cw);
        }
    }

    private void parity(Algo algo, ConvGeometry g, DeviceStorage w, DeviceStorage gy, DeviceStorage gx) {
        for (int ph = 0; ph < g.stride(); ph++) {
            for (int pw = 0; pw < g.stride(); pw++) {
                ParityClass c = ParityClass.of(g, ph, pw);
                if (c.taps() == 0 || c.pixels() == 0) continue; // no tap reaches these pixels: gx keeps its value
                gemm("conv_bwd_data_parity", algo, g.inChannels(), c.pixels(), (long) g.outChannels() * c.taps(),
                        g, new Object[]{w, gy, gx}, new Object[]{gx}, new Object[]{ph, pw});
            }
        }
    }

    // ---- direct kernels for few output channels ----

    /** Floats of conv_few_out's dynamic shared memory for a KH x KW kernel. */
    static long fewOutSharedFloats(int kh, int kw) {
        long tile = (long) (FO_TH + kh - 1) * (FO_TW + kw - 1);
        return (FO_CIB * tile + 3) / 4 * 4 + (long) FO_CIB * kh * kw * 4;
    }

    /** The direct kernels put the batch on the grid's y axis, whose limit is 65535 blocks. */
    private static final int MAX_GRID_Y = 65535;

    static boolean fewOutForward(ConvGeometry g) {
        return g.stride() == 1 && g.outChannels() <= FEW_OUT_MAX && g.n() <= MAX_GRID_Y
                && fewOutSharedFloats(g.kernelHeight(), g.kernelWidth()) <= SHARED_FLOATS;
    }

    static boolean fewOutData(ConvGeometry g) {
        return g.stride() == 1 && g.inChannels() <= FEW_OUT_MAX && g.n() <= MAX_GRID_Y
                && g.padding() <= g.kernelHeight() - 1
                && g.padding() <= g.kernelWidth() - 1
                && fewOutSharedFloats(g.kernelHeight(), g.kernelWidth()) <= SHARED_FLOATS;
    }

    /**
     * out (co < CO) from in (CI channels) through weights at {@code wt[wOff + co*sCo + ci*sCi + kh*sKh +
     * kw*sKw]}, stride 1: assigned with bias, or accumulated. Input channels are split when the tiles alone
     * would not fill the device.
     */
    private void fewOut(int nb, int ci, int h, int w, int co, int kh, int kw, int ph, int pw, int oh, int ow,
                        int wOff, int sCo, int sCi, int sKh, int sKw, DeviceStorage in, DeviceStorage wt,
                        DeviceStorage bias, DeviceStorage out, boolean accumulate) {
        // candidates() offers this kernel only for batches the grid can hold.
        if (nb > MAX_GRID_Y) throw new IllegalArgumentException("batch " + nb + " exceeds the grid's " + MAX_GRID_Y);
        int tiles = Grid.ceilDiv(ow, FO_TW) * Grid.ceilDiv(oh, FO_TH);
        long total = (long) nb * co * oh * ow;
        int splits = Grid.splits((long) tiles * nb, ci, 4L * rt.multiprocessorCount(), 8);
        splits = (int) Math.max(1, Math.min(splits, MAX_PARTIAL_BYTES / (4 * total)));
        int ciChunk = (ci + splits - 1) / splits;
        splits = (ci + ciChunk - 1) / ciChunk;
        int shared = (int) fewOutSharedFloats(kh, kw) * Float.BYTES;
        Object[] args = {in, wt, bias, out, nb, ci, h, w, kh, kw, ph, pw, oh, ow, wOff, sCo, sCi, sKh, sKw, ciChunk,
                accumulate ? 1 : 0, null};
        String kernel = "conv_few_out_" + co;
        if (splits == 1) {
            rt.launch("conv", kernel, tiles, nb, 1, FO_THREADS, 1, 1, shared, args);
            return;
        }
        try (DeviceStorage partial = rt.scratch(splits * total)) {
            args[args.length - 1] = partial;
            rt.launch("conv", kernel, tiles, nb, splits, FO_THREADS, 1, 1, shared, args);
            rt.launch("conv", "conv_few_out_reduce", Grid.elementwise(total, rt.multiprocessorCount()), 1, 1,
                    Grid.THREADS, 1, 1, 0, partial, splits, total, bias, out, co, (long) oh * ow, accumulate ? 1 : 0);
        }
    }

    /** Launch shape of conv_wgrad_few_out: input channels per block and threads per block. */
    record WeightPlan(int ciBlock, int threads, int bands, int sharedBytes) {
    }

    /** The plan of the direct weight gradient, or null where it does not apply. */
    static WeightPlan fewOutWeight(ConvGeometry g) {
        int khw = g.kernelHeight() * g.kernelWidth();
        if (g.outChannels() > FEW_OUT_MAX || khw > 1024) return null;
        long tile = (long) ((WG_BAND_ROWS - 1) * g.stride() + g.kernelHeight())
                * ((WG_TW - 1) * g.stride() + g.kernelWidth());
        long room = SHARED_FLOATS - 4L * WG_BAND_ROWS * WG_TW;
        int ciBlock = (int) Math.min(Math.min(g.inChannels(), Math.max(1, 256 / khw)), room / tile);
        if (ciBlock < 1) return null;
        int bands = Grid.ceilDiv(g.outHeight(), WG_BAND_ROWS);
        if ((long) g.n() * bands * g.weightSize() * Float.BYTES > MAX_PARTIAL_BYTES) return null;
        int threads = (ciBlock * khw + 31) / 32 * 32;
        int shared = (int) ((4L * WG_BAND_ROWS * WG_TW + ciBlock * tile) * Float.BYTES);
        return new WeightPlan(ciBlock, threads, bands, shared);
    }

    private void fewOutWeight(ConvGeometry g, WeightPlan p, DeviceStorage x, DeviceStorage gy, DeviceStorage gw) {
        int blocksX = Grid.checkedInt((long) g.n() * p.bands(), "weight-gradient bands");
        int blocksY = Grid.ceilDiv(g.inChannels(), p.ciBlock());
        try (DeviceStorage partial = rt.scratch((long) blocksX * g.weightSize())) {
            rt.launch("conv", "conv_wgrad_few_out_" + g.outChannels(), blocksX, blocksY, 1, p.threads(), 1, 1,
                    p.sharedBytes(), x, gy, partial, g.n(), g.inChannels(), g.inHeight(), g.inWidth(),
                    g.kernelHeight(), g.kernelWidth(), g.stride(), g.padding(), g.outHeight(), g.outWidth(),
                    p.ciBlock(), WG_BAND_ROWS);
            rt.launch("conv", "conv_wgrad_few_out_reduce", Grid.elementwise(g.weightSize(), rt.multiprocessorCount()),
                    1, 1, Grid.THREADS, 1, 1, 0, partial, blocksX, g.weightSize(), gw);
        }
    }

    private static Object[] concat(Object[]... parts) {
        int n = 0;
        for (Object[] p : parts) n += p.length;
        Object[] all = new Object[n];
        int at = 0;
        for (Object[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }
}
