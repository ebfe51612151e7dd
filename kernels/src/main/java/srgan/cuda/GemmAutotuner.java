package srgan.cuda;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * GEMM by measurement: the first time a shape (transposes, m, n, k, whether beta is 0) is seen, our SGEMM and
 * cuBLAS's each run on that call's operands into a scratch C and are timed with CUDA events; the faster serves
 * the shape from then on. The same contract as {@link ConvAutotuner}: one wait for the device per new shape,
 * deterministic given the choices, {@code -Dsrgan.cuda.autotune=false} to turn it off (cuBLAS then serves).
 */
final class GemmAutotuner implements GemmEngine {

    private static final int REPS = 3;

    private final CudaContext ctx;
    private final DeviceRuntime rt;
    private final GemmEngine own;
    private final GemmEngine cublas;
    private final boolean verbose;
    private final Map<Shape, Choice> choices = new HashMap<>();

    private record Shape(boolean transA, boolean transB, int m, int n, int k, boolean betaZero) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s%s m=%d n=%d k=%d%s", transA ? "T" : "N", transB ? "T" : "N", m, n,
                    k, betaZero ? "" : " beta!=0");
        }
    }

    private record Choice(boolean useCublas, double ownMs, double cublasMs) {
        String summary() {
            return String.format(Locale.ROOT, "own %.3f ms, cuBLAS %.3f ms -> %s", ownMs, cublasMs,
                    useCublas ? "cuBLAS" : "own");
        }
    }

    GemmAutotuner(CudaContext ctx, DeviceRuntime rt, GemmEngine own, GemmEngine cublas, boolean verbose) {
        this.ctx = ctx;
        this.rt = rt;
        this.own = own;
        this.cublas = cublas;
        this.verbose = verbose;
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, DeviceStorage a,
                     DeviceStorage b, double beta, DeviceStorage c) {
        if (m == 0 || n == 0) return;
        Choice choice = choose(new Shape(transA, transB, m, n, k, beta == 0), alpha, a, b, beta);
        (choice.useCublas() ? cublas : own).gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
    }

    synchronized List<String> report() {
        List<String> lines = new ArrayList<>();
        for (Map.Entry<Shape, Choice> e : choices.entrySet()) {
            lines.add("gemm " + e.getKey() + ": " + e.getValue().summary());
        }
        lines.sort(null);
        return lines;
    }

    synchronized int tunings() {
        return choices.size();
    }

    private synchronized Choice choose(Shape s, double alpha, DeviceStorage a, DeviceStorage b, double beta) {
        Choice c = choices.get(s);
        if (c != null) return c;
        try (DeviceStorage scratch = rt.scratch((long) s.m() * s.n()); EventTimer timer = new EventTimer(ctx)) {
            // With beta != 0 the scratch C holds garbage: its values do not change the time.
            double ownMs = timer.time(() -> own.gemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), alpha, a, b, beta,
                    scratch), REPS);
            double cublasMs = timer.time(() -> cublas.gemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), alpha, a, b,
                    beta, scratch), REPS);
            c = new Choice(cublasMs <= ownMs, ownMs, cublasMs);
        }
        choices.put(s, c);
        if (verbose) System.err.println("srgan.cuda autotune: gemm " + s + ": " + c.summary());
        return c;
    }
}
