package srgan.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The run's metrics as JSON lines in {@code metrics.jsonl}, one object per line, of two kinds:
 * <pre>
 * {"step":100,"phase":"mse","lr":1.0E-4,"loss_g":0.0123,"steps_per_s":3.1,"elapsed_s":32.2,"train_s":30.9}
 * {"step":100,"val_psnr":24.1,"val_ssim":0.71,"bicubic_psnr":23.5,"bicubic_ssim":0.69,"train_s":30.9}
 * </pre>
 * Loss figures are means over the steps since the previous line; the GAN phase adds its terms
 * ({@code loss_pixel}, {@code loss_content}, {@code loss_tv}, {@code loss_adv}) and {@code loss_d}.
 * {@code elapsed_s} is the session's wall clock; {@code train_s} counts only its updates and their waits for
 * data, not validation or checkpoints (what a {@code --time} budget measures). Each line is flushed as it is written. On resume, lines after the
 * checkpoint's step (written by the interrupted session after its last checkpoint) are dropped, so the log
 * reads as one run. The curves are also kept in memory for {@link CurvePlot}.
 */
final class MetricsLog implements AutoCloseable {
    static final String FILE = "metrics.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One curve: x = step. */
    record Series(List<Double> steps, List<Double> values) {
        Series() {
            this(new ArrayList<>(), new ArrayList<>());
        }

        void add(double step, double value) {
            steps.add(step);
            values.add(value);
        }
    }

    private final BufferedWriter out;
    private final Map<String, Series> losses = new LinkedHashMap<>();
    private final Series valPsnr = new Series();
    private final Series bicubicPsnr = new Series();

    private MetricsLog(BufferedWriter out) {
        this.out = out;
    }

    /**
     * Opens the log of {@code runDir}: a new one, or, when {@code resumeStep} is positive, the existing one
     * cut back to {@code resumeStep}.
     */
    static MetricsLog open(Path runDir, long resumeStep) throws IOException {
        Path file = runDir.resolve(FILE);
        List<JsonNode> kept = new ArrayList<>();
        if (resumeStep > 0 && Files.exists(file)) {
            StringBuilder text = new StringBuilder();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (IOException e) {
                    continue; // a line cut short by the interruption
                }
                if (node.path("step").asLong(Long.MAX_VALUE) > resumeStep) continue;
                kept.add(node);
                text.append(line).append('\n');
            }
            Checkpoint.writeAtomically(file, text.toString().getBytes(StandardCharsets.UTF_8));
        } else {
            Files.deleteIfExists(file);
        }
        MetricsLog log = new MetricsLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND));
        for (JsonNode node : kept) log.remember(node);
        return log;
    }

    /** Logs the mean losses of the steps up to {@code step}. */
    void train(long step, String phase, double lr, Map<String, Double> meanLosses, double stepsPerSecond,
               double elapsedSeconds, double trainSeconds) throws IOException {
        ObjectNode node = JSON.createObjectNode();
        node.put("step", step);
        node.put("phase", phase);
        node.put("lr", lr);
        meanLosses.forEach(node::put);
        node.put("steps_per_s", round(stepsPerSecond, 3));
        node.put("elapsed_s", round(elapsedSeconds, 1));
        node.put("train_s", round(trainSeconds, 2));
        write(node);
    }

    /** Logs a validation: the SR figures and the bicubic baseline's. */
    void validation(long step, Scores sr, Scores bicubic, double trainSeconds) throws IOException {
        ObjectNode node = JSON.createObjectNode();
        node.put("step", step);
        node.put("val_psnr", round(sr.psnr(), 4));
        node.put("val_ssim", round(sr.ssim(), 5));
        node.put("bicubic_psnr", round(bicubic.psnr(), 4));
        node.put("bicubic_ssim", round(bicubic.ssim(), 5));
        node.put("train_s", round(trainSeconds, 2));
        write(node);
    }

    private void write(ObjectNode node) throws IOException {
        out.write(JSON.writeValueAsString(node));
        out.write('\n');
        out.flush();
        remember(node);
    }

    private void remember(JsonNode node) {
        double step = node.path("step").asDouble();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (e.getKey().startsWith("loss_")) {
                losses.computeIfAbsent(e.getKey(), k -> new Series()).add(step, e.getValue().asDouble());
            }
        }
        if (node.has("val_psnr")) {
            valPsnr.add(step, node.get("val_psnr").asDouble());
            bicubicPsnr.add(step, node.get("bicubic_psnr").asDouble());
        }
    }

    Map<String, Series> losses() {
        return losses;
    }

    Series valPsnr() {
        return valPsnr;
    }

    Series bicubicPsnr() {
        return bicubicPsnr;
    }

    private static double round(double v, int digits) {
        if (!Double.isFinite(v)) return v;
        double k = Math.pow(10, digits);
        return Math.round(v * k) / k;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
