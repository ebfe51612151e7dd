package srgan.experiment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The curves of one training run, read from the {@code metrics.jsonl} the trainer writes
 * ({@code srgan.train.MetricsLog}). Its lines are of two kinds:
 * <pre>
 * {"step":100,"phase":"mse","lr":1.0E-4,"loss_g":0.0123,"steps_per_s":3.1,"elapsed_s":32.2}
 * {"step":100,"val_psnr":24.1,"val_ssim":0.71,"bicubic_psnr":23.5,"bicubic_ssim":0.69}
 * </pre>
 * The log holds one validation set, the run's own; its PSNR-Y is {@link #validationPsnr}.
 *
 * <p>Time: where the log has {@code train_s} (the seconds spent in updates and their waits for data, what a
 * {@code --time} budget measures, on both kinds of line), a validation's time is its {@code train_s}; it
 * restarts from 0 in each session of a resumed run, so a drop adds the previous session's last value. Older
 * logs have no {@code train_s}: then the time is rebuilt from the training lines. Each one's
 * {@code steps_per_s} is measured from the previous training line of its session (validations, samples and
 * checkpoints in between included), so the time up to a line is the sum of
 * {@code (step - previous step) / steps_per_s} so far; across a resume this also counts the steps that the
 * interrupted session did after its last log line, at the resumed session's rate. A line without a usable
 * rate falls back on the growth of {@code elapsed_s} (which also restarts per session). A validation then
 * gets the time of the training line of its step, interpolated linearly between training lines where none
 * has that step, and 0 at step 0; one after the last training line has no time and is left out of
 * {@link #validationPsnrBySeconds}.
 *
 * @param losses                  every {@code loss_*} key's mean against the step, in the order first seen
 * @param validationPsnr          validation PSNR-Y (dB) against the step
 * @param validationPsnrBySeconds validation PSNR-Y (dB) against the training seconds (see above)
 * @param bicubicPsnr             the bicubic baseline's PSNR-Y on the same set (dB), NaN when nothing was
 *                                validated
 */
public record RunCurves(Map<String, Series> losses, Series validationPsnr, Series validationPsnrBySeconds,
                        double bicubicPsnr) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One curve, points in log order. */
    public record Series(List<Double> x, List<Double> y) {
        /** @throws IllegalArgumentException if the lists differ in length */
        public Series {
            if (x.size() != y.size()) {
                throw new IllegalArgumentException(x.size() + " x values but " + y.size() + " y values");
            }
            x = List.copyOf(x);
            y = List.copyOf(y);
        }

        public boolean isEmpty() {
            return x.isEmpty();
        }
    }

    public RunCurves {
        losses = Collections.unmodifiableMap(new LinkedHashMap<>(losses));
    }

    /**
     * Reads a run's {@code metrics.jsonl}. A last line that does not parse (cut short when the process was
     * killed) is ignored, as the trainer itself does on resume.
     *
     * @throws IOException naming the file (and line) if it cannot be read, or a line other than the last is
     *                     not a JSON object with a numeric {@code step}
     */
    public static RunCurves read(Path metrics) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException("cannot read metrics " + metrics + ": " + e, e);
        }
        Map<String, List<Double>> lossSteps = new LinkedHashMap<>(), lossValues = new LinkedHashMap<>();
        List<Double> trainSteps = new ArrayList<>(), trainSeconds = new ArrayList<>();
        List<Double> valSteps = new ArrayList<>(), valPsnr = new ArrayList<>();
        double bicubic = Double.NaN;
        double seconds = 0, previousStep = 0, previousElapsed = 0;
        List<Double> trainS = new ArrayList<>(); // per validation: the run's train_s there, or NaN
        double trainSOffset = 0, previousTrainS = 0;
        boolean hasTrainS = false;
        int last = lines.size() - 1;
        while (last >= 0 && lines.get(last).isBlank()) last--;
        for (int i = 0; i <= last; i++) {
            String line = lines.get(i);
            if (line.isBlank()) continue;
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                if (i == last) break;
                throw new IOException(metrics + " line " + (i + 1) + " is not JSON: " + e.getOriginalMessage(), e);
            }
            if (node == null || !node.isObject() || !node.path("step").isNumber()) {
                if (i == last) break;
                throw new IOException(metrics + " line " + (i + 1) + " is not a metrics object with a \"step\"");
            }
            double step = node.get("step").asDouble();
            double lineTrainS = node.path("train_s").asDouble(Double.NaN);
            if (Double.isFinite(lineTrainS)) {
                hasTrainS = true;
                if (lineTrainS < previousTrainS) trainSOffset += previousTrainS;
                previousTrainS = lineTrainS;
                lineTrainS += trainSOffset;
            }
            if (node.has("val_psnr")) {
                trainS.add(lineTrainS);
                valSteps.add(step);
                valPsnr.add(node.get("val_psnr").asDouble());
                if (Double.isNaN(bicubic) && node.has("bicubic_psnr")) bicubic = node.get("bicubic_psnr").asDouble();
                continue;
            }
            double rate = node.path("steps_per_s").asDouble(Double.NaN);
            double elapsed = node.path("elapsed_s").asDouble(Double.NaN);
            if (rate > 0 && Double.isFinite(rate)) {
                seconds += (step - previousStep) / rate;
            } else if (Double.isFinite(elapsed)) {
                // A drop in elapsed_s is a new session, which started counting from zero.
                seconds += elapsed >= previousElapsed ? elapsed - previousElapsed : elapsed;
            }
            if (Double.isFinite(elapsed)) previousElapsed = elapsed;
            previousStep = step;
            trainSteps.add(step);
            trainSeconds.add(seconds);
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                if (!e.getKey().startsWith("loss_") || !e.getValue().isNumber()) continue;
                lossSteps.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(step);
                lossValues.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue().asDouble());
            }
        }
        Map<String, Series> lossSeries = new LinkedHashMap<>();
        lossSteps.forEach((k, steps) -> lossSeries.put(k, new Series(steps, lossValues.get(k))));
        List<Double> valSeconds = new ArrayList<>(), timedPsnr = new ArrayList<>();
        for (int i = 0; i < valSteps.size(); i++) {
            double t = hasTrainS ? trainS.get(i) : secondsAt(valSteps.get(i), trainSteps, trainSeconds);
            if (Double.isNaN(t)) continue;
            valSeconds.add(t);
            timedPsnr.add(valPsnr.get(i));
        }
        return new RunCurves(lossSeries, new Series(valSteps, valPsnr), new Series(valSeconds, timedPsnr), bicubic);
    }

    /** The training seconds at {@code step}, linear between logged steps, from (0, 0); NaN past the last. */
    private static double secondsAt(double step, List<Double> steps, List<Double> seconds) {
        double s0 = 0, t0 = 0;
        for (int i = 0; i < steps.size(); i++) {
            double s1 = steps.get(i), t1 = seconds.get(i);
            if (step == s1) return t1;
            if (step < s1) return t0 + (t1 - t0) * (step - s0) / (s1 - s0);
            s0 = s1;
            t0 = t1;
        }
        return step == s0 ? t0 : Double.NaN;
    }
}
