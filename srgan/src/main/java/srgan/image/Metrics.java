package srgan.image;

/**
 * PSNR and SSIM as SR papers report them (../shared/docs/SRGAN_REFERENCE.md, reference code
 * ../shared/bench/sr_metrics.py), all in double precision:
 * <ul>
 *   <li>both images are reduced to the Y channel of BT.601 YCbCr, Y = 16 + 65.481 R + 128.553 G + 24.966 B
 *       with R, G, B in [0, 1], not rounded;</li>
 *   <li>{@code border} pixels are cut from every side first (the convention uses border = scale);</li>
 *   <li>PSNR = 10 log10(255^2 / MSE), +infinity for identical images;</li>
 *   <li>SSIM: 11x11 Gaussian window with sigma 1.5, "valid" positions only (no padding),
 *       C1 = (0.01*255)^2, C2 = (0.03*255)^2, averaged over the positions.</li>
 * </ul>
 * A grayscale image is an RGB image with three equal planes ({@link RgbImage#read} makes it so), whose Y is
 * 16 + 219 g/255; it needs no separate path. Inputs are used as they are: quantise an SR output with
 * {@link RgbImage#quantized()} first to score what would be saved to disk, as the reference harness does.
 */
public final class Metrics {
    private static final int WINDOW = 11;
    private static final double SIGMA = 1.5;
    private static final double C1 = (0.01 * 255) * (0.01 * 255);
    private static final double C2 = (0.03 * 255) * (0.03 * 255);
    private static final double[] GAUSS = gaussian();

    private Metrics() {
    }

    /**
     * PSNR in dB on the Y channel after cutting {@code border} pixels from each side.
     *
     * @throws IllegalArgumentException if the sizes differ or nothing is left after the border cut
     */
    public static double psnrY(RgbImage a, RgbImage b, int border) {
        checkPair(a, b, border, 1);
        double[] ya = lumaCropped(a, border), yb = lumaCropped(b, border);
        double sse = 0;
        for (int i = 0; i < ya.length; i++) {
            double d = ya[i] - yb[i];
            sse += d * d;
        }
        double mse = sse / ya.length;
        return 10 * Math.log10(255.0 * 255.0 / mse);
    }

    /**
     * Mean SSIM on the Y channel after cutting {@code border} pixels from each side.
     *
     * @throws IllegalArgumentException if the sizes differ or less than 11x11 is left after the border cut
     */
    public static double ssimY(RgbImage a, RgbImage b, int border) {
        checkPair(a, b, border, WINDOW);
        int w = a.width() - 2 * border, h = a.height() - 2 * border;
        double[] ya = lumaCropped(a, border), yb = lumaCropped(b, border);
        double[] aa = new double[ya.length], bb = new double[ya.length], ab = new double[ya.length];
        for (int i = 0; i < ya.length; i++) {
            aa[i] = ya[i] * ya[i];
            bb[i] = yb[i] * yb[i];
            ab[i] = ya[i] * yb[i];
        }
        double[] mu1 = filterValid(ya, w, h), mu2 = filterValid(yb, w, h);
        double[] f11 = filterValid(aa, w, h), f22 = filterValid(bb, w, h), f12 = filterValid(ab, w, h);
        double sum = 0;
        for (int i = 0; i < mu1.length; i++) {
            double m1 = mu1[i], m2 = mu2[i];
            double s11 = f11[i] - m1 * m1, s22 = f22[i] - m2 * m2, s12 = f12[i] - m1 * m2;
            sum += ((2 * m1 * m2 + C1) * (2 * s12 + C2)) / ((m1 * m1 + m2 * m2 + C1) * (s11 + s22 + C2));
        }
        return sum / mu1.length;
    }

    /** The BT.601 Y plane (row-major H x W) of the window inside {@code border}. */
    static double[] lumaCropped(RgbImage img, int border) {
        int w = img.width(), h = img.height(), n = img.planeSize();
        int cw = w - 2 * border, ch = h - 2 * border;
        float[] px = img.pixels();
        double[] y = new double[cw * ch];
        for (int r = 0; r < ch; r++) {
            for (int c = 0; c < cw; c++) {
                int i = (r + border) * w + c + border;
                y[r * cw + c] = 16.0 + 65.481 * (px[i] / 255.0) + 128.553 * (px[n + i] / 255.0)
                        + 24.966 * (px[2 * n + i] / 255.0);
            }
        }
        return y;
    }

    private static void checkPair(RgbImage a, RgbImage b, int border, int minSide) {
        if (a.width() != b.width() || a.height() != b.height()) {
            throw new IllegalArgumentException("images differ in size: " + a.width() + "x" + a.height() + " and "
                    + b.width() + "x" + b.height());
        }
        if (border < 0) throw new IllegalArgumentException("border must be >= 0, got " + border);
        if (a.width() - 2 * border < minSide || a.height() - 2 * border < minSide) {
            throw new IllegalArgumentException("a " + a.width() + "x" + a.height() + " image less a border of "
                    + border + " leaves less than " + minSide + "x" + minSide + " pixels");
        }
    }

    /** The normalised 1-D Gaussian; its outer product is the 2-D window. */
    private static double[] gaussian() {
        double[] g = new double[WINDOW];
        double sum = 0;
        for (int i = 0; i < WINDOW; i++) {
            double d = i - WINDOW / 2;
            g[i] = Math.exp(-(d * d) / (2 * SIGMA * SIGMA));
            sum += g[i];
        }
        for (int i = 0; i < WINDOW; i++) g[i] /= sum;
        return g;
    }

    /** The 2-D Gaussian filter at every position where the whole window fits, done as two 1-D passes. */
    private static double[] filterValid(double[] x, int w, int h) {
        int ow = w - WINDOW + 1, oh = h - WINDOW + 1;
        double[] rows = new double[h * ow];
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < ow; c++) {
                double s = 0;
                for (int k = 0; k < WINDOW; k++) s += GAUSS[k] * x[r * w + c + k];
                rows[r * ow + c] = s;
            }
        }
        double[] out = new double[oh * ow];
        for (int r = 0; r < oh; r++) {
            for (int k = 0; k < WINDOW; k++) {
                double g = GAUSS[k];
                int src = (r + k) * ow, dst = r * ow;
                for (int c = 0; c < ow; c++) out[dst + c] += g * rows[src + c];
            }
        }
        return out;
    }
}
