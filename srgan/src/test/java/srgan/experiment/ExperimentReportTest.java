package srgan.experiment;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import srgan.image.Bicubic;
import srgan.image.RgbImage;
import srgan.train.Scores;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExperimentReportTest {
    @TempDir
    Path dir;

    private static final ExperimentReport.Setup SETUP = new ExperimentReport.Setup("2000 steps", 42,
            "DIV2K (800 images), validated on Set5", "srgan experiment run exp.yaml --budget 2000");

    /** Two finished variants, each with its run folder, metrics log and result.json. */
    private List<VariantResult> variants() throws IOException {
        Path mse = Files.createDirectories(dir.resolve("runs/mse"));
        Path gan = Files.createDirectories(dir.resolve("runs/gan"));
        Files.writeString(mse.resolve("metrics.jsonl"), RunCurvesTest.MSE_RUN);
        Files.writeString(gan.resolve("metrics.jsonl"), RunCurvesTest.GAN_RUN);
        Map<String, Scores> mseScores = new LinkedHashMap<>();
        mseScores.put("Set5", new Scores(30.123, 0.86789));
        mseScores.put("Set14", new Scores(27.1, 0.75));
        Map<String, Scores> ganScores = new LinkedHashMap<>();
        ganScores.put("Set5", new Scores(29.5, 0.86791));
        ganScores.put("BSD100", new Scores(25.0, 0.66));
        List<VariantResult> results = List.of(
                new VariantResult("mse", 1_546_947, 40, 512.34, 2048.4, mseScores, mse.resolve("metrics.jsonl")),
                new VariantResult("gan|wgan", 1_546_947, 40, Double.NaN, 3000, ganScores, gan.resolve("metrics.jsonl")));
        for (VariantResult r : results) r.write(r.metrics().resolveSibling(VariantResult.FILE));
        return results;
    }

    private static Map<String, Scores> bicubic() {
        Map<String, Scores> b = new LinkedHashMap<>();
        b.put("Set5", new Scores(28.42, 0.8104));
        b.put("Set14", new Scores(26.0, 0.7027));
        return b;
    }

    @Test
    void resultsTableHasTheBaselineAndOneRowPerVariant() throws IOException {
        Path out = dir.resolve("report");
        // As a resumed experiment would: the rows come back from the result.json files.
        variants();
        List<VariantResult> reread = new ArrayList<>();
        for (String name : List.of("mse", "gan")) {
            reread.add(VariantResult.read(dir.resolve("runs").resolve(name).resolve(VariantResult.FILE)));
        }
        ExperimentReport.writeAll(out, SETUP, reread, bicubic());
        String expected = """
                # Experiment results

                Budget 2000 steps per variant · seed 42 · data DIV2K (800 images), validated on Set5 · command `srgan experiment run exp.yaml --budget 2000`

                | variant | parameters | steps | ms/step | peak RSS (MiB) | Set5 PSNR-Y (dB) | Set5 SSIM-Y | Set14 PSNR-Y (dB) | Set14 SSIM-Y | BSD100 PSNR-Y (dB) | BSD100 SSIM-Y |
                |:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
                | bicubic | - | - | - | - | 28.42 | 0.8104 | 26.00 | 0.7027 | - | - |
                | mse | 1,546,947 | 40 | 512.3 | 2048 | **30.12** | **0.8679** | **27.10** | **0.7500** | - | - |
                | gan\\|wgan | 1,546,947 | 40 | - | 3000 | 29.50 | **0.8679** | - | - | **25.00** | **0.6600** |
                """;
        assertEquals(expected, Files.readString(out.resolve(ExperimentReport.RESULTS)));
        assertPng(out.resolve(ExperimentReport.PSNR_BY_STEP), ExperimentReport.CHART_WIDTH, ExperimentReport.CHART_HEIGHT);
        assertPng(out.resolve(ExperimentReport.PSNR_BY_TIME), ExperimentReport.CHART_WIDTH, ExperimentReport.CHART_HEIGHT);
        // One chart per loss: loss_g, then the GAN run's loss_content, loss_adv and loss_d.
        assertPng(out.resolve(ExperimentReport.LOSSES), ExperimentReport.CHART_WIDTH, 4 * ExperimentReport.CHART_HEIGHT);
        try (var files = Files.list(out)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith(".")), "temporary files left");
        }
    }

    @Test
    void plotsWithNothingToDrawAreNotWritten() throws IOException {
        Path metrics = Files.writeString(dir.resolve("metrics.jsonl"), "");
        List<VariantResult> v = List.of(new VariantResult("empty", 1, 0, Double.NaN, Double.NaN, Map.of(), metrics));
        List<RunCurves> curves = ExperimentReport.readCurves(v);
        assertFalse(ExperimentReport.writePsnrByStep(dir.resolve("a.png"), v, curves));
        assertFalse(ExperimentReport.writePsnrByTime(dir.resolve("b.png"), v, curves));
        assertFalse(ExperimentReport.writeLosses(dir.resolve("c.png"), v, curves));
        assertFalse(Files.exists(dir.resolve("a.png")) || Files.exists(dir.resolve("b.png"))
                || Files.exists(dir.resolve("c.png")));
    }

    @Test
    void variantNamesMustBeUniqueAndNotTheBaselines() throws IOException {
        VariantResult a = variants().get(0);
        VariantResult bicubic = new VariantResult("bicubic", 1, 1, 1, 1, Map.of(), a.metrics());
        assertThrows(IllegalArgumentException.class, () -> ExperimentReport.resultsMarkdown(SETUP, List.of(a, a), bicubic()));
        assertThrows(IllegalArgumentException.class, () -> ExperimentReport.resultsMarkdown(SETUP, List.of(bicubic), bicubic()));
    }

    @Test
    void cropGridShowsTheWindowEnlargedWithLabels() throws IOException {
        int scale = 4;
        RgbImage hr = random(83, 70, 1); // mod-cropped to 80x68
        RgbImage full = hr.modCrop(scale);
        Map<String, RgbImage> srs = new LinkedHashMap<>();
        srs.put("mse", random(80, 68, 2));
        srs.put("gan", random(80, 68, 3));
        srs.put("esrgan", random(80, 68, 4));
        Path file = dir.resolve(ExperimentReport.CROPS);
        ExperimentReport.Crop crop = new ExperimentReport.Crop(10, 6, 32, 16);
        ExperimentReport.writeCrops(file, hr, srs, scale, crop);
        // A 32x16 window enlarges 8x to 256x128; 5 panels make two rows of at most 4.
        int pw = 256, ph = 128, gap = ExperimentReport.GAP, label = ExperimentReport.LABEL_HEIGHT;
        BufferedImage img = assertPng(file, 4 * pw + 3 * gap, 2 * (label + ph) + gap);
        RgbImage bicubic = Bicubic.resizeToUint8(Bicubic.resizeToUint8(full, 0.25), 4);
        RgbImage[] panels = {full, bicubic, srs.get("mse").quantized(), srs.get("gan").quantized(),
                srs.get("esrgan").quantized()};
        for (int p = 0; p < panels.length; p++) {
            int x0 = (p % 4) * (pw + gap), y0 = (p / 4) * (label + ph + gap) + label;
            for (int y = 0; y < ph; y += 5) {
                for (int x = 0; x < pw; x += 3) {
                    assertEquals(rgb(panels[p], crop.x() + x / 8, crop.y() + y / 8), img.getRGB(x0 + x, y0 + y) & 0xFFFFFF,
                            "panel " + p + " at (" + x + ", " + y + ")");
                }
            }
            assertTrue(hasInk(img, x0, y0 - label, pw, label), "panel " + p + " has no label");
        }
    }

    @Test
    void theDefaultCropIsTheCentral64AndSizesAreChecked() throws IOException {
        RgbImage hr = random(100, 90, 1);
        Map<String, RgbImage> srs = Map.of("mse", random(100, 88, 2));
        Path file = dir.resolve("crops.png");
        ExperimentReport.writeCrops(file, hr, srs, 4);
        BufferedImage img = assertPng(file, 3 * 256 + 2 * ExperimentReport.GAP, ExperimentReport.LABEL_HEIGHT + 256);
        // Central 64x64 of the 100x88 mod-cropped image starts at (18, 12); zoom 4.
        assertEquals(rgb(hr, 18, 12), img.getRGB(0, ExperimentReport.LABEL_HEIGHT) & 0xFFFFFF);
        assertEquals(rgb(hr, 18 + 63, 12 + 63), img.getRGB(255, ExperimentReport.LABEL_HEIGHT + 255) & 0xFFFFFF);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExperimentReport.writeCrops(file, hr, Map.of("gan", random(100, 90, 2)), 4));
        assertEquals("the SR image of gan is 100x90, but the HR image is 100x88 (mod-cropped to a multiple of 4)",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ExperimentReport.writeCrops(file, hr, srs, 4,
                new ExperimentReport.Crop(90, 0, 32, 32)));
    }

    private static RgbImage random(int w, int h, long seed) {
        Random r = new Random(seed);
        float[] px = new float[3 * w * h];
        for (int i = 0; i < px.length; i++) px[i] = r.nextInt(256);
        return new RgbImage(w, h, px);
    }

    private static int rgb(RgbImage img, int x, int y) {
        return ((int) img.get(0, x, y) << 16) | ((int) img.get(1, x, y) << 8) | (int) img.get(2, x, y);
    }

    private static boolean hasInk(BufferedImage img, int x0, int y0, int w, int h) {
        for (int y = y0; y < y0 + h; y++) {
            for (int x = x0; x < x0 + w; x++) if ((img.getRGB(x, y) & 0xFFFFFF) != 0xFFFFFF) return true;
        }
        return false;
    }

    private static BufferedImage assertPng(Path file, int width, int height) throws IOException {
        BufferedImage img = ImageIO.read(file.toFile());
        assertNotNull(img, file + " does not decode");
        assertEquals(width + "x" + height, img.getWidth() + "x" + img.getHeight(), file.toString());
        return img;
    }
}
