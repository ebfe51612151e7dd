package srgan.model;

import srgan.engine.io.HostTensor;
import srgan.engine.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Network interpolation (Wang et al., ESRGAN, 2018): the weights {@code theta = (1 - alpha) * theta_A +
 * alpha * theta_B} of two networks of one architecture, typically A trained for PSNR (MSE) and B the GAN
 * fine-tuning of A, so that {@code alpha} trades fidelity for perceptual detail without retraining. It works
 * on host tensors ({@link SafeTensors} state dicts) and needs no backend.
 *
 * <p>Rules:
 * <ul>
 *   <li>A and B must hold the same tensor names with the same shapes; the result keeps A's order.</li>
 *   <li>{@code alpha} must be finite. The weight-level method accepts any finite value; the file-level one
 *       requires {@code 0 <= alpha <= 1} unless extrapolation is asked for, since outside that range the
 *       result is no longer between two trained networks and is rarely what was meant.</li>
 *   <li>The end points are copies: {@code alpha == 0} gives A and {@code alpha == 1} gives B bit for bit
 *       (the arithmetic would turn {@code -0.0} into {@code 0.0}, and {@code 0 * inf} into NaN). Between them
 *       each element is computed in double and rounded once to float.</li>
 *   <li>BatchNorm's {@code num_batches_tracked} buffers are batch counters, not weights: a blend of two
 *       counts means nothing, so A's is kept. (Our BatchNorm2d uses a fixed momentum, so the counter never
 *       enters a computation.) Integer dtypes do not arise: {@link SafeTensors#read} refuses them, naming the
 *       tensor.</li>
 *   <li>The file keeps A's {@code __metadata__}. If both files describe their architecture under
 *       {@value #ARCHITECTURE_KEY} and the descriptions differ, the networks are not interpolable; if only
 *       one file has a description, the result carries it, since the tensors were checked to agree.</li>
 * </ul>
 */
public final class NetworkInterpolation {
    /** The metadata key holding the generator's architecture description. */
    public static final String ARCHITECTURE_KEY = GeneratorFiles.GENERATOR_METADATA;

    /** Names listed in full in a mismatch message before the rest is counted. */
    private static final int NAMES_SHOWN = 8;

    private NetworkInterpolation() {
    }

    /**
     * Interpolates two state dicts: {@code (1 - alpha) * a + alpha * b} for every tensor, in {@code a}'s order.
     * Tensors of the result may share data arrays with {@code a} or {@code b}.
     *
     * @param alpha any finite value; 0 gives {@code a}, 1 gives {@code b}, outside [0, 1] extrapolates
     * @throws IllegalArgumentException if {@code alpha} is not finite, or the dicts differ in names (listing
     *                                  the names only in one of them) or in a shape (naming the first such
     *                                  tensor and both shapes)
     */
    public static Map<String, HostTensor> interpolate(Map<String, HostTensor> a, Map<String, HostTensor> b,
                                                      double alpha) {
        return interpolate(a, "A", b, "B", alpha);
    }

    /**
     * Reads {@code a} and {@code b}, interpolates them ({@link #interpolate(Map, Map, double)}) and writes the
     * result to {@code out} atomically (a temporary file renamed over it), with A's metadata as the class
     * comment describes. {@code out} may be one of the inputs; its folder is created if needed.
     *
     * @param extrapolate allow {@code alpha} outside [0, 1]
     * @return the interpolated tensors, as written
     * @throws IllegalArgumentException if {@code alpha} is not allowed, a file is missing, or the files hold
     *                                  different tensors or architectures (the message names the files)
     * @throws IOException              if a file cannot be read (the message names it and, where one is at
     *                                  fault, the tensor) or the output cannot be written
     */
    public static Map<String, HostTensor> interpolateFiles(Path a, Path b, double alpha, boolean extrapolate,
                                                           Path out) throws IOException {
        checkAlpha(alpha, extrapolate);
        Map<String, HostTensor> tensorsA = read(a), tensorsB = read(b);
        Map<String, String> metadata = mergedMetadata(a, SafeTensors.metadata(a), b, SafeTensors.metadata(b));
        Map<String, HostTensor> result = interpolate(tensorsA, a.toString(), tensorsB, b.toString(), alpha);
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        SafeTensors.write(out, result, metadata);
        return result;
    }

    /**
     * @throws IllegalArgumentException if {@code alpha} is not finite, or lies outside [0, 1] while
     *                                  {@code extrapolate} is false
     */
    public static void checkAlpha(double alpha, boolean extrapolate) {
        if (!Double.isFinite(alpha)) throw new IllegalArgumentException("alpha must be finite, got " + alpha);
        if (!extrapolate && (alpha < 0 || alpha > 1)) {
            throw new IllegalArgumentException("alpha must lie in [0, 1], got " + alpha
                    + " (extrapolation beyond the two networks must be asked for explicitly)");
        }
    }

    private static Map<String, HostTensor> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + (Files.exists(file) ? " is not a file" : " does not exist"));
        }
        return SafeTensors.read(file);
    }

    private static Map<String, String> mergedMetadata(Path a, Map<String, String> metaA, Path b,
                                                      Map<String, String> metaB) {
        String archA = metaA.get(ARCHITECTURE_KEY), archB = metaB.get(ARCHITECTURE_KEY);
        if (archA != null && archB != null && !archA.equals(archB)) {
            throw new IllegalArgumentException("different architectures: " + a + " has " + ARCHITECTURE_KEY + " "
                    + archA + " but " + b + " has " + archB);
        }
        Map<String, String> merged = new LinkedHashMap<>(metaA);
        if (archA == null && archB != null) merged.put(ARCHITECTURE_KEY, archB);
        return merged;
    }

    private static Map<String, HostTensor> interpolate(Map<String, HostTensor> a, String nameA,
                                                       Map<String, HostTensor> b, String nameB, double alpha) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        if (!Double.isFinite(alpha)) throw new IllegalArgumentException("alpha must be finite, got " + alpha);
        checkSameTensors(a, nameA, b, nameB);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, HostTensor> e : a.entrySet()) {
            String name = e.getKey();
            HostTensor ta = e.getValue(), tb = b.get(name);
            HostTensor t;
            if (alpha == 0 || isBatchCounter(name)) {
                t = ta;
            } else if (alpha == 1) {
                t = tb;
            } else {
                float[] da = ta.data(), db = tb.data(), d = new float[da.length];
                double wa = 1 - alpha;
                for (int i = 0; i < d.length; i++) d[i] = (float) (wa * da[i] + alpha * db[i]);
                t = new HostTensor(ta.shape(), d);
            }
            out.put(name, t);
        }
        return Collections.unmodifiableMap(out);
    }

    private static boolean isBatchCounter(String name) {
        return name.equals("num_batches_tracked") || name.endsWith(".num_batches_tracked");
    }

    private static void checkSameTensors(Map<String, HostTensor> a, String nameA, Map<String, HostTensor> b,
                                         String nameB) {
        List<String> onlyA = new ArrayList<>(), onlyB = new ArrayList<>();
        for (String name : a.keySet()) if (!b.containsKey(name)) onlyA.add(name);
        for (String name : b.keySet()) if (!a.containsKey(name)) onlyB.add(name);
        if (!onlyA.isEmpty() || !onlyB.isEmpty()) {
            StringBuilder msg = new StringBuilder(nameA + " and " + nameB + " hold different tensors");
            if (!onlyA.isEmpty()) msg.append("; only in ").append(nameA).append(": ").append(list(onlyA));
            if (!onlyB.isEmpty()) msg.append("; only in ").append(nameB).append(": ").append(list(onlyB));
            throw new IllegalArgumentException(msg.toString());
        }
        for (Map.Entry<String, HostTensor> e : a.entrySet()) {
            int[] sa = e.getValue().shape(), sb = b.get(e.getKey()).shape();
            if (!Arrays.equals(sa, sb)) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "' has shape " + Arrays.toString(sa)
                        + " in " + nameA + " but " + Arrays.toString(sb) + " in " + nameB);
            }
        }
    }

    private static String list(List<String> names) {
        if (names.size() <= NAMES_SHOWN) return String.join(", ", names);
        return String.join(", ", names.subList(0, NAMES_SHOWN)) + " and " + (names.size() - NAMES_SHOWN)
                + " more";
    }
}
