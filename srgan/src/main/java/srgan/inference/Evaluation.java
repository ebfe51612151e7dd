package srgan.inference;

import srgan.image.Bicubic;
import srgan.image.Metrics;
import srgan.image.RgbImage;
import srgan.model.Generator;
import srgan.train.Scores;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Scores a generator and bicubic on HR images with the convention of SR papers
 * (../shared/docs/SRGAN_REFERENCE.md): HR mod-cropped to a multiple of the scale, LR made by MATLAB bicubic
 * downscaling to uint8, both outputs rounded to uint8 like a saved image, metrics on BT.601 Y with
 * {@code border} pixels cut from each side. {@code eval} and {@code experiment} report these figures.
 */
public final class Evaluation {
    private Evaluation() {
    }

    /**
     * One image's figures.
     *
     * @param hr      the mod-cropped ground truth
     * @param lr      its bicubic downscaling, the generator's input
     * @param sr      the generator's output, quantised, or null without a generator
     * @param model   the generator's scores, or null without one
     */
    public record ImageScore(Path file, RgbImage hr, RgbImage lr, RgbImage sr, Scores bicubic, Scores model) {
    }

    /**
     * Scores one HR image file.
     *
     * @param generator the model, or null for the bicubic baseline only
     * @param tile      LR tile side for the generator; the result does not depend on it
     */
    public static ImageScore score(Path file, Generator generator, int scale, int border, int tile) throws IOException {
        RgbImage hr = RgbImage.read(file).modCrop(scale);
        RgbImage lr = Bicubic.resizeToUint8(hr, 1.0 / scale);
        RgbImage bicubic = Bicubic.resizeToUint8(lr, scale);
        Scores b = new Scores(Metrics.psnrY(bicubic, hr, border), Metrics.ssimY(bicubic, hr, border));
        if (generator == null) return new ImageScore(file, hr, lr, null, b, null);
        RgbImage sr = Inference.upscale(generator, lr, tile, Inference.receptiveFieldRadius(generator)).quantized();
        return new ImageScore(file, hr, lr, sr, b, new Scores(Metrics.psnrY(sr, hr, border), Metrics.ssimY(sr, hr, border)));
    }

    /** The mean of the bicubic ({@code model == false}) or the generator's scores. */
    public static Scores mean(List<ImageScore> scores, boolean model) {
        double p = 0, s = 0;
        for (ImageScore i : scores) {
            Scores x = model ? i.model() : i.bicubic();
            p += x.psnr();
            s += x.ssim();
        }
        return new Scores(p / scores.size(), s / scores.size());
    }
}
