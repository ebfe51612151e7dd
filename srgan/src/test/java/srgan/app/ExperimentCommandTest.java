package srgan.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import srgan.experiment.ExperimentReport;
import srgan.experiment.VariantResult;
import srgan.image.RgbImage;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A two-variant experiment on a tiny config produces the table and the plots, and resumes by skipping. */
class ExperimentCommandTest {
    @TempDir
    Path tmp;

    @Test
    void twoVariantsGiveTheTableThePlotsAndTheCropsAndARerunSkipsThem() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("train"));
        Path val = Files.createDirectories(tmp.resolve("val"));
        for (int i = 0; i < 3; i++) pattern(48, 48, i).writePng(data.resolve("t" + i + ".png"));
        for (int i = 0; i < 2; i++) pattern(32, 24, 10 + i).writePng(val.resolve("v" + i + ".png"));
        Path small = tmp.resolve("small.yaml");
        Files.writeString(small, "name: small\ngenerator: {channels: 4, blocks: 1}\n");
        Path smallNoBn = tmp.resolve("small-no-bn.yaml");
        Files.writeString(smallNoBn, "base: small.yaml\nname: small-no-bn\ngenerator: {batch_norm: false}\n");
        Path out = tmp.resolve("exp");
        String[] args = {"experiment", small.toString(), smallNoBn.toString(), "--budget", "2s", "--val-every", "1s",
                "--data", data.toString(), "--val", val.toString(), "--batch", "2", "--crop", "16", "--threads", "1",
                "--device", "cpu", "--out", out.toString()};

        String first = run(args);
        assertTrue(first.contains("[1/2] small: training for 2s"), first);
        assertTrue(first.contains("[2/2] small-no-bn: training for 2s"), first);
        for (String name : new String[]{"small", "small-no-bn"}) {
            VariantResult r = VariantResult.read(out.resolve("variants").resolve(name).resolve(VariantResult.FILE));
            assertEquals(name, r.name());
            assertTrue(r.steps() > 0 && r.msPerStep() > 0, r.toString());
            assertTrue(r.scores().containsKey("val") && Double.isFinite(r.scores().get("val").psnr()), r.toString());
        }
        String table = Files.readString(out.resolve(ExperimentReport.RESULTS));
        assertTrue(table.contains("| bicubic"), table);
        assertTrue(table.contains("| small ") && table.contains("| small-no-bn "), table);
        // 4 channels, 1 block: head 3*4*81+4 + PReLU; block 2*(4*4*9+4) + BN 2*8 + PReLU; mid 148 + BN 8;
        // up 2*(4*16*9+16 + PReLU); tail 4*3*81+3. Without BN, 3 x 8 fewer.
        long params = 976 + 1 + 2 * 148 + 16 + 1 + 148 + 8 + 2 * (592 + 1) + 975;
        assertEquals(3607, params);
        assertEquals(params, VariantResult.read(out.resolve("variants/small").resolve(VariantResult.FILE)).parameters());
        assertEquals(params - 24,
                VariantResult.read(out.resolve("variants/small-no-bn").resolve(VariantResult.FILE)).parameters());
        for (String png : new String[]{ExperimentReport.PSNR_BY_STEP, ExperimentReport.PSNR_BY_TIME,
                ExperimentReport.LOSSES, ExperimentReport.CROPS}) {
            BufferedImage img = ImageIO.read(out.resolve(png).toFile());
            assertNotNull(img, png);
            assertTrue(img.getWidth() > 100 && img.getHeight() > 100, png);
        }

        String again = run(args);
        assertTrue(again.contains("[1/2] small: finished earlier, skipped"), again);
        assertTrue(again.contains("[2/2] small-no-bn: finished earlier, skipped"), again);
        assertEquals(table, Files.readString(out.resolve(ExperimentReport.RESULTS)));
    }

    @Test
    void aBadConfigFailsBeforeAnyTraining() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("train"));
        pattern(48, 48, 0).writePng(data.resolve("t.png"));
        Path bad = tmp.resolve("bad.yaml");
        Files.writeString(bad, "generator: {blocks: -1}\n");
        Path out = tmp.resolve("exp");
        int code = Main.run(new String[]{"experiment", "srgan-paper", bad.toString(), "--budget", "1s",
                "--data", data.toString(), "--val", data.toString(), "--out", out.toString()});
        assertEquals(1, code);
        assertTrue(!Files.exists(out), "nothing is written for a bad config");
    }

    private static String run(String[] args) {
        CommandRun r = CommandRun.of(args);
        assertEquals(0, r.code(), r.out() + r.err());
        return r.out();
    }

    /** Smooth gradients with a few sharp edges, different for each seed. */
    private static RgbImage pattern(int w, int h, int seed) {
        float[] px = new float[3 * w * h];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double v = 128 + 90 * Math.sin((x * (c + 1) + y * (seed + 2)) / 5.0)
                            + (((x / 6) + (y / 6) + seed) % 2 == 0 ? 30 : -30);
                    px[(c * h + y) * w + x] = (float) Math.max(0, Math.min(255, v));
                }
            }
        }
        return new RgbImage(w, h, px);
    }
}
