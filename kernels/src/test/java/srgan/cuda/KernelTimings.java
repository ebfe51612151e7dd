package srgan.cuda;

import srgan.engine.backend.ConvGeometry;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Side-by-side device times of every convolution kernel on SRGAN's shapes at batch 16: each of our kernels that
 * applies ({@link OwnConv#candidates}), cuDNN's heuristic algorithm ({@code Get..._v7}) and cuDNN's benchmarked
 * best ({@code Find...Ex}, deterministic only), plus the discriminator's GEMM on ours and cuBLAS. Every row
 * also holds the largest difference between our fastest kernel's result and cuDNN's on the same operands,
 * relative to the largest magnitude of cuDNN's result: a full-size cross-check of the kernels the parity tests
 * run on small shapes.
 *
 * <p>Napkin math: a pass costs {@code 2 * N*OH*OW * OC * C*KH*KW} flops (the GFLOP/s column); the H200 peaks
 * near 67 TFLOP/s in FP32 FMA, so e.g. the tail (4.6 GFLOP) cannot take less than ~0.07 ms per pass.
 *
 * <p>Run on the GPU machine: {@code java -cp <jars> srgan.cuda.KernelTimings [reps]} (default 10 timed runs per
 * kernel after one warm-up); without cuDNN only our kernels are timed.
 */
public final class KernelTimings {

    /** n, c, h, w, out channels, kernel, stride, padding, and a name. */
    private record Shape(String name, ConvGeometry g) {
    }

    private static final List<Shape> SHAPES = List.of(
            shape("G body", 16, 64, 24, 24, 64, 3, 1, 1),
            shape("G head", 16, 3, 24, 24, 64, 9, 1, 4),
            shape("G up 24", 16, 64, 24, 24, 256, 3, 1, 1),
            shape("G up 48", 16, 64, 48, 48, 256, 3, 1, 1),
            shape("G tail", 16, 64, 96, 96, 3, 9, 1, 4),
            shape("D/VGG conv1", 16, 3, 96, 96, 64, 3, 1, 1),
            shape("D s2 96", 16, 64, 96, 96, 64, 3, 2, 1),
            shape("D s2 48", 16, 128, 48, 48, 128, 3, 2, 1),
            shape("D s2 24", 16, 256, 24, 24, 256, 3, 2, 1),
            shape("D s2 12", 16, 512, 12, 12, 512, 3, 2, 1),
            shape("VGG 96", 16, 64, 96, 96, 64, 3, 1, 1),
            shape("VGG 12", 16, 512, 12, 12, 512, 3, 1, 1),
            shape("VGG 6", 16, 512, 6, 6, 512, 3, 1, 1));

    private static Shape shape(String name, int n, int c, int h, int w, int oc, int k, int s, int p) {
        return new Shape(name, new ConvGeometry(n, c, h, w, oc, k, k, s, p));
    }

    private KernelTimings() {
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        try (CudaBackend cuda = new CudaBackend()) {
            System.out.println(cuda.describe());
            CudaContext ctx = cuda.context();
            OwnConv own = new OwnConv(cuda.runtime());
            CudnnRoute cudnn = (CudnnRoute) cuda.libraries().cudnnConv().orElse(null);
            boolean find = Boolean.parseBoolean(System.getProperty(CudaBackend.CUDNN_FIND_PROPERTY, "true"));
            Random random = new Random(1);
            List<double[]> ratios = new ArrayList<>();
            System.out.printf(Locale.ROOT, "%-12s %-10s %-34s %-28s %-44s %-44s %7s %7s %9s%n", "layer", "pass",
                    "geometry", "ours: fastest", "ours: every kernel (ms)", "cuDNN heuristic | cuDNN find (ms)",
                    "ours/h", "ours/f", "max diff");
            try (EventTimer timer = new EventTimer(ctx)) {
                for (Shape s : SHAPES) {
                    ConvGeometry g = s.g();
                    try (DeviceStorage x = upload(cuda, random, g.inputSize());
                         DeviceStorage w = upload(cuda, random, g.weightSize());
                         DeviceStorage b = upload(cuda, random, g.outChannels());
                         DeviceStorage gy = upload(cuda, random, g.outputSize())) {
                        for (ConvEngine.Pass pass : ConvEngine.Pass.values()) {
                            ratios.add(row(cuda, timer, own, cudnn, find, s, pass, x, w, b, gy, reps));
                        }
                    }
                }
                gemm(cuda, timer, random, reps);
            }
            double worstH = 0, worstF = 0;
            for (double[] r : ratios) {
                worstH = Math.max(worstH, r[0]);
                worstF = Math.max(worstF, r[1]);
            }
            if (cudnn != null) {
                System.out.printf(Locale.ROOT, "worst ratio ours/cuDNN: %.2f against its heuristic choice, %.2f "
                        + "against its benchmarked best%n", worstH, worstF);
            }
        }
    }

    private static double[] row(CudaBackend cuda, EventTimer timer, OwnConv own, CudnnRoute cudnn, boolean find,
                                Shape s,
                                ConvEngine.Pass pass, DeviceStorage x, DeviceStorage w, DeviceStorage b,
                                DeviceStorage gy, int reps) {
        ConvGeometry g = s.g();
        long outSize = switch (pass) {
            case FORWARD -> g.outputSize();
            case BACKWARD_DATA -> g.inputSize();
            case BACKWARD_WEIGHT -> g.weightSize();
        };
        StringBuilder each = new StringBuilder();
        OwnConv.Algo best = null;
        double bestMs = Double.POSITIVE_INFINITY;
        try (DeviceStorage out = (DeviceStorage) cuda.allocate(outSize)) {
            for (OwnConv.Algo algo : own.candidates(pass, g)) {
                double ms = timer.time(() -> runOwn(own, algo, pass, g, x, w, b, gy, out), reps);
                each.append(String.format(Locale.ROOT, "%s %.3f ", algo, ms));
                if (ms < bestMs) {
                    bestMs = ms;
                    best = algo;
                }
            }
            String libs = "-";
            double heuristicMs = Double.NaN, findMs = Double.NaN, diff = Double.NaN;
            if (cudnn != null) try {
                String h = cudnn.useHeuristic(pass, g);
                heuristicMs = timer.time(() -> runCudnn(cudnn, pass, g, x, w, b, gy, out), reps);
                String f = "find off";
                if (find) {
                    f = cudnn.find(pass, g, pass == ConvEngine.Pass.BACKWARD_DATA ? w : x,
                            pass == ConvEngine.Pass.FORWARD ? w : gy, out);
                    findMs = timer.time(() -> runCudnn(cudnn, pass, g, x, w, b, gy, out), reps);
                }
                libs = String.format(Locale.ROOT, "%s %.3f | %s %.3f", h, heuristicMs, f.replaceAll(" \\(cuDNN.*", ""),
                        findMs);
                diff = difference(cuda, own, best, cudnn, pass, g, x, w, b, gy, outSize);
            } catch (RuntimeException e) {
                libs = "cuDNN failed: " + e.getMessage();
            }
            double gflops = g.forwardFlops() / 1e9 / (bestMs / 1e3);
            System.out.printf(Locale.ROOT, "%-12s %-10s %-34s %-28s %-44s %-44s %7.2f %7.2f %9.2e%n", s.name(), pass,
                    String.format(Locale.ROOT, "%dx%dx%dx%d->%d k%d s%d", g.n(), g.inChannels(), g.inHeight(),
                            g.inWidth(), g.outChannels(), g.kernelHeight(), g.stride()),
                    String.format(Locale.ROOT, "%s %.3f (%.0f GF/s)", best, bestMs, gflops), each.toString().trim(),
                    libs, bestMs / heuristicMs, bestMs / findMs, diff);
            return new double[]{bestMs / heuristicMs, bestMs / findMs};
        }
    }

    /** max |ours - cuDNN| / max |cuDNN| for the pass's output, both computed into zeroed buffers. */
    private static double difference(CudaBackend cuda, OwnConv own, OwnConv.Algo algo, CudnnRoute cudnn,
                                     ConvEngine.Pass pass, ConvGeometry g, DeviceStorage x, DeviceStorage w,
                                     DeviceStorage b, DeviceStorage gy, long outSize) {
        try (DeviceStorage mine = (DeviceStorage) cuda.allocate(outSize);
             DeviceStorage theirs = (DeviceStorage) cuda.allocate(outSize)) {
            runOwn(own, algo, pass, g, x, w, b, gy, mine);
            runCudnn(cudnn, pass, g, x, w, b, gy, theirs);
            float[] m = cuda.download(mine), t = cuda.download(theirs);
            double maxDiff = 0, maxRef = 0;
            for (int i = 0; i < m.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(m[i] - t[i]));
                maxRef = Math.max(maxRef, Math.abs(t[i]));
            }
            return Double.isNaN(maxDiff) ? Double.NaN : maxDiff / Math.max(maxRef, Float.MIN_NORMAL);
        }
    }

    private static void runOwn(OwnConv own, OwnConv.Algo algo, ConvEngine.Pass pass, ConvGeometry g, DeviceStorage x,
                               DeviceStorage w, DeviceStorage b, DeviceStorage gy, DeviceStorage out) {
        switch (pass) {
            case FORWARD -> own.forward(algo, g, x, w, b, out);
            case BACKWARD_DATA -> own.backwardData(algo, g, w, gy, out);
            case BACKWARD_WEIGHT -> own.backwardWeight(algo, g, x, gy, out);
        }
    }

    private static void runCudnn(CudnnRoute cudnn, ConvEngine.Pass pass, ConvGeometry g, DeviceStorage x,
                                 DeviceStorage w, DeviceStorage b, DeviceStorage gy, DeviceStorage out) {
        switch (pass) {
            case FORWARD -> cudnn.forward(g, x, w, b, out);
            case BACKWARD_DATA -> cudnn.backwardData(g, w, gy, out);
            case BACKWARD_WEIGHT -> cudnn.backwardWeight(g, x, gy, out);
        }
    }

    /** The discriminator's first dense layer, [16, 18432] x [1024, 18432]^T: 0.6 GFLOP. */
    private static void gemm(CudaBackend cuda, EventTimer timer, Random random, int reps) {
        int m = 16, n = 1024, k = 18432;
        GemmEngine own = new OwnGemm(cuda.runtime());
        GemmEngine cublas = cuda.libraries().cublasGemm().orElse(null);
        try (DeviceStorage a = upload(cuda, random, (long) m * k);
             DeviceStorage bm = upload(cuda, random, (long) n * k);
             DeviceStorage c = (DeviceStorage) cuda.allocate((long) m * n)) {
            double ownMs = timer.time(() -> own.gemm(false, true, m, n, k, 1, a, bm, 0, c), reps);
            double cublasMs = cublas == null ? Double.NaN
                    : timer.time(() -> cublas.gemm(false, true, m, n, k, 1, a, bm, 0, c), reps);
            System.out.printf(Locale.ROOT, "gemm 16x18432 x 1024^T: ours %.3f ms, cuBLAS %.3f ms, ratio %.2f%n", ownMs,
                    cublasMs, ownMs / cublasMs);
        }
    }

    private static DeviceStorage upload(CudaBackend cuda, Random random, long n) {
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (random.nextDouble() * 2 - 1);
        return (DeviceStorage) cuda.upload(v);
    }
}
