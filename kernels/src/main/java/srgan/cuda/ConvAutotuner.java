package srgan.cuda;

import srgan.engine.backend.ConvGeometry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Convolution by measurement, as PyTorch's {@code cudnn.benchmark}: the first time a (geometry, pass) is seen,
 * every candidate runs on that call's own operands into a scratch output and is timed with CUDA events: each of
 * our kernels that applies ({@link OwnConv#candidates}) and, when cuDNN loaded, cuDNN's fastest deterministic
 * algorithm by its own benchmark ({@link CudnnRoute#find}). The fastest then serves that (geometry, pass) for
 * the life of the backend.
 *
 * <p>Tuning waits for the device, once per (geometry, pass), so the first training step is slower; after it
 * nothing waits. Every candidate is deterministic, so results are deterministic given the choices; the choices
 * themselves come from timings and may differ between runs (which can change the last bits of a result).
 * {@code -Dsrgan.cuda.autotune=false} turns tuning off: cuDNN's heuristic choice when cuDNN loaded, else our
 * kernels' implicit GEMM. {@code -Dsrgan.cuda.autotune.verbose=true} prints each measurement.
 */
final class ConvAutotuner implements ConvEngine {

    /** Timed runs per candidate, after one untimed run. */
    private static final int REPS = 3;

    private final CudaContext ctx;
    private final DeviceRuntime rt;
    private final OwnConv own;
    private final CudnnRoute cudnn;
    private final boolean cudnnFind;
    private final boolean verbose;
    private final Map<Key, Choice> choices = new HashMap<>();

    private record Key(ConvGeometry g, Pass pass) {
    }

    /** What serves one (geometry, pass): one of our kernels, or cuDNN when {@code own} is null. */
    record Choice(OwnConv.Algo own, String name, Map<String, Double> millis) {
        String summary() {
            StringBuilder b = new StringBuilder();
            for (Map.Entry<String, Double> e : millis.entrySet()) {
                if (b.length() > 0) b.append(", ");
                b.append(String.format(Locale.ROOT, "%s %.3f ms", e.getKey(), e.getValue()));
            }
            return b + " -> " + name;
        }
    }

    /**
     * @param cudnn     cuDNN's route, or null to choose among our kernels only
     * @param cudnnFind whether cuDNN's candidate is its benchmarked best ({@code cudnnFind...AlgorithmEx})
     *                  rather than its heuristic choice
     */
    ConvAutotuner(CudaContext ctx, DeviceRuntime rt, OwnConv own, CudnnRoute cudnn, boolean cudnnFind,
                  boolean verbose) {
        this.ctx = ctx;
        this.rt = rt;
        this.own = own;
        this.cudnn = cudnn;
        this.cudnnFind = cudnnFind;
        this.verbose = verbose;
    }

    @Override
    public void forward(ConvGeometry g, DeviceStorage x, DeviceStorage w, DeviceStorage bias, DeviceStorage y) {
        run(choose(Pass.FORWARD, g, x, w, bias), Pass.FORWARD, g, x, w, bias, y);
    }

    @Override
    public void backwardData(ConvGeometry g, DeviceStorage w, DeviceStorage gy, DeviceStorage gx) {
        run(choose(Pass.BACKWARD_DATA, g, w, gy, null), Pass.BACKWARD_DATA, g, w, gy, null, gx);
    }

    @Override
    public void backwardWeight(ConvGeometry g, DeviceStorage x, DeviceStorage gy, DeviceStorage gw) {
        run(choose(Pass.BACKWARD_WEIGHT, g, x, gy, null), Pass.BACKWARD_WEIGHT, g, x, gy, null, gw);
    }

    /** The choice made for (g, pass), or null if it has not been seen. */
    synchronized Choice choice(Pass pass, ConvGeometry g) {
        return choices.get(new Key(g, pass));
    }

    /** Every choice so far, one line each: "pass geometry: timings -> winner". */
    synchronized List<String> report() {
        List<String> lines = new ArrayList<>();
        for (Map.Entry<Key, Choice> e : choices.entrySet()) {
            lines.add(e.getKey().pass() + " " + e.getKey().g() + ": " + e.getValue().summary());
        }
        lines.sort(null);
        return lines;
    }

    /** How many (geometry, pass) pairs have been tuned; the profiler skips steps in which this grew. */
    synchronized int tunings() {
        return choices.size();
    }

    /**
     * Operands by pass: forward (a = x, b = w, bias, out = y), backward data (a = w, b = gy, out = gx), backward
     * weight (a = x, b = gy, out = gw).
     */
    private void run(Choice c, Pass pass, ConvGeometry g, DeviceStorage a, DeviceStorage b, DeviceStorage bias,
                     DeviceStorage out) {
        if (c.own() == null) {
            switch (pass) {
                case FORWARD -> cudnn.forward(g, a, b, bias, out);
                case BACKWARD_DATA -> cudnn.backwardData(g, a, b, out);
                case BACKWARD_WEIGHT -> cudnn.backwardWeight(g, a, b, out);
            }
            return;
        }
        switch (pass) {
            case FORWARD -> own.forward(c.own(), g, a, b, bias, out);
            case BACKWARD_DATA -> own.backwardData(c.own(), g, a, b, out);
            case BACKWARD_WEIGHT -> own.backwardWeight(c.own(), g, a, b, out);
        }
    }

    private synchronized Choice choose(Pass pass, ConvGeometry g, DeviceStorage a, DeviceStorage b,
                                       DeviceStorage bias) {
        Key key = new Key(g, pass);
        Choice c = choices.get(key);
        if (c != null) return c;
        c = measure(pass, g, a, b, bias);
        choices.put(key, c);
        if (verbose) System.err.println("srgan.cuda autotune: conv " + pass + " " + g + ": " + c.summary());
        return c;
    }

    private Choice measure(Pass pass, ConvGeometry g, DeviceStorage a, DeviceStorage b, DeviceStorage bias) {
        long outSize = switch (pass) {
            case FORWARD -> g.outputSize();
            case BACKWARD_DATA -> g.inputSize();
            case BACKWARD_WEIGHT -> g.weightSize();
        };
        Map<String, Double> millis = new LinkedHashMap<>();
        OwnConv.Algo bestOwn = null;
        String bestName = null;
        double best = Double.POSITIVE_INFINITY;
        try (DeviceStorage scratch = rt.scratch(outSize); EventTimer timer = new EventTimer(ctx)) {
            for (OwnConv.Algo algo : own.candidates(pass, g)) {
                Choice candidate = new Choice(algo, algo.toString(), Map.of());
                double ms = timer.time(() -> run(candidate, pass, g, a, b, bias, scratch), REPS);
                millis.put(algo.toString(), ms);
                if (ms < best) {
                    best = ms;
                    bestOwn = algo;
                    bestName = algo.toString();
                }
            }
            if (cudnn != null) {
                String name;
                try {
                    name = "cuDNN " + (cudnnFind ? cudnn.find(pass, g, a, b, scratch) : cudnn.useHeuristic(pass, g));
                } catch (RuntimeException e) { // e.g. no deterministic algorithm: our kernels serve
                    name = null;
                    millis.put("cuDNN unavailable (" + e.getMessage() + ")", Double.NaN);
                }
                if (name != null) {
                    Choice candidate = new Choice(null, name, Map.of());
                    double ms = timer.time(() -> run(candidate, pass, g, a, b, bias, scratch), REPS);
                    millis.put(name, ms);
                    if (ms < best) {
                        best = ms;
                        bestOwn = null;
                        bestName = name;
                    }
                }
            }
        }
        return new Choice(bestOwn, bestName, millis);
    }
}
