package srgan.cuda;

import srgan.engine.resample.BicubicTable;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * What the bicubic kernels (bicubic.cu through {@link CudaBicubic}) are held to, on the emulator
 * (EmulatedBicubicTest) and on a GPU (CudaBicubicTest). Batches are NCHW: N images, C channels, H rows, W columns.
 *
 * <ul>
 *   <li>{@link #matlab}: an independent oracle. It writes MATLAB's definition out directly, without
 *       {@link BicubicTable}: for each output pixel, a dense weight over every input pixel of the axis (the
 *       stretched cubic at every input position in reach, mirrored positions added onto their pixel, normalised),
 *       then the 2-D sum over all (row, column) pairs at once, in double. It shares no code or summation order
 *       with the kernels, so it checks the tables, the mirroring and the separable passes.</li>
 *   <li>{@link #cpuOrder}: {@code srgan.image.Bicubic.resizeDouble}'s loops, ported (the kernels module cannot
 *       see the srgan module): the same tables and the same double operations in the same order. The kernels
 *       must give exactly its bits; this is what makes GPU-made LR batches identical to the CPU loader's.</li>
 * </ul>
 */
final class BicubicReference {

    private BicubicReference() {
    }

    /** What a case's input holds, on the 0..255 scale. */
    enum Input {
        /** Random 8-bit values, as images hold. */
        UINT8,
        /** Only 0 and 255: upscaling them overshoots 0..255, so the clamp is exercised. */
        EXTREMES,
        /** Random floats in 0..255. */
        FLOATS,
        /**
         * 8-bit columns repeating 10, 10, 11, 11 (plus 20 per plane): each x1/4 output pixel away from the left
         * and right borders weighs the pairs of columns either side of its centre alike, and each pair sums to
         * 21, so it is exactly k + 0.5, a rounding tie (x1/4 weights are dyadic: no rounding on the way).
         */
        TIES
    }

    /** One resize to check. */
    record Case(String name, int n, int c, int h, int w, double scale, CudaBicubic.Output output, Input kind) {
        int oh() {
            return BicubicTable.outLength(h, scale);
        }

        int ow() {
            return BicubicTable.outLength(w, scale);
        }

        float[] input(long seed) {
            Random r = new Random(seed);
            float[] x = new float[n * c * h * w];
            for (int i = 0; i < x.length; i++) {
                x[i] = switch (kind) {
                    case UINT8 -> r.nextInt(256);
                    case EXTREMES -> r.nextBoolean() ? 255f : 0f;
                    case FLOATS -> (float) (255 * r.nextDouble());
                    case TIES -> 10 + (i % w % 4 >= 2 ? 1 : 0) + 20 * (i / (h * w));
                };
            }
            return x;
        }
    }

    /**
     * Down x1/4 (anti-aliased), up x4, odd sizes, a non-dyadic scale, a one-row image, rounding ties; batch and
     * channels > 1.
     */
    static final List<Case> CASES = List.of(
            new Case("down x1/4, a 96x96 training crop, LR input [0, 1]", 2, 3, 96, 96, 0.25,
                    CudaBicubic.Output.uint8(0, 1), Input.UINT8),
            new Case("down x1/4, odd 37x23, unrounded", 2, 3, 37, 23, 0.25, CudaBicubic.Output.RAW, Input.FLOATS),
            new Case("down x1/4, 12x16, uint8 onto [-1, 1]", 1, 3, 12, 16, 0.25,
                    CudaBicubic.Output.uint8(-1, 1), Input.UINT8),
            new Case("up x4, 7x9, unrounded", 1, 2, 7, 9, 4, CudaBicubic.Output.RAW, Input.FLOATS),
            new Case("up x4, odd 5x3, 0/255 input, uint8 (clamped)", 2, 3, 5, 3, 4,
                    CudaBicubic.Output.uint8(0, 255), Input.EXTREMES),
            new Case("up x4, odd 5x3, 0/255 input, unrounded (overshoot)", 2, 3, 5, 3, 4,
                    CudaBicubic.Output.RAW, Input.EXTREMES),
            new Case("down x1/3, odd 19x17, unrounded", 3, 1, 19, 17, 1.0 / 3, CudaBicubic.Output.RAW, Input.FLOATS),
            new Case("up x2, one row 1x6 (every row tap mirrors onto it)", 1, 3, 1, 6, 2,
                    CudaBicubic.Output.RAW, Input.UINT8),
            new Case("down x1/4, 16x40, rounding ties, uint8", 2, 3, 16, 40, 0.25, CudaBicubic.Output.uint8(0, 255),
                    Input.TIES));

    // ---- the independent oracle ----

    /** Keys' cubic, a = -0.5, from its general form (not BicubicTable's). */
    private static double keys(double x) {
        final double a = -0.5;
        double t = Math.abs(x);
        if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
        if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
        return 0;
    }

    /** Row o of the dense weight matrix resizing {@code in} pixels to {@code out} by {@code scale}. */
    private static double[][] denseWeights(int in, int out, double scale) {
        double stretch = Math.min(scale, 1); // < 1 only when downscaling: MATLAB's anti-aliasing
        double reach = 2 / stretch;
        double[][] m = new double[out][in];
        for (int o = 0; o < out; o++) {
            double u = (o + 1) / scale + 0.5 * (1 - 1 / scale); // 1-based input coordinate
            double total = 0;
            for (long j = (long) Math.floor(u - reach); j <= (long) Math.ceil(u + reach); j++) {
                double wj = stretch * keys(stretch * (u - j));
                // Symmetric padding with the edge repeated: 1-based 0 reads 1, in + 1 reads in.
                long z = Math.floorMod(j - 1, 2L * in);
                int pixel = (int) (z < in ? z : 2L * in - 1 - z);
                m[o][pixel] += wj;
                total += wj;
            }
            for (int i = 0; i < in; i++) m[o][i] /= total;
        }
        return m;
    }

    /** imresize(x, scale, 'bicubic') by the definition, in double; [n, c, oh, ow]. */
    static double[] matlab(float[] x, Case k) {
        int oh = k.oh(), ow = k.ow();
        double[][] wy = denseWeights(k.h, oh, k.scale), wx = denseWeights(k.w, ow, k.scale);
        double[] y = new double[k.n * k.c * oh * ow];
        for (int p = 0; p < k.n * k.c; p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    double s = 0;
                    for (int iy = 0; iy < k.h; iy++) {
                        if (wy[oy][iy] == 0) continue;
                        for (int ix = 0; ix < k.w; ix++) s += wy[oy][iy] * wx[ox][ix] * x[(p * k.h + iy) * k.w + ix];
                    }
                    y[(p * oh + oy) * ow + ox] = s;
                }
            }
        }
        return y;
    }

    // ---- Bicubic.java's arithmetic ----

    /** Bicubic.resizeDouble's pass along H, plane by plane: [n*c, oh, w] doubles. */
    static double[] cpuRows(float[] x, Case k) {
        BicubicTable rows = BicubicTable.matlab(k.h, k.scale);
        int h = k.h, w = k.w, oh = rows.outLength(), rt = rows.taps();
        double[] tmp = new double[k.n * k.c * oh * w];
        for (int p = 0; p < k.n * k.c; p++) {
            for (int y = 0; y < oh; y++) {
                int dst = (p * oh + y) * w;
                for (int t = 0; t < rt; t++) {
                    double wk = rows.weight()[y * rt + t];
                    int s = (p * h + rows.index()[y * rt + t]) * w;
                    for (int c = 0; c < w; c++) tmp[dst + c] += wk * x[s + c];
                }
            }
        }
        return tmp;
    }

    /** Bicubic.resizeDouble: {@link #cpuRows}, then along W. */
    static double[] cpuOrder(float[] x, Case k) {
        BicubicTable cols = BicubicTable.matlab(k.w, k.scale);
        int w = k.w, oh = k.oh(), ow = cols.outLength(), ct = cols.taps();
        double[] tmp = cpuRows(x, k);
        double[] out = new double[k.n * k.c * oh * ow];
        for (int r = 0; r < k.n * k.c * oh; r++) {
            for (int c = 0; c < ow; c++) {
                double sum = 0;
                for (int t = 0; t < ct; t++) sum += cols.weight()[c * ct + t] * tmp[r * w + cols.index()[c * ct + t]];
                out[r * ow + c] = sum;
            }
        }
        return out;
    }

    /** RgbImage.toUint8: half away from zero, clamped to 0..255, NaN to 0. */
    static double toUint8(double v) {
        if (!(v > 0)) return 0;
        if (v >= 255) return 255;
        return Math.floor(v + 0.5);
    }

    /** What the kernel writes for a sum v: (float) v, or RgbImage.toTensorData(lo, hi) of the uint8 value. */
    static float written(double v, CudaBicubic.Output out) {
        if (!out.quantize()) return (float) v;
        double k = (out.hi() - out.lo()) / 255.0;
        return (float) (out.lo() + (float) toUint8(v) * k);
    }

    // ---- the verdict ----

    /**
     * Problems with {@code got} (empty when it passes), with the first few mismatches spelled out.
     *
     * <p>Against {@link #cpuOrder}: exact bits. Against {@link #matlab}: unrounded values within half a float
     * ulp of the oracle plus 1e-9 (the kernel's only rounding beyond double is the final store to float; the
     * 1e-9 covers the two double summations, whose differences are ~1e-13 on this 0..255 scale: so the bound
     * is at most 7.7e-6 near 255); quantised values equal, except where the oracle lies within 1e-9 of a
     * rounding tie k + 0.5, where the two double sums may fall on either side (counted and reported).
     */
    static List<String> check(Case k, float[] x, float[] got) {
        List<String> problems = new ArrayList<>();
        double[] oracle = matlab(x, k), cpu = cpuOrder(x, k);
        if (got.length < oracle.length) {
            problems.add(k.name + ": got " + got.length + " values, want " + oracle.length);
            return problems;
        }
        int exactOff = 0, oracleOff = 0, ties = 0;
        for (int i = 0; i < oracle.length; i++) {
            float cpuBits = written(cpu[i], k.output);
            if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(cpuBits)) {
                if (exactOff++ < 3) {
                    problems.add(String.format(Locale.ROOT, "%s [%d]: got %s, Bicubic.java's arithmetic gives %s",
                            k.name, i, Float.toString(got[i]), Float.toString(cpuBits)));
                }
            }
            boolean ok;
            if (k.output.quantize()) {
                double frac = oracle[i] - Math.floor(oracle[i]);
                boolean tie = Math.abs(frac - 0.5) <= 1e-9 && oracle[i] > 0 && oracle[i] < 255;
                if (tie) ties++;
                float want = written(oracle[i], k.output);
                ok = got[i] == want || tie && (got[i] == written(oracle[i] - 0.5, k.output)
                        || got[i] == written(oracle[i] + 0.5, k.output));
            } else {
                ok = Math.abs(got[i] - oracle[i]) <= 0.5 * Math.ulp((float) oracle[i]) + 1e-9;
            }
            if (!ok && oracleOff++ < 3) {
                problems.add(String.format(Locale.ROOT, "%s [%d]: got %.9g, the MATLAB oracle gives %.12g", k.name, i,
                        got[i], oracle[i]));
            }
        }
        if (k.kind == Input.TIES && ties == 0) problems.add(k.name + ": the input made no rounding ties");
        if (exactOff > 0) problems.add(k.name + ": " + exactOff + " values differ from Bicubic.java's bits");
        if (oracleOff > 0) problems.add(k.name + ": " + oracleOff + " values outside the oracle's tolerance");
        System.out.printf(Locale.ROOT, "%s: %d values, %d off Bicubic.java's bits, %d off the oracle%s%n", k.name,
                oracle.length, exactOff, oracleOff, k.output.quantize() ? " (" + ties + " rounding ties)" : "");
        return problems;
    }
}
