package srgan.train;

import srgan.app.Main;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Shared helpers of the training tests: tiny runs through the real command line, and test images. */
final class TrainRuns {
    /** A generator of 4 channels and 1 block on 16x16 crops (4x4 LR), two per batch: milliseconds per update. */
    static final List<String> TINY = List.of("--device", "cpu", "--progress", "lines", "--channels", "4",
            "--blocks", "1", "--crop", "16", "--batch", "2");

    private TrainRuns() {
    }

    /** {@code srgan train} with the tiny settings, into {@code out}; returns the exit code. */
    static int train(Path out, String... args) {
        List<String> all = new ArrayList<>(List.of("train", "--out", out.toString()));
        all.addAll(TINY);
        all.addAll(Arrays.asList(args));
        return Main.run(all.toArray(new String[0]));
    }

    /** The JSON lines of a run's metrics log. */
    static List<JsonNode> metrics(Path run) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(MetricsLog.FILE))) out.add(json.readTree(line));
        return out;
    }

    /** The last validation line of a run's metrics log. */
    static JsonNode lastValidation(Path run) throws IOException {
        JsonNode last = null;
        for (JsonNode n : metrics(run)) if (n.has("val_psnr")) last = n;
        return last;
    }

    /**
     * Diagonal two-colour stripes, 3 pixels wide, under a red disc: detail that 4x bicubic cannot bring back
     * from the LR image, but that a network can learn.
     */
    static void writeStripesAndDisc(Path file, int side) throws IOException {
        BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) img.setRGB(x, y, (x + y) / 3 % 2 == 0 ? 0x3050D0 : 0xE0C040);
        }
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(new Color(0xC03030));
        g.fill(new Ellipse2D.Double(side * 0.3, side * 0.25, side * 0.45, side * 0.45));
        g.dispose();
        writePng(file, img);
    }

    /** A smooth colour ramp, {@code w} x {@code h}. */
    static void writeRamp(Path file, int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) img.setRGB(x, y, (x * 255 / w) << 16 | (y * 255 / h) << 8 | 128);
        }
        writePng(file, img);
    }

    static void writePng(Path file, BufferedImage img) throws IOException {
        Files.createDirectories(file.getParent());
        if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer");
    }
}
