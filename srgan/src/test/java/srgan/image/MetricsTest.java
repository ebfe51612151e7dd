package srgan.image;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * PSNR-Y and SSIM-Y against closed forms and against the reference harness ../shared/bench/sr_metrics.py.
 * The harness numbers were printed by running, in ../shared/bench with Debian's python3 (numpy 1.24, scipy 1.10):
 * <pre>
 * env PATH=$(getconf PATH) python3 -c "
 * import sys, numpy as np; sys.path.insert(0, '.'); from sr_metrics import *
 * def synth(w, h):
 *     y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing='ij')
 *     return ((37 * x + 91 * y + 53 * c + 11 * x * y) % 256).astype(np.float64)
 * a = synth(40, 32); b = np.clip(a + ((np.arange(a.size).reshape(a.shape) * 7919) % 13 - 6), 0, 255)
 * print('%.12f %.12f' % (psnr_y(a, b, 4), ssim_y(a, b, 4)))
 * print('%.12f %.12f' % (psnr_y(a, b, 0), ssim_y(a, b, 0)))
 * g, g2 = np.repeat(a[..., :1], 3, axis=2), np.repeat(b[..., :1], 3, axis=2)
 * print('%.12f %.12f' % (psnr_y(g, g2, 4), ssim_y(g, g2, 4)))"
 * </pre>
 */
class MetricsTest {
    /** {@link BicubicTest#synth}(40, 32) and its noisy copy {@code b} of the harness command above. */
    private static RgbImage[] pair() {
        RgbImage a = BicubicTest.synth(40, 32);
        int w = 40, h = 32;
        float[] b = new float[a.pixels().length];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    long hwcIndex = (y * (long) w + x) * 3 + c; // numpy's flat index in H x W x C order
                    float v = a.get(c, x, y) + (hwcIndex * 7919 % 13 - 6);
                    b[(c * h + y) * w + x] = Math.max(0, Math.min(255, v));
                }
            }
        }
        return new RgbImage[]{a, new RgbImage(w, h, b)};
    }

    /** An image whose three planes are plane {@code c} of {@code img}, as a grayscale file reads. */
    private static RgbImage gray(RgbImage img, int c) {
        int n = img.planeSize();
        float[] px = new float[3 * n];
        for (int p = 0; p < 3; p++) System.arraycopy(img.pixels(), c * n, px, p * n, n);
        return new RgbImage(img.width(), img.height(), px);
    }

    @Test
    void identicalImagesHaveInfinitePsnrAndSsimOne() {
        RgbImage a = BicubicTest.synth(30, 20);
        RgbImage copy = new RgbImage(30, 20, a.pixels().clone());
        assertEquals(Double.POSITIVE_INFINITY, Metrics.psnrY(a, copy, 4));
        assertEquals(1.0, Metrics.ssimY(a, copy, 4), 0);
    }

    @Test
    void aConstantOffsetGivesTheClosedFormPsnr() {
        // Adding d to R, G and B moves Y by (65.481 + 128.553 + 24.966) d / 255 = 219 d / 255 everywhere,
        // so PSNR = 20 log10(255^2 / (219 d)); for d = 3: 39.9102998...
        float[] px = BicubicTest.synth(30, 20).pixels();
        float[] plus = new float[px.length];
        for (int i = 0; i < px.length; i++) {
            px[i] = Math.min(px[i], 250); // leaves room for the offset, so nothing is clipped
            plus[i] = px[i] + 3;
        }
        RgbImage base = new RgbImage(30, 20, px), shifted = new RgbImage(30, 20, plus);
        double expected = 20 * Math.log10(255.0 * 255.0 / (219 * 3));
        assertEquals(39.910299826, expected, 1e-8);
        assertEquals(expected, Metrics.psnrY(base, shifted, 0), 1e-9);
        assertEquals(expected, Metrics.psnrY(shifted, base, 5), 1e-9);
    }

    @Test
    void psnrAndSsimMatchTheHarness() {
        RgbImage[] p = pair();
        assertEquals(40.817130054527, Metrics.psnrY(p[0], p[1], 4), 1e-9);
        assertEquals(0.998211151132, Metrics.ssimY(p[0], p[1], 4), 1e-11);
        assertEquals(40.795661482297, Metrics.psnrY(p[0], p[1], 0), 1e-9);
        assertEquals(0.998328830626, Metrics.ssimY(p[0], p[1], 0), 1e-11);
    }

    @Test
    void grayscaleImagesUseTheSameFormula() {
        RgbImage[] p = pair();
        RgbImage g1 = gray(p[0], 0), g2 = gray(p[1], 0);
        assertEquals(38.051639930260, Metrics.psnrY(g1, g2, 4), 1e-9);
        assertEquals(0.998680781930, Metrics.ssimY(g1, g2, 4), 1e-11);
    }

    @Test
    void metricsAreSymmetric() {
        RgbImage[] p = pair();
        assertEquals(Metrics.psnrY(p[0], p[1], 4), Metrics.psnrY(p[1], p[0], 4), 1e-12);
        assertEquals(Metrics.ssimY(p[0], p[1], 4), Metrics.ssimY(p[1], p[0], 4), 1e-12);
    }

    @Test
    void rejectsMismatchedOrTooSmallImages() {
        RgbImage a = BicubicTest.synth(30, 20);
        assertThrows(IllegalArgumentException.class, () -> Metrics.psnrY(a, BicubicTest.synth(30, 21), 0));
        assertThrows(IllegalArgumentException.class, () -> Metrics.psnrY(a, a, 10));
        assertThrows(IllegalArgumentException.class, () -> Metrics.psnrY(a, a, -1));
        // SSIM needs an 11x11 window: 20 - 2*5 = 10 rows is one too few.
        assertThrows(IllegalArgumentException.class, () -> Metrics.ssimY(a, a, 5));
        assertEquals(1.0, Metrics.ssimY(a, a, 4), 0);
    }

    /**
     * The whole bicubic x4 protocol on Set5, image by image. Expected values from the harness, run in
     * ../shared/bench: {@code env PATH=$(getconf PATH) python3 <repo>/tools/reference-values/set5_pins.py ../data/Set5}, a copy of
     * bicubic_baseline.py's loop printing, per image, {@code lr.sum()}, {@code sr.sum()} and
     * {@code psnr_y(sr, hr, 4)}, {@code ssim_y(sr, hr, 4)} with '%.10f'
     * (bicubic_baseline.py itself prints "Set5: n=5 bicubic x4 PSNR-Y 28.43 dB SSIM-Y 0.8113").
     */
    @Test
    void bicubicBaselineOnSet5MatchesTheHarnessImageByImage() throws IOException {
        Path set5 = SharedData.dataset("Set5");
        String[] names = {"baby.png", "bird.png", "butterfly.png", "head.png", "woman.png"};
        double[] lrSums = {6727098, 1054978, 1413274, 1074133, 1783747};
        double[] srSums = {107633007, 16882094, 22612352, 17186280, 28541541};
        double[] psnr = {31.7867406692, 30.1862386861, 22.0997661262, 31.6173431511, 26.4669607534};
        double[] ssim = {0.8576803765, 0.8738267470, 0.7374443926, 0.7547829506, 0.8326097464};
        double psnrSum = 0, ssimSum = 0;
        for (int i = 0; i < names.length; i++) {
            RgbImage hr = RgbImage.read(set5.resolve(names[i])).modCrop(4);
            RgbImage lr = Bicubic.resizeToUint8(hr, 0.25);
            RgbImage sr = Bicubic.resizeToUint8(lr, 4);
            assertEquals(lrSums[i], sum(lr), names[i] + " LR");
            assertEquals(srSums[i], sum(sr), names[i] + " SR");
            double p = Metrics.psnrY(sr, hr, 4), s = Metrics.ssimY(sr, hr, 4);
            assertEquals(psnr[i], p, 1e-9, names[i]);
            assertEquals(ssim[i], s, 1e-9, names[i]);
            psnrSum += p;
            ssimSum += s;
        }
        // harness: mean psnr 28.4314098772 ssim 0.8112688426
        assertEquals(28.4314098772, psnrSum / 5, 1e-9);
        assertEquals(0.8112688426, ssimSum / 5, 1e-9);
    }

    private static double sum(RgbImage img) {
        double s = 0;
        for (float v : img.pixels()) s += v;
        return s;
    }
}
