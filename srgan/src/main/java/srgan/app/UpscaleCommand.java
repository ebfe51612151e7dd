package srgan.app;

import srgan.inference.Inference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import srgan.engine.backend.Backend;
import srgan.image.Bicubic;
import srgan.image.ImageFiles;
import srgan.image.RgbImage;
import srgan.model.Generator;
import srgan.model.GeneratorFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code srgan upscale IN OUT}: 4x super-resolution of one image or of every image in a folder, written as
 * PNG. The generator runs tile by tile ({@link Inference}), so any image size fits in memory; without
 * {@code --model} the upscaling is MATLAB bicubic, the baseline.
 */
@Command(name = "upscale", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Upscale one image, or every image in a folder, by 4x and write PNGs.",
                "IN a file: OUT is the PNG to write if it ends in .png, else a folder (created if needed) that "
                        + "receives IN's name with .png. IN a folder: OUT is a folder receiving one NAME.png per "
                        + "image."})
final class UpscaleCommand implements Callable<Integer> {
    /** The scale of the bicubic fallback, matching SRResNet's. */
    private static final int BICUBIC_SCALE = 4;

    @Mixin
    DeviceOption device;

    @Parameters(index = "0", paramLabel = "IN", description = "An image (.png, .jpg, .jpeg, .bmp) or a folder of them.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "The output PNG, or the output folder.")
    Path out;

    @Option(names = "--model", paramLabel = "G.safetensors",
            description = "Generator weights; without it the images are upscaled by bicubic interpolation.")
    Path model;

    @Option(names = "--tile", defaultValue = "128", paramLabel = "PIXELS",
            description = "LR tile side; smaller tiles use less memory. Default: ${DEFAULT-VALUE}.")
    int tile;

    @Option(names = "--overlap", paramLabel = "PIXELS",
            description = "LR context read around each tile. Default: the generator's receptive-field radius "
                    + "(40 for 16 blocks), which makes the tiled result equal to a whole-image pass; less is "
                    + "faster but approximate at tile seams.")
    Integer overlap;

    private record Job(Path input, Path output) {
    }

    @Override
    public Integer call() throws IOException {
        if (tile < 1) throw new IllegalArgumentException("--tile must be at least 1, got " + tile);
        if (overlap != null && overlap < 0) throw new IllegalArgumentException("--overlap must be >= 0, got " + overlap);
        List<Job> jobs = plan();
        // Everything that can be checked is checked before the first image is processed.
        checkWritable(jobs.get(0).output().toAbsolutePath().getParent());
        if (model == null) {
            for (Job job : jobs) {
                long t0 = System.nanoTime();
                RgbImage lr = RgbImage.read(job.input());
                RgbImage sr = Bicubic.resizeToUint8(lr, BICUBIC_SCALE);
                sr.writePng(job.output());
                report(job, lr, sr, t0);
            }
            return 0;
        }
        try (Backend backend = device.open(); Generator generator = GeneratorFiles.load(backend, model)) {
            int radius = Inference.receptiveFieldRadius(generator);
            int context = overlap == null ? radius : overlap;
            if (context < radius) {
                System.err.printf("warning: --overlap %d is below the generator's receptive-field radius %d: pixels "
                        + "near tile seams may differ slightly from a whole-image pass%n", context, radius);
            }
            for (Job job : jobs) {
                long t0 = System.nanoTime();
                RgbImage lr = RgbImage.read(job.input());
                RgbImage sr = Inference.upscale(generator, lr, tile, context);
                sr.writePng(job.output());
                report(job, lr, sr, t0);
            }
        }
        return 0;
    }

    /** Pairs every input with its output path, refusing a plan that would overwrite one output with another. */
    private List<Job> plan() throws IOException {
        List<Job> jobs = new ArrayList<>();
        if (Files.isDirectory(in)) {
            if (Files.exists(out) && !Files.isDirectory(out)) {
                throw new IllegalArgumentException("IN " + in + " is a folder, so OUT " + out + " must be a folder too");
            }
            Map<Path, Path> seen = new HashMap<>();
            for (Path f : ImageFiles.list(in)) {
                Path target = out.resolve(ImageFiles.stem(f) + ".png");
                Path previous = seen.put(target, f);
                if (previous != null) {
                    throw new IllegalArgumentException(previous.getFileName() + " and " + f.getFileName()
                            + " would both be written to " + target);
                }
                jobs.add(new Job(f, target));
            }
        } else if (Files.isRegularFile(in)) {
            boolean toFile = !Files.isDirectory(out)
                    && out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png");
            jobs.add(new Job(in, toFile ? out : out.resolve(ImageFiles.stem(in) + ".png")));
        } else {
            throw new IllegalArgumentException("IN " + in + " does not exist");
        }
        for (Job job : jobs) {
            if (Files.isDirectory(job.output())) {
                throw new IllegalArgumentException("cannot write " + job.output() + ": it is a folder");
            }
        }
        return jobs;
    }

    /**
     * Creates the output folder if needed and proves it writable by creating and deleting a file in it (a
     * permission check alone would pass for root on a read-only mount).
     */
    private static void checkWritable(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, ".srgan-upscale-", ".probe"));
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            throw new IllegalArgumentException("cannot write to output folder " + dir + ": " + describe(e), e);
        }
    }

    private static String describe(Exception e) {
        String name = e.getClass().getSimpleName();
        return e.getMessage() == null ? name : name + " " + e.getMessage();
    }

    private static void report(Job job, RgbImage lr, RgbImage sr, long t0) {
        System.out.printf("%s (%dx%d) -> %s (%dx%d), %.2f s%n", job.input(), lr.width(), lr.height(), job.output(),
                sr.width(), sr.height(), (System.nanoTime() - t0) / 1e9);
    }
}
