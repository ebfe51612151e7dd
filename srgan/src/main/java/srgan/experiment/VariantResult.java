package srgan.experiment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import srgan.train.Scores;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What one finished variant of an experiment scored and cost: a row of {@code results.md}, and the curves
 * behind the plots (through {@link #metrics}). Saved beside the variant's run as {@value #FILE}, so that a
 * resumed experiment rebuilds its table from the variants finished earlier.
 *
 * @param name        the variant's name, unique in its experiment
 * @param parameters  the generator's parameter count
 * @param steps       updates done
 * @param msPerStep   mean milliseconds per update; NaN when not measured
 * @param peakRssMiB  the process's peak resident memory in MiB; NaN when not measured
 * @param scores      PSNR-Y / SSIM-Y per validation set, by set name, in table-column order
 * @param metrics     the run's {@code metrics.jsonl} ({@link RunCurves#read})
 */
public record VariantResult(String name, long parameters, long steps, double msPerStep, double peakRssMiB,
                            Map<String, Scores> scores, Path metrics) {
    /** The file name a variant's result is saved under, in its run folder. */
    public static final String FILE = "result.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @throws IllegalArgumentException if the name is blank or spans lines, a count is negative, or a cost is
     *                                  negative (NaN is allowed: not measured)
     * @throws NullPointerException     if the name, scores (or one of them) or the metrics path is null
     */
    public VariantResult {
        Objects.requireNonNull(name, "name");
        if (name.isBlank() || name.contains("\n") || name.contains("\r")) {
            throw new IllegalArgumentException("a variant name must be one non-blank line, got '" + name + "'");
        }
        if (parameters < 0) throw new IllegalArgumentException("parameters must be >= 0, got " + parameters);
        if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, got " + steps);
        if (msPerStep < 0) throw new IllegalArgumentException("msPerStep must be >= 0 or NaN, got " + msPerStep);
        if (peakRssMiB < 0) throw new IllegalArgumentException("peakRssMiB must be >= 0 or NaN, got " + peakRssMiB);
        Map<String, Scores> copy = new LinkedHashMap<>();
        for (Map.Entry<String, Scores> e : Objects.requireNonNull(scores, "scores").entrySet()) {
            copy.put(Objects.requireNonNull(e.getKey(), "validation set name"),
                    Objects.requireNonNull(e.getValue(), () -> "scores of " + e.getKey()));
        }
        scores = Collections.unmodifiableMap(copy);
        Objects.requireNonNull(metrics, "metrics");
    }

    /**
     * Writes this result as JSON to {@code file}, atomically (a temporary file renamed over it). The metrics
     * path is stored relative to {@code file}'s folder when it lies inside it, so an experiment folder can be
     * moved; non-finite figures are stored as null.
     */
    public void write(Path file) throws IOException {
        ObjectNode node = JSON.createObjectNode();
        node.put("name", name);
        node.put("parameters", parameters);
        node.put("steps", steps);
        putFinite(node, "ms_per_step", msPerStep);
        putFinite(node, "peak_rss_mib", peakRssMiB);
        ObjectNode sets = node.putObject("scores");
        scores.forEach((set, s) -> {
            ObjectNode o = sets.putObject(set);
            putFinite(o, "psnr_y", s.psnr());
            putFinite(o, "ssim_y", s.ssim());
        });
        Path folder = file.toAbsolutePath().getParent();
        Path m = metrics.toAbsolutePath().normalize();
        node.put("metrics", (folder != null && m.startsWith(folder.normalize())
                ? folder.normalize().relativize(m) : m).toString());
        ExperimentReport.writeAtomically(file, (JSON.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads a result that {@link #write} wrote; a relative metrics path is resolved against {@code file}'s
     * folder.
     *
     * @throws IOException naming the file if it is missing, is not JSON, or lacks a field or has one of the
     *                     wrong type
     */
    public static VariantResult read(Path file) throws IOException {
        JsonNode node;
        try {
            node = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new IOException("variant result " + file + " does not exist", e);
        } catch (JsonProcessingException e) {
            throw new IOException("variant result " + file + " is not JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) throw new IOException("variant result " + file + " is not a JSON object");
        try {
            Map<String, Scores> scores = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : field(node, "scores", file).properties()) {
                scores.put(e.getKey(), new Scores(number(e.getValue(), "psnr_y", file),
                        number(e.getValue(), "ssim_y", file)));
            }
            Path metrics = Path.of(text(node, "metrics", file));
            Path folder = file.getParent();
            return new VariantResult(text(node, "name", file), integer(node, "parameters", file),
                    integer(node, "steps", file), number(node, "ms_per_step", file),
                    number(node, "peak_rss_mib", file), scores,
                    metrics.isAbsolute() || folder == null ? metrics : folder.resolve(metrics));
        } catch (IllegalArgumentException e) {
            throw new IOException("variant result " + file + ": " + e.getMessage(), e);
        }
    }

    private static void putFinite(ObjectNode node, String key, double v) {
        if (Double.isFinite(v)) node.put(key, v);
        else node.putNull(key);
    }

    private static JsonNode field(JsonNode node, String key, Path file) throws IOException {
        JsonNode v = node.get(key);
        if (v == null) throw new IOException("variant result " + file + " has no \"" + key + "\"");
        return v;
    }

    private static String text(JsonNode node, String key, Path file) throws IOException {
        JsonNode v = field(node, key, file);
        if (!v.isTextual()) throw new IOException("variant result " + file + ": \"" + key + "\" is not a string");
        return v.textValue();
    }

    private static long integer(JsonNode node, String key, Path file) throws IOException {
        JsonNode v = field(node, key, file);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new IOException("variant result " + file + ": \"" + key + "\" is not an integer");
        }
        return v.longValue();
    }

    /** A number, or NaN for null (a figure that was not measured). */
    private static double number(JsonNode node, String key, Path file) throws IOException {
        JsonNode v = field(node, key, file);
        if (v.isNull()) return Double.NaN;
        if (!v.isNumber()) throw new IOException("variant result " + file + ": \"" + key + "\" is not a number");
        return v.doubleValue();
    }
}
