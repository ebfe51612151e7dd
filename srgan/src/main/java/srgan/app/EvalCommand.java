package srgan.app;

import srgan.inference.Inference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import srgan.engine.backend.Backend;
import srgan.image.Bicubic;
import srgan.image.ImageFiles;
import srgan.image.Metrics;
import srgan.image.RgbImage;
import srgan.model.SrResNet;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code srgan eval}: PSNR and SSIM of the generator, and of bicubic, on a folder of HR images, with the
 * convention of SR papers (../shared/docs/SRGAN_REFERENCE.md): HR mod-cropped to a multiple of the scale, LR
 * made by MATLAB bicubic downscaling to uint8, both outputs rounded to uint8 like a saved image, metrics on
 * BT.601 Y with {@code --crop} pixels cut from each border.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"PSNR-Y and SSIM-Y of a generator and of bicubic on a folder of HR images.",
                "Each image (sorted by name) is mod-cropped to a multiple of --scale, downscaled with MATLAB's "
                        + "bicubic to make the LR input, and upscaled again by bicubic and by the generator."})
final class EvalCommand implements Callable<Integer> {
    @Mixin
    DeviceOption device;

    @Option(names = "--data", required = true, paramLabel = "DIR",
            description = "Folder of HR images (.png, .jpg, .jpeg, .bmp).")
    Path data;

    @Option(names = "--model", paramLabel = "G.safetensors",
            description = "Generator weights; without it only the bicubic baseline is computed.")
    Path model;

    @Option(names = "--scale", defaultValue = "4", description = "Upscaling factor. Default: ${DEFAULT-VALUE}.")
    int scale;

    @Option(names = "--crop", paramLabel = "N",
            description = "Pixels cut from each border before the metrics. Default: the scale.")
    Integer crop;

    @Option(names = "--tile", defaultValue = "128", paramLabel = "PIXELS",
            description = "LR tile side for the generator (bounds memory; the result does not depend on it). "
                    + "Default: ${DEFAULT-VALUE}.")
    int tile;

    @Override
    public Integer call() throws IOException {
        if (scale < 1) throw new IllegalArgumentException("--scale must be at least 1, got " + scale);
        int border = crop == null ? scale : crop;
        if (border < 0) throw new IllegalArgumentException("--crop must be >= 0, got " + border);
        if (tile < 1) throw new IllegalArgumentException("--tile must be at least 1, got " + tile);
        List<Path> files = ImageFiles.list(data);
        PrintStream out = System.out;
        if (model == null) {
            evaluate(files, null, border, out);
            return 0;
        }
        try (Backend backend = device.open(); SrResNet generator = Inference.loadGenerator(backend, model)) {
            int modelScale = Inference.scale(generator);
            if (modelScale != scale) {
                throw new IllegalArgumentException("the model upscales by " + modelScale + ", but --scale is " + scale);
            }
            evaluate(files, generator, border, out);
        }
        return 0;
    }

    private void evaluate(List<Path> files, SrResNet generator, int border, PrintStream out) throws IOException {
        out.printf("%s: x%d, PSNR-Y (dB) / SSIM-Y, %d-pixel border cut%n", data, scale, border);
        out.println(String.format("%-24s %-10s %-21s%s", "image", "HR size", "bicubic",
                generator == null ? "" : "model").stripTrailing());
        double[] sums = new double[4];
        int overlap = generator == null ? 0 : Inference.receptiveFieldRadius(generator);
        for (Path f : files) {
            RgbImage hr = RgbImage.read(f).modCrop(scale);
            RgbImage lr = Bicubic.resizeToUint8(hr, 1.0 / scale);
            RgbImage bicubic = Bicubic.resizeToUint8(lr, scale);
            double bp = Metrics.psnrY(bicubic, hr, border), bs = Metrics.ssimY(bicubic, hr, border);
            sums[0] += bp;
            sums[1] += bs;
            String row = String.format("%-24s %-10s %-21s", f.getFileName(), hr.width() + "x" + hr.height(),
                    cell(bp, bs));
            if (generator != null) {
                // Scored as it would be saved: rounded and clamped to 8 bits, as the bicubic image is.
                RgbImage sr = Inference.upscale(generator, lr, tile, overlap).quantized();
                double mp = Metrics.psnrY(sr, hr, border), ms = Metrics.ssimY(sr, hr, border);
                sums[2] += mp;
                sums[3] += ms;
                row += cell(mp, ms);
            }
            out.println(row.stripTrailing());
        }
        int n = files.size();
        String mean = String.format("%-24s %-10s %-21s", "mean (" + n + " images)", "", cell(sums[0] / n, sums[1] / n));
        if (generator != null) mean += cell(sums[2] / n, sums[3] / n);
        out.println(mean.stripTrailing());
    }

    private static String cell(double psnr, double ssim) {
        return String.format("%.2f dB / %.4f", psnr, ssim);
    }
}
