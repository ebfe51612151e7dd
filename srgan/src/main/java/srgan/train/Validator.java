package srgan.train;

import srgan.inference.Inference;
import srgan.engine.nn.Module;
import srgan.image.Bicubic;
import srgan.image.Metrics;
import srgan.image.RgbImage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scores the generator on held-out images as {@code eval} does: each HR image mod-cropped to a multiple of the
 * scale, LR made from it by MATLAB's bicubic (8-bit), SR quantised to 8 bits, then PSNR-Y and SSIM-Y with
 * {@code scale} pixels cut from every border ({@link Metrics}); the bicubic upscaling of the same LR is the
 * baseline, scored once. Also draws the sample grids: one row per sample image, (LR upscaled by bicubic | SR |
 * HR). HR images are kept as 8-bit planes, so a large validation folder costs 3 bytes a pixel.
 */
final class Validator {
    /** Tile side (LR pixels) for validation inference: bounds memory on large validation images. */
    private static final int TILE = 96;
    /** Largest HR side of a sample-grid panel; bigger images are cut to their centre. */
    private static final int PANEL = 192;
    private static final int GAP = 4;

    /** An HR image and the LR input made from it. */
    private record Item(PackedImage hr, RgbImage lr) {
    }

    private record Panel(RgbImage hr, RgbImage lr, RgbImage bicubic) {
    }

    private final int scale;
    private final List<Item> items = new ArrayList<>();
    private final List<Panel> panels = new ArrayList<>();
    private final Scores bicubic;

    /**
     * @param images  HR images to score on; may be empty when there is nothing to validate on
     * @param samples HR images for the sample grid (the first few validation images, or training images)
     */
    Validator(List<PackedImage> images, List<PackedImage> samples, int scale) {
        this.scale = scale;
        double psnr = 0, ssim = 0;
        for (PackedImage packed : images) {
            RgbImage hr = packed.unpack().modCrop(scale);
            RgbImage lr = Bicubic.resizeToUint8(hr, 1.0 / scale);
            RgbImage up = Bicubic.resizeToUint8(lr, scale);
            psnr += Metrics.psnrY(up, hr, scale);
            ssim += Metrics.ssimY(up, hr, scale);
            items.add(new Item(PackedImage.of(packed.name(), hr), lr));
        }
        bicubic = items.isEmpty() ? null : new Scores(psnr / items.size(), ssim / items.size());
        for (PackedImage packed : samples) {
            RgbImage hr = centre(packed.unpack(), PANEL);
            RgbImage lr = Bicubic.resizeToUint8(hr, 1.0 / scale);
            panels.add(new Panel(hr, lr, Bicubic.resizeToUint8(lr, scale)));
        }
    }

    /** The centre {@code side} x {@code side} window (or less, when the image is smaller), mod-cropped. */
    private RgbImage centre(RgbImage img, int side) {
        int w = Math.min(side, img.width()), h = Math.min(side, img.height());
        w -= w % scale;
        h -= h % scale;
        return img.crop((img.width() - w) / 2, (img.height() - h) / 2, w, h);
    }

    boolean hasImages() {
        return !items.isEmpty();
    }

    int imageCount() {
        return items.size();
    }

    /** The bicubic baseline's scores; null when there are no validation images. */
    Scores bicubic() {
        return bicubic;
    }

    /** The generator's scores (run in eval mode; its mode is restored). */
    Scores evaluate(Module generator) {
        double psnr = 0, ssim = 0;
        for (Item it : items) {
            RgbImage sr = superResolve(generator, it.lr());
            RgbImage hr = it.hr().unpack();
            psnr += Metrics.psnrY(sr, hr, scale);
            ssim += Metrics.ssimY(sr, hr, scale);
        }
        return new Scores(psnr / items.size(), ssim / items.size());
    }

    private static RgbImage superResolve(Module generator, RgbImage lr) {
        return Inference.upscale(generator, lr, TILE, Inference.receptiveFieldRadius(generator)).quantized();
    }

    /** The sample grid on a white background. */
    RgbImage grid(Module generator) {
        int width = 0, height = 0;
        for (Panel p : panels) {
            width = Math.max(width, 3 * p.hr().width() + 2 * GAP);
            height += p.hr().height() + GAP;
        }
        height -= GAP;
        float[] px = new float[3 * width * height];
        Arrays.fill(px, 255f);
        int y = 0;
        for (Panel p : panels) {
            int x = 0;
            for (RgbImage img : new RgbImage[]{p.bicubic(), superResolve(generator, p.lr()), p.hr()}) {
                paste(px, width, height, img, x, y);
                x += img.width() + GAP;
            }
            y += p.hr().height() + GAP;
        }
        return new RgbImage(width, height, px);
    }

    private static void paste(float[] px, int w, int h, RgbImage img, int x0, int y0) {
        for (int c = 0; c < 3; c++) {
            for (int r = 0; r < img.height(); r++) {
                for (int k = 0; k < img.width(); k++) px[(c * h + y0 + r) * w + x0 + k] = img.get(c, k, r);
            }
        }
    }
}
