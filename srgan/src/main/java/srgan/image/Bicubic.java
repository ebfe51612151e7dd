package srgan.image;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * MATLAB's {@code imresize(img, scale, 'bicubic')}, the resize every SR paper uses to make LR inputs and the
 * bicubic baseline (see ../shared/docs/SRGAN_REFERENCE.md; ../shared/bench/sr_metrics.py is the reference this
 * class is tested against):
 * <ul>
 *   <li>Keys' cubic kernel with a = -0.5;</li>
 *   <li>when downscaling by s &lt; 1 the kernel is stretched to width 4/s and weighted s*cubic(s*d), which is
 *       MATLAB's anti-aliasing;</li>
 *   <li>output pixel x (1-based) samples the input at u = x/s + 0.5*(1 - 1/s);</li>
 *   <li>taps outside the image are mirrored symmetrically (index -1 reads 0, index n reads n-1), as MATLAB
 *       does;</li>
 *   <li>the weights of each output pixel are normalised to sum 1;</li>
 *   <li>output size ceil(in*s) on each side; rows (H) are resized first, then columns (W).</li>
 * </ul>
 * Sums are taken in double precision. Each axis's weights form a small contribution table (output pixel x
 * taps, input indices and weights), computed once per (input length, output length, scale) and cached, so
 * resizing many crops of one size costs only the multiply-adds. The class is stateless apart from that
 * thread-safe cache.
 */
public final class Bicubic {
    /** Cached tables; a few sizes recur (training crops, dataset images), so the cache stays small. */
    private static final Map<Key, Contributions> TABLES = new ConcurrentHashMap<>();
    private static final int MAX_TABLES = 4096;

    private Bicubic() {
    }

    /**
     * Resizes by {@code scale} (e.g. 0.25 or 4) on both axes; the result is {@code ceil(width*scale)} x
     * {@code ceil(height*scale)} and its values are not rounded (they may leave 0..255 near edges).
     *
     * @throws IllegalArgumentException if {@code scale} is not positive and finite
     */
    public static RgbImage resize(RgbImage img, double scale) {
        double[] out = resizeDouble(img, scale);
        float[] px = new float[out.length];
        for (int i = 0; i < px.length; i++) px[i] = (float) out[i];
        return new RgbImage(outLength(img.width(), scale), outLength(img.height(), scale), px);
    }

    /**
     * As {@link #resize}, then rounded (half away from zero) and clamped to 0..255, which is what MATLAB
     * returns for a uint8 image. The rounding is done on the double-precision sums. The reference harness
     * rounds with {@code np.round}, half to even, so the two can differ by one at sums that are exactly
     * k + 0.5; x4 weights are dyadic fractions, so such ties do occur, rarely (none on Set5; 1 to 3 pixels in
     * five of the fourteen Set14 images, moving PSNR by less than 1e-8 dB).
     */
    public static RgbImage resizeToUint8(RgbImage img, double scale) {
        double[] out = resizeDouble(img, scale);
        float[] px = new float[out.length];
        for (int i = 0; i < px.length; i++) px[i] = RgbImage.toUint8(out[i]);
        return new RgbImage(outLength(img.width(), scale), outLength(img.height(), scale), px);
    }

    /** ceil(length * scale), computed as MATLAB and numpy compute it. */
    static int outLength(int length, double scale) {
        double v = Math.ceil(length * scale);
        if (!(v >= 1) || v > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("resizing length " + length + " by " + scale + " gives " + v);
        }
        return (int) v;
    }

    private static double[] resizeDouble(RgbImage img, double scale) {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("scale must be positive and finite, got " + scale);
        }
        int w = img.width(), h = img.height();
        int ow = outLength(w, scale), oh = outLength(h, scale);
        Contributions rows = table(h, oh, scale);
        Contributions cols = table(w, ow, scale);
        float[] pixels = img.pixels();
        // Widened once, so the inner loops are double multiply-adds that the JIT vectorises.
        double[] src = new double[pixels.length];
        for (int i = 0; i < src.length; i++) src[i] = pixels[i];
        double[] tmp = new double[oh * w];
        double[] out = new double[3 * oh * ow];
        int rt = rows.taps(), ct = cols.taps();
        int[] ri = rows.index(), ci = cols.index();
        double[] rw = rows.weight(), cw = cols.weight();
        for (int c = 0; c < 3; c++) {
            int plane = c * h * w;
            // Along H: each output row is a weighted sum of whole input rows, so the inner loop runs along memory.
            java.util.Arrays.fill(tmp, 0);
            for (int y = 0; y < oh; y++) {
                int dst = y * w;
                for (int k = 0; k < rt; k++) {
                    double wk = rw[y * rt + k];
                    int s = plane + ri[y * rt + k] * w;
                    for (int x = 0; x < w; x++) tmp[dst + x] += wk * src[s + x];
                }
            }
            // Along W.
            int outPlane = c * oh * ow;
            for (int y = 0; y < oh; y++) {
                int row = y * w;
                for (int x = 0; x < ow; x++) {
                    double sum = 0;
                    int t = x * ct;
                    for (int k = 0; k < ct; k++) sum += cw[t + k] * tmp[row + ci[t + k]];
                    out[outPlane + y * ow + x] = sum;
                }
            }
        }
        return out;
    }

    /**
     * The weights resizing one axis: output pixel {@code o} is {@code sum_k weight[o*taps+k] *
     * in[index[o*taps+k]]}, with every index already mirrored into 0..inLength-1.
     */
    record Contributions(int outLength, int taps, int[] index, double[] weight) {
    }

    private record Key(int inLength, int outLength, double scale) {
    }

    /** The cached table for one axis, built on first use. */
    static Contributions table(int inLength, int outLength, double scale) {
        Key key = new Key(inLength, outLength, scale);
        Contributions t = TABLES.get(key);
        if (t == null) {
            // Rebuilding a table is cheap, so an overfull cache is simply emptied rather than managed.
            if (TABLES.size() >= MAX_TABLES) TABLES.clear();
            t = TABLES.computeIfAbsent(key, k -> contributions(k.inLength, k.outLength, k.scale));
        }
        return t;
    }

    /** Keys' cubic convolution kernel with a = -0.5. */
    static double cubic(double x) {
        double ax = Math.abs(x), ax2 = ax * ax, ax3 = ax2 * ax;
        if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
        if (ax <= 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
        return 0;
    }

    /** MATLAB's {@code contributions()}: weights, normalised per output pixel, and mirrored input indices. */
    static Contributions contributions(int inLength, int outLength, double scale) {
        double kernelWidth = scale < 1 ? 4.0 / scale : 4.0;
        int p = (int) Math.ceil(kernelWidth) + 2;
        double[] w = new double[outLength * p];
        int[] idx = new int[outLength * p];
        for (int o = 0; o < outLength; o++) {
            double u = (o + 1) / scale + 0.5 * (1 - 1 / scale);
            double left = Math.floor(u - kernelWidth / 2);
            double sum = 0;
            for (int k = 0; k < p; k++) {
                double d = u - (left + k);
                double wk = scale < 1 ? scale * cubic(d * scale) : cubic(d);
                w[o * p + k] = wk;
                sum += wk;
                idx[o * p + k] = mirror((long) (left + k) - 1, inLength);
            }
            for (int k = 0; k < p; k++) w[o * p + k] /= sum;
        }
        // Like MATLAB, drop the tap positions that are zero for every output pixel (the table's edge columns).
        boolean[] keep = new boolean[p];
        int kept = 0;
        for (int k = 0; k < p; k++) {
            for (int o = 0; o < outLength && !keep[k]; o++) keep[k] = w[o * p + k] != 0;
            if (keep[k]) kept++;
        }
        double[] kw = new double[outLength * kept];
        int[] ki = new int[outLength * kept];
        for (int o = 0; o < outLength; o++) {
            int j = 0;
            for (int k = 0; k < p; k++) {
                if (!keep[k]) continue;
                kw[o * kept + j] = w[o * p + k];
                ki[o * kept + j] = idx[o * p + k];
                j++;
            }
        }
        return new Contributions(outLength, kept, ki, kw);
    }

    /**
     * Maps a 0-based index onto 0..n-1 by symmetric reflection with the edge pixel repeated (..., 1, 0, 0, 1,
     * ..., n-1, n-1, n-2, ...), periodic with period 2n, as MATLAB's {@code aux} array does.
     */
    static int mirror(long i, int n) {
        long m = Math.floorMod(i, 2L * n);
        return (int) (m < n ? m : 2L * n - 1 - m);
    }
}
