package srgan.experiment;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;
import srgan.image.Bicubic;
import srgan.image.Metrics;
import srgan.image.RgbImage;
import srgan.train.Scores;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The artifacts of an experiment, written from its finished variants ({@link VariantResult}): the results
 * table ({@value #RESULTS}), the curves ({@value #PSNR_BY_STEP}, {@value #PSNR_BY_TIME}, {@value #LOSSES},
 * drawn with XChart) and a crop grid comparing the variants on one validation image ({@value #CROPS}).
 * Every file is written to a temporary file and renamed over its name, so a reader never sees half of one.
 *
 * <p>The curves come from each variant's {@code metrics.jsonl} ({@link RunCurves}), which logs one
 * validation set: the one the variant trained with. The PSNR plots therefore show that set, whatever sets
 * the table reports on.
 */
public final class ExperimentReport {
    public static final String RESULTS = "results.md";
    public static final String PSNR_BY_STEP = "psnr_by_step.png";
    public static final String PSNR_BY_TIME = "psnr_by_time.png";
    public static final String LOSSES = "losses.png";
    public static final String CROPS = "crops.png";

    /** The baseline's row label; no variant may take it. */
    static final String BICUBIC = "bicubic";

    static final int CHART_WIDTH = 720;
    static final int CHART_HEIGHT = 420;

    /** The side of the default crop (HR pixels) and the side a crop is zoomed up to, at least. */
    static final int CROP_SIDE = 64;
    static final int PANEL_SIDE = 256;
    static final int CROP_COLUMNS = 4;
    static final int LABEL_HEIGHT = 22;
    static final int GAP = 6;

    private ExperimentReport() {
    }

    /**
     * How the experiment was run, for the line above the table.
     *
     * @param budget      the training budget per variant, as the user gave it ("2000 steps", "20 min")
     * @param seed        the seed every variant used
     * @param data        the training and validation data, in words
     * @param commandLine the command that ran the experiment
     */
    public record Setup(String budget, long seed, String data, String commandLine) {
        public Setup {
            Objects.requireNonNull(budget, "budget");
            Objects.requireNonNull(data, "data");
            Objects.requireNonNull(commandLine, "commandLine");
        }
    }

    /**
     * A window of the HR image, in HR pixels.
     *
     * @throws IllegalArgumentException if a side is not positive or a corner is negative
     */
    public record Crop(int x, int y, int width, int height) {
        public Crop {
            if (width <= 0 || height <= 0 || x < 0 || y < 0) {
                throw new IllegalArgumentException("bad crop " + width + "x" + height + " at (" + x + ", " + y + ")");
            }
        }

        /** The central {@code side} x {@code side} window of a {@code width} x {@code height} image, or less. */
        public static Crop central(int width, int height, int side) {
            int w = Math.min(side, width), h = Math.min(side, height);
            return new Crop((width - w) / 2, (height - h) / 2, w, h);
        }
    }

    // ---- everything but the crops ----

    /**
     * Writes {@value #RESULTS} and the three plots into {@code dir} (created if needed); a plot with nothing to
     * draw is not written.
     */
    public static void writeAll(Path dir, Setup setup, List<VariantResult> variants, Map<String, Scores> bicubic)
            throws IOException {
        Files.createDirectories(dir);
        writeResults(dir.resolve(RESULTS), setup, variants, bicubic);
        List<RunCurves> curves = readCurves(variants);
        writePsnrByStep(dir.resolve(PSNR_BY_STEP), variants, curves);
        writePsnrByTime(dir.resolve(PSNR_BY_TIME), variants, curves);
        writeLosses(dir.resolve(LOSSES), variants, curves);
    }

    /** Reads each variant's curves, in order. */
    public static List<RunCurves> readCurves(List<VariantResult> variants) throws IOException {
        List<RunCurves> curves = new ArrayList<>();
        for (VariantResult v : variants) curves.add(RunCurves.read(v.metrics()));
        return curves;
    }

    // ---- results.md ----

    /**
     * Writes the results table: a header line with the setup, then one row for the bicubic baseline and one
     * per variant, in order: name, parameter count, steps, ms/step, peak RSS (MiB), and PSNR-Y (dB) and
     * SSIM-Y for each validation set. The sets are the baseline's, in its order, then any others the variants
     * report; a figure that is missing or was not measured reads "-". The best variant figure of each PSNR and
     * SSIM column is in bold (all of them, on a tie at the printed precision).
     *
     * @param bicubic the baseline's scores per validation set
     * @throws IllegalArgumentException if two variants share a name or one is named {@value #BICUBIC}
     */
    public static void writeResults(Path file, Setup setup, List<VariantResult> variants,
                                    Map<String, Scores> bicubic) throws IOException {
        writeAtomically(file, resultsMarkdown(setup, variants, bicubic).getBytes(StandardCharsets.UTF_8));
    }

    /** The text {@link #writeResults} writes. */
    public static String resultsMarkdown(Setup setup, List<VariantResult> variants, Map<String, Scores> bicubic) {
        checkNames(variants);
        Set<String> sets = new LinkedHashSet<>(bicubic.keySet());
        for (VariantResult v : variants) sets.addAll(v.scores().keySet());

        StringBuilder md = new StringBuilder("# Experiment results\n\n");
        md.append("Budget ").append(setup.budget()).append(" per variant · seed ").append(setup.seed())
                .append(" · data ").append(setup.data()).append(" · command ").append(code(setup.commandLine()))
                .append("\n\n");

        List<String> header = new ArrayList<>(List.of("variant", "parameters", "steps", "ms/step", "peak RSS (MiB)"));
        StringBuilder align = new StringBuilder("|:---|---:|---:|---:|---:|");
        for (String set : sets) {
            header.add(cell(set) + " PSNR-Y (dB)");
            header.add(cell(set) + " SSIM-Y");
            align.append("---:|---:|");
        }
        md.append("| ").append(String.join(" | ", header)).append(" |\n").append(align).append('\n');

        List<String> row = new ArrayList<>(List.of(BICUBIC, "-", "-", "-", "-"));
        for (String set : sets) {
            Scores s = bicubic.get(set);
            row.add(s == null ? "-" : psnr(s.psnr()));
            row.add(s == null ? "-" : ssim(s.ssim()));
        }
        md.append("| ").append(String.join(" | ", row)).append(" |\n");

        // The best printed figure per column, so that bold marks what a reader would see as the best.
        Map<String, String> bestPsnr = new LinkedHashMap<>(), bestSsim = new LinkedHashMap<>();
        for (String set : sets) {
            bestPsnr.put(set, best(variants, set, s -> psnr(s.psnr())));
            bestSsim.put(set, best(variants, set, s -> ssim(s.ssim())));
        }
        for (VariantResult v : variants) {
            row = new ArrayList<>(List.of(cell(v.name()), String.format(Locale.ROOT, "%,d", v.parameters()),
                    Long.toString(v.steps()), figure(v.msPerStep(), "%.1f"), figure(v.peakRssMiB(), "%.0f")));
            for (String set : sets) {
                Scores s = v.scores().get(set);
                row.add(s == null ? "-" : bold(psnr(s.psnr()), bestPsnr.get(set)));
                row.add(s == null ? "-" : bold(ssim(s.ssim()), bestSsim.get(set)));
            }
            md.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        return md.toString();
    }

    private static String best(List<VariantResult> variants, String set, Function<Scores, String> format) {
        String best = null;
        double bestValue = Double.NEGATIVE_INFINITY;
        for (VariantResult v : variants) {
            Scores s = v.scores().get(set);
            if (s == null) continue;
            String text = format.apply(s);
            if (text.equals("-")) continue;
            double value = Double.parseDouble(text);
            if (value > bestValue) {
                bestValue = value;
                best = text;
            }
        }
        return best;
    }

    private static String bold(String text, String best) {
        return text.equals(best) ? "**" + text + "**" : text;
    }

    private static String psnr(double v) {
        return figure(v, "%.2f");
    }

    private static String ssim(double v) {
        return figure(v, "%.4f");
    }

    private static String figure(double v, String format) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, format, v) : "-";
    }

    /** Text made safe for a table cell: a pipe would end the cell. */
    private static String cell(String text) {
        return text.replace("|", "\\|");
    }

    /** A markdown code span that survives backticks in the text. */
    private static String code(String text) {
        String fence = "`";
        while (text.contains(fence)) fence += "`";
        boolean pad = text.startsWith("`") || text.endsWith("`");
        return fence + (pad ? " " + text + " " : text) + fence;
    }

    private static void checkNames(List<VariantResult> variants) {
        Set<String> seen = new HashSet<>();
        for (VariantResult v : variants) {
            if (v.name().equals(BICUBIC)) {
                throw new IllegalArgumentException("the variant name '" + BICUBIC + "' is reserved for the baseline");
            }
            if (!seen.add(v.name())) throw new IllegalArgumentException("two variants are named '" + v.name() + "'");
        }
    }

    // ---- plots ----

    /**
     * Plots validation PSNR-Y against the step, one line per variant, with the bicubic baseline of the first
     * variant that has one as a dashed line.
     *
     * @param curves each variant's curves, as {@link #readCurves} returns them
     * @return whether a file was written (not when no variant has validated)
     */
    public static boolean writePsnrByStep(Path file, List<VariantResult> variants, List<RunCurves> curves)
            throws IOException {
        return writePsnr(file, variants, curves, false);
    }

    /**
     * Plots validation PSNR-Y against training time (the training seconds {@link RunCurves} rebuilds), one
     * line per variant, in seconds, minutes or hours as the longest run needs; the bicubic baseline as in
     * {@link #writePsnrByStep}.
     *
     * @return whether a file was written (not when no variant has a timed validation)
     */
    public static boolean writePsnrByTime(Path file, List<VariantResult> variants, List<RunCurves> curves)
            throws IOException {
        return writePsnr(file, variants, curves, true);
    }

    private static boolean writePsnr(Path file, List<VariantResult> variants, List<RunCurves> curves, boolean time)
            throws IOException {
        checkNames(variants);
        checkSameLength(variants, curves);
        double maxX = 0;
        for (RunCurves c : curves) for (double x : series(c, time).x()) maxX = Math.max(maxX, x);
        // Minutes or hours keep the tick labels short on long runs.
        double unit = !time || maxX <= 300 ? 1 : maxX <= 3 * 3600 ? 60 : 3600;
        String xTitle = !time ? "step" : unit == 1 ? "training time (s)" : unit == 60 ? "training time (min)"
                : "training time (h)";
        XYChart chart = chart("Validation PSNR-Y against " + (time ? "training time" : "step"), xTitle, "dB");
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        double bicubic = Double.NaN, minX = Double.POSITIVE_INFINITY;
        for (int i = 0; i < variants.size(); i++) {
            RunCurves.Series s = series(curves.get(i), time);
            if (s.isEmpty()) continue;
            chart.addSeries(variants.get(i).name(), scaled(s.x(), unit), s.y());
            minX = Math.min(minX, s.x().get(0));
            if (Double.isNaN(bicubic)) bicubic = curves.get(i).bicubicPsnr();
        }
        if (chart.getSeriesMap().isEmpty()) return false;
        if (Double.isFinite(bicubic) && maxX > minX) {
            XYSeries line = chart.addSeries(BICUBIC, new double[]{minX / unit, maxX / unit},
                    new double[]{bicubic, bicubic});
            line.setMarker(SeriesMarkers.NONE);
            line.setLineStyle(SeriesLines.DASH_DASH);
            line.setLineColor(Color.GRAY);
        }
        writePng(file, BitmapEncoder.getBufferedImage(chart));
        return true;
    }

    private static RunCurves.Series series(RunCurves c, boolean time) {
        return time ? c.validationPsnrBySeconds() : c.validationPsnr();
    }

    private static List<Double> scaled(List<Double> xs, double unit) {
        List<Double> out = new ArrayList<>(xs.size());
        for (double x : xs) out.add(x / unit);
        return out;
    }

    /**
     * Plots the training losses against the step: one chart per loss ({@code loss_g}, and in the GAN phase
     * {@code loss_content}, {@code loss_adv}, {@code loss_d}), in the order first seen, stacked; one line per
     * variant in each. The y axis is logarithmic where a chart's values are positive and span a decade or more.
     *
     * @return whether a file was written (not when no variant has logged a loss)
     */
    public static boolean writeLosses(Path file, List<VariantResult> variants, List<RunCurves> curves)
            throws IOException {
        checkNames(variants);
        checkSameLength(variants, curves);
        Set<String> keys = new LinkedHashSet<>();
        for (RunCurves c : curves) keys.addAll(c.losses().keySet());
        List<BufferedImage> charts = new ArrayList<>();
        for (String key : keys) {
            XYChart chart = chart(key + " (mean over each log interval)", "step", "loss");
            chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
            double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < variants.size(); i++) {
                RunCurves.Series s = curves.get(i).losses().get(key);
                if (s == null || s.isEmpty()) continue;
                chart.addSeries(variants.get(i).name(), s.x(), s.y()).setMarker(SeriesMarkers.NONE);
                for (double v : s.y()) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
            if (chart.getSeriesMap().isEmpty()) continue;
            // XChart labels a log axis at powers of ten only, so a range within one decade would have none.
            chart.getStyler().setYAxisLogarithmic(min > 0 && max >= 10 * min);
            charts.add(BitmapEncoder.getBufferedImage(chart));
        }
        if (charts.isEmpty()) return false;
        BufferedImage out = new BufferedImage(CHART_WIDTH, CHART_HEIGHT * charts.size(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        for (int i = 0; i < charts.size(); i++) g.drawImage(charts.get(i), 0, i * CHART_HEIGHT, null);
        g.dispose();
        writePng(file, out);
        return true;
    }

    private static XYChart chart(String title, String xTitle, String yTitle) {
        XYChart c = new XYChartBuilder().width(CHART_WIDTH).height(CHART_HEIGHT).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        c.getStyler().setMarkerSize(4);
        return c;
    }

    private static void checkSameLength(List<VariantResult> variants, List<RunCurves> curves) {
        if (variants.size() != curves.size()) {
            throw new IllegalArgumentException(variants.size() + " variants but " + curves.size() + " curve sets");
        }
    }

    // ---- crops.png ----

    /**
     * {@link #writeCrops(Path, RgbImage, Map, int, Crop)} with the central {@value #CROP_SIDE} x
     * {@value #CROP_SIDE} window of the (mod-cropped) HR image.
     */
    public static void writeCrops(Path file, RgbImage hr, Map<String, RgbImage> srByVariant, int scale)
            throws IOException {
        RgbImage cropped = hr.modCrop(scale);
        writeCrops(file, hr, srByVariant, scale, Crop.central(cropped.width(), cropped.height(), CROP_SIDE));
    }

    /**
     * Writes a grid of one window of a validation image: HR | bicubic | each variant's SR, in order, at most
     * {@value #CROP_COLUMNS} panels a row, each labelled above. The window is enlarged by nearest neighbour,
     * by the largest whole factor that keeps it within {@value #PANEL_SIDE} pixels (at least 1). The HR image
     * is mod-cropped to a multiple of {@code scale} and the bicubic panel made from it as {@code eval} does
     * (MATLAB bicubic down and up, 8-bit); each label after the first gives the whole image's PSNR-Y against
     * HR ({@code scale} pixels cut from each border). SR images are shown rounded to 8 bits.
     *
     * @param hr          the HR validation image
     * @param srByVariant each variant's SR of that image, the size of the mod-cropped HR, in panel order
     * @throws IllegalArgumentException if an SR image has another size, the window leaves the image, or a
     *                                  variant is named {@value #BICUBIC} or "HR"
     */
    public static void writeCrops(Path file, RgbImage hr, Map<String, RgbImage> srByVariant, int scale, Crop crop)
            throws IOException {
        writePng(file, crops(hr, srByVariant, scale, crop));
    }

    /** The image {@link #writeCrops(Path, RgbImage, Map, int, Crop)} writes. */
    public static BufferedImage crops(RgbImage hr, Map<String, RgbImage> srByVariant, int scale, Crop crop) {
        RgbImage full = hr.modCrop(scale);
        RgbImage bicubic = Bicubic.resizeToUint8(Bicubic.resizeToUint8(full, 1.0 / scale), scale);
        Map<String, RgbImage> images = new LinkedHashMap<>();
        List<String> labels = new ArrayList<>();
        images.put("HR", full);
        labels.add("HR");
        images.put(BICUBIC, bicubic);
        labels.add(label(BICUBIC, bicubic, full, scale));
        for (Map.Entry<String, RgbImage> e : srByVariant.entrySet()) {
            RgbImage sr = e.getValue();
            if (images.containsKey(e.getKey())) {
                throw new IllegalArgumentException("the variant name '" + e.getKey() + "' is reserved for a panel");
            }
            if (sr.width() != full.width() || sr.height() != full.height()) {
                throw new IllegalArgumentException("the SR image of " + e.getKey() + " is " + sr.width() + "x"
                        + sr.height() + ", but the HR image is " + full.width() + "x" + full.height()
                        + " (mod-cropped to a multiple of " + scale + ")");
            }
            RgbImage quantized = sr.quantized();
            images.put(e.getKey(), quantized);
            labels.add(label(e.getKey(), quantized, full, scale));
        }
        int zoom = Math.max(1, PANEL_SIDE / Math.max(crop.width(), crop.height()));
        int pw = crop.width() * zoom, ph = crop.height() * zoom;
        int n = images.size(), cols = Math.min(CROP_COLUMNS, n), rows = (n + cols - 1) / cols;
        BufferedImage out = new BufferedImage(cols * pw + (cols - 1) * GAP, rows * (LABEL_HEIGHT + ph) + (rows - 1) * GAP,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.setColor(Color.BLACK);
        FontMetrics fm = g.getFontMetrics();
        int i = 0;
        for (RgbImage img : images.values()) {
            int x = (i % cols) * (pw + GAP), y = (i / cols) * (LABEL_HEIGHT + ph + GAP);
            String text = fit(labels.get(i), fm, pw);
            g.drawString(text, x + (pw - fm.stringWidth(text)) / 2, y + (LABEL_HEIGHT + fm.getAscent() - fm.getDescent()) / 2);
            BufferedImage window = img.crop(crop.x(), crop.y(), crop.width(), crop.height()).toBufferedImage();
            g.drawImage(window, x, y + LABEL_HEIGHT, pw, ph, null);
            i++;
        }
        g.dispose();
        return out;
    }

    private static String label(String name, RgbImage img, RgbImage hr, int scale) {
        return String.format(Locale.ROOT, "%s  %.2f dB", name, Metrics.psnrY(img, hr, scale));
    }

    /** The text, cut short with an ellipsis where it is wider than {@code width} pixels. */
    private static String fit(String text, FontMetrics fm, int width) {
        if (fm.stringWidth(text) <= width) return text;
        String cut = text;
        while (!cut.isEmpty() && fm.stringWidth(cut + "…") > width) cut = cut.substring(0, cut.length() - 1);
        return cut + "…";
    }

    // ---- files ----

    private static void writePng(Path file, BufferedImage image) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", bytes)) throw new IOException("cannot write " + file + ": no PNG writer");
        writeAtomically(file, bytes.toByteArray());
    }

    /** Writes {@code bytes} to a temporary file beside {@code file} and renames it over {@code file}. */
    static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path target = file.toAbsolutePath();
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
