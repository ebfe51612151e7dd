package srgan.image;

import srgan.engine.resample.BicubicTable;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * MATLAB's {@code imresize(img, scale, 'bicubic')}, the resize every SR paper uses to make LR inputs and the
 * bicubic baseline (see ../shared/docs/SRGAN_REFERENCE.md; ../shared/bench/sr_metrics.py is the reference this
 * class is tested against). Each axis is resized with MATLAB's weights, {@link BicubicTable} (Keys' cubic with
 * a = -0.5, anti-aliased when downscaling, mirrored borders, output size ceil(in*s) on each side); rows (H) are
 * resized first, then columns (W).
 *
 * <p>Sums are taken in double precision. Each axis's table is computed once per (input length, scale) and
 * cached, so resizing many crops of one size costs only the multiply-adds. The class is stateless apart from that
 * thread-safe cache.
 */
public final class Bicubic {
    /** Cached tables; a few sizes recur (training crops, dataset images), so the cache stays small. */
    private static final Map<Key, BicubicTable> TABLES = new ConcurrentHashMap<>();
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
        return new RgbImage(BicubicTable.outLength(img.width(), scale), BicubicTable.outLength(img.height(), scale),
                px);
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
        return new RgbImage(BicubicTable.outLength(img.width(), scale), BicubicTable.outLength(img.height(), scale),
                px);
    }

    private static double[] resizeDouble(RgbImage img, double scale) {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("scale must be positive and finite, got " + scale);
        }
        int w = img.width(), h = img.height();
        BicubicTable rows = table(h, scale);
        BicubicTable cols = table(w, scale);
        int oh = rows.outLength(), ow = cols.outLength();
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
            Arrays.fill(tmp, 0);
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

    private record Key(int inLength, double scale) {
    }

    /** The cached table resizing {@code inLength} pixels by {@code scale}, built on first use. */
    static BicubicTable table(int inLength, double scale) {
        Key key = new Key(inLength, scale);
        BicubicTable t = TABLES.get(key);
        if (t == null) {
            // Rebuilding a table is cheap, so an overfull cache is simply emptied rather than managed.
            if (TABLES.size() >= MAX_TABLES) TABLES.clear();
            t = TABLES.computeIfAbsent(key, k -> BicubicTable.matlab(k.inLength, k.scale));
        }
        return t;
    }

    /** LR taps either side of an output pixel's own LR pixel that integer upscaling reads: {@link #upscaleTaps}. */
    public static final int UPSCALE_TAP_RADIUS = 2;

    /**
     * MATLAB's weights for upscaling by an integer factor r (no anti-aliasing then), away from the borders:
     * output pixel {@code x*r + p} is the sum over d in -2..2 of {@code taps[p][d + 2]} times LR pixel
     * {@code x + d}, along each axis. The source coordinate is {@code x + (p + 0.5)/r - 0.5}, as in
     * {@link BicubicTable#matlab}; near a border MATLAB mirrors the taps that fall outside.
     */
    public static double[][] upscaleTaps(int r) {
        if (r < 1) throw new IllegalArgumentException("upscaling factor must be >= 1, got " + r);
        int n = 2 * UPSCALE_TAP_RADIUS + 1;
        double[][] taps = new double[r][n];
        for (int p = 0; p < r; p++) {
            double offset = (p + 0.5) / r - 0.5, sum = 0;
            for (int k = 0; k < n; k++) sum += taps[p][k] = BicubicTable.cubic(offset - (k - UPSCALE_TAP_RADIUS));
            for (int k = 0; k < n; k++) taps[p][k] /= sum;
        }
        return taps;
    }
}
