package srgan.app;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import srgan.engine.backend.Backend;
import srgan.image.ImageFiles;
import srgan.inference.Evaluation;
import srgan.inference.Inference;
import srgan.model.Generator;
import srgan.model.GeneratorFiles;
import srgan.train.Scores;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
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
        try (Backend backend = device.open(); Generator generator = GeneratorFiles.load(backend, model)) {
            int modelScale = Inference.scale(generator);
            if (modelScale != scale) {
                throw new IllegalArgumentException("the model upscales by " + modelScale + ", but --scale is " + scale);
            }
            evaluate(files, generator, border, out);
        }
        return 0;
    }

    private void evaluate(List<Path> files, Generator generator, int border, PrintStream out) throws IOException {
        out.printf("%s: x%d, PSNR-Y (dB) / SSIM-Y, %d-pixel border cut%n", data, scale, border);
        out.println(String.format("%-24s %-10s %-21s%s", "image", "HR size", "bicubic",
                generator == null ? "" : "model").stripTrailing());
        List<Evaluation.ImageScore> scores = new ArrayList<>();
        for (Path f : files) {
            Evaluation.ImageScore s = Evaluation.score(f, generator, scale, border, tile);
            scores.add(s);
            String row = String.format("%-24s %-10s %-21s", f.getFileName(), s.hr().width() + "x" + s.hr().height(),
                    cell(s.bicubic()));
            if (generator != null) row += cell(s.model());
            out.println(row.stripTrailing());
        }
        String mean = String.format("%-24s %-10s %-21s", "mean (" + files.size() + " images)", "",
                cell(Evaluation.mean(scores, false)));
        if (generator != null) mean += cell(Evaluation.mean(scores, true));
        out.println(mean.stripTrailing());
    }

    private static String cell(Scores s) {
        return String.format("%.2f dB / %.4f", s.psnr(), s.ssim());
    }
}
