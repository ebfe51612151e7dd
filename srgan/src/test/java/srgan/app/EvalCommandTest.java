package srgan.app;

import srgan.inference.Inference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import srgan.engine.Rng;
import srgan.engine.backend.cpu.CpuBackend;
import srgan.engine.io.HostTensor;
import srgan.engine.io.SafeTensors;
import srgan.image.Bicubic;
import srgan.image.Metrics;
import srgan.image.RgbImage;
import srgan.image.SharedData;
import srgan.config.GeneratorSpec;
import srgan.model.Generator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvalCommandTest {
    private static CpuBackend backend;
    private static Generator generator;

    @TempDir
    Path dir;

    @BeforeAll
    static void buildGenerator() {
        backend = new CpuBackend(2);
        generator = new Generator(backend, new Rng(5), GeneratorSpec.paper().withSize(8, 2));
    }

    @AfterAll
    static void close() {
        generator.close();
        backend.close();
    }

    private static CommandRun run(String... args) {
        return CommandRun.of(args);
    }

    private static String lineStartingWith(String text, String prefix) {
        return text.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no line starting with '" + prefix + "' in:\n" + text));
    }

    /** Three small images of odd sizes (mod-cropping matters), written as PNGs. */
    private Path dataset() throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        UpscaleInferenceTest.randomImage(38, 29, 1).writePng(data.resolve("b.png"));
        UpscaleInferenceTest.randomImage(45, 33, 2).writePng(data.resolve("a.png"));
        UpscaleInferenceTest.randomImage(40, 40, 3).writePng(data.resolve("c.png"));
        Files.writeString(data.resolve("readme.txt"), "not an image, and not listed");
        return data;
    }

    @Test
    void bicubicBaselineOnSet5ReadsThePublishedFigure() {
        // ../shared/bench/bicubic_baseline.py ../shared/data/Set5 (Debian python3, numpy 1.24) prints
        // "Set5: n=5 bicubic x4 PSNR-Y 28.43 dB SSIM-Y 0.8113"; MATLAB's published figure is 28.42 / 0.8104.
        Path set5 = SharedData.dataset("Set5");
        CommandRun r = run("eval", "--data", set5.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(lineStartingWith(r.out(), "mean (5 images)").contains("28.43 dB / 0.8113"), r.out());
        assertTrue(lineStartingWith(r.out(), "baby.png").contains("512x512    31.79 dB / 0.8577"), r.out());
    }

    @Test
    void modelRowsAreTheGeneratorsScoresOnTheRoundedOutput() throws IOException {
        Path data = dataset();
        Path model = dir.resolve("g.safetensors");
        generator.save(model);
        CommandRun r = run("eval", "--data", data.toString(), "--model", model.toString(), "--device", "cpu", "--tile", "7");
        assertEquals(0, r.code(), r.err());
        double[] sums = new double[4];
        for (String name : List.of("a.png", "b.png", "c.png")) {
            RgbImage hr = RgbImage.read(data.resolve(name)).modCrop(4);
            RgbImage lr = Bicubic.resizeToUint8(hr, 0.25);
            RgbImage bicubic = Bicubic.resizeToUint8(lr, 4);
            RgbImage sr = Inference.upscale(generator, lr).quantized();
            double[] v = {Metrics.psnrY(bicubic, hr, 4), Metrics.ssimY(bicubic, hr, 4),
                    Metrics.psnrY(sr, hr, 4), Metrics.ssimY(sr, hr, 4)};
            for (int i = 0; i < 4; i++) sums[i] += v[i];
            String expected = String.format("%.2f dB / %.4f    %.2f dB / %.4f", v[0], v[1], v[2], v[3]);
            String line = lineStartingWith(r.out(), name);
            assertTrue(line.contains(hr.width() + "x" + hr.height()) && line.endsWith(expected),
                    "expected '" + expected + "' in: " + line);
        }
        String mean = String.format("%.2f dB / %.4f    %.2f dB / %.4f", sums[0] / 3, sums[1] / 3, sums[2] / 3, sums[3] / 3);
        assertTrue(lineStartingWith(r.out(), "mean (3 images)").endsWith(mean), r.out());
        // The images are listed sorted by name, whatever order the folder gives.
        assertTrue(r.out().indexOf("a.png") < r.out().indexOf("b.png") && r.out().indexOf("b.png") < r.out().indexOf("c.png"));
    }

    @Test
    void withoutAModelOnlyBicubicIsPrinted() throws IOException {
        CommandRun r = run("eval", "--data", dataset().toString(), "--crop", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("0-pixel border"), r.out());
        assertTrue(!r.out().contains("model"), r.out());
        assertEquals(1, lineStartingWith(r.out(), "a.png").split("dB").length - 1);
    }

    @Test
    void aMismatchedModelNamesTheTensorAndBothShapes() throws IOException {
        Map<String, HostTensor> state = new LinkedHashMap<>(generator.stateDict());
        state.put("mid.0.weight", new HostTensor(new int[]{8, 8, 5, 5}, new float[8 * 8 * 25]));
        Path model = dir.resolve("bad.safetensors");
        SafeTensors.write(model, state, null);
        CommandRun r = run("eval", "--data", dataset().toString(), "--model", model.toString(), "--device", "cpu");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("mid.0.weight") && r.err().contains("[8, 8, 5, 5]") && r.err().contains("[8, 8, 3, 3]")
                && r.err().contains(model.toString()), r.err());
    }

    @Test
    void userErrorsAreOneLineAndExitCodeOne() throws IOException {
        CommandRun missing = run("eval", "--data", dir.resolve("nowhere").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nowhere") && missing.err().contains("does not exist"), missing.err());

        Path data = dataset();
        Path model = dir.resolve("g.safetensors");
        generator.save(model);
        CommandRun scale = run("eval", "--data", data.toString(), "--model", model.toString(), "--scale", "2", "--device", "cpu");
        assertEquals(1, scale.code());
        assertTrue(scale.err().contains("upscales by 4"), scale.err());

        Files.writeString(data.resolve("broken.png"), "truncated");
        CommandRun broken = run("eval", "--data", data.toString());
        assertEquals(1, broken.code());
        assertTrue(broken.err().contains("broken.png") && !broken.err().contains("\tat "), broken.err());
    }
}
