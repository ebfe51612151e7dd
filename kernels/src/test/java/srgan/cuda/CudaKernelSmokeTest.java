package srgan.cuda;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import srgan.engine.backend.AdamHyper;
import srgan.engine.backend.Backend;
import srgan.engine.backend.BinaryOp;
import srgan.engine.backend.ConvGeometry;
import srgan.engine.backend.LossKind;
import srgan.engine.backend.PoolGeometry;
import srgan.engine.backend.Storage;
import srgan.engine.backend.UnaryOp;
import srgan.engine.backend.reference.ReferenceBackend;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every primitive of the CUDA backend against the double-precision reference backend on random inputs:
 * {@code |got - want| <= atol + rtol * |want|}, printing the first mismatches. Convolution, GEMM and batch norm
 * are checked twice: through the backend (cuDNN/cuBLAS when they loaded) and on our own kernels directly.
 */
@Tag("gpu")
class CudaKernelSmokeTest {

    private static CudaBackend cuda;
    private static ReferenceBackend ref;
    private static OwnConv ownConv;
    private static OwnGemm ownGemm;
    private static OwnBatchNorm ownBatchNorm;
    private final Random random = new Random(42);

    @BeforeAll
    static void open() {
        CudaBackendProvider provider = new CudaBackendProvider();
        assumeTrue(provider.isAvailable(), "no CUDA: " + provider.unavailableReason());
        cuda = new CudaBackend();
        ref = new ReferenceBackend();
        ownConv = new OwnConv(cuda.runtime());
        ownGemm = new OwnGemm(cuda.runtime());
        ownBatchNorm = new OwnBatchNorm(cuda.runtime());
        System.out.println(cuda.describe());
    }

    @AfterAll
    static void close() {
        if (cuda != null) {
            System.out.printf("allocator: %d bytes in use, %d cached, %d leaks%n", cuda.allocator().bytesInUse(),
                    cuda.allocator().bytesCached(), cuda.allocator().leakCount());
            cuda.close();
        }
        if (ref != null) ref.close();
    }

    // ---- helpers ----

    /** The same data on both backends. */
    private record Pair(Storage c, Storage r) {
    }

    private float[] randoms(long n, double lo, double hi) {
        float[] f = new float[Math.toIntExact(n)];
        for (int i = 0; i < f.length; i++) f[i] = (float) (lo + (hi - lo) * random.nextDouble());
        return f;
    }

    private Pair pair(float[] data) {
        return new Pair(cuda.upload(data), ref.upload(data));
    }

    private Pair rand(long n) {
        return pair(randoms(n, -1, 1));
    }

    private Pair zeros(long n) {
        return new Pair(cuda.allocate(n), ref.allocate(n));
    }

    private static void check(String what, Pair p, double atol, double rtol) {
        check(what, cuda.download(p.c), ref.downloadDoubles(p.r), atol, rtol);
    }

    static void check(String what, float[] got, double[] want, double atol, double rtol) {
        assertEquals(want.length, got.length, what + ": length");
        int bad = 0;
        StringBuilder first = new StringBuilder();
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            double err = Math.abs(got[i] - want[i]);
            boolean ok = err <= atol + rtol * Math.abs(want[i]) || (Double.isNaN(want[i]) && Float.isNaN(got[i]));
            if (!ok) {
                if (bad < 10) first.append(String.format("%n  [%d] got %.7g want %.7g", i, got[i], want[i]));
                bad++;
                worst = Math.max(worst, err);
            }
        }
        if (bad > 0) {
            String msg = what + ": " + bad + " of " + got.length + " mismatches (atol " + atol + ", rtol " + rtol
                    + ", worst abs error " + worst + "), first:" + first;
            System.out.println(msg);
            fail(msg);
        }
    }

    // ---- memory ----

    @Test
    void memory() {
        float[] data = randoms(1000, -5, 5);
        Pair a = pair(data);
        check("upload/download", a, 0, 0);
        Pair z = zeros(777);
        check("allocate zeroes", z, 0, 0);
        cuda.fill(z.c, 2.5);
        ref.fill(z.r, 2.5);
        check("fill", z, 0, 0);
        cuda.copy(a.c, 10, z.c, 100, 300);
        ref.copy(a.r, 10, z.r, 100, 300);
        check("copy with offsets", z, 0, 0);
        cuda.copy(a.c, 0, a.c, 5, 500); // overlapping ranges in one storage
        ref.copy(a.r, 0, a.r, 5, 500);
        check("overlapping copy", a, 0, 0);
        Pair d = pair(randoms(9_000_001, -1, 1)); // more than one staging chunk
        check("large upload/download", d, 0, 0);
        double[] dd = {1.25, -3.5, 1e-3};
        Storage s = cuda.uploadDoubles(dd);
        check("uploadDoubles", cuda.download(s), dd, 1e-7, 1e-7);
        for (Storage t : List.of(a.c, z.c, d.c, s)) t.close();
        assertTrue(s.isClosed());
    }

    // ---- element-wise ----

    @Test
    void unaryForwardAndBackward() {
        int n = 100_003;
        for (UnaryOp op : UnaryOp.values()) {
            double param = op == UnaryOp.LEAKY_RELU ? 0.2 : op == UnaryOp.SCALE ? -1.7 : 0.3;
            // rsqrt is defined for x + param >= 0 only.
            Pair x = pair(op == UnaryOp.RSQRT ? randoms(n, 0, 4) : randoms(n, -4, 4));
            Pair y = zeros(n);
            cuda.unary(op, param, x.c, y.c, n);
            ref.unary(op, param, x.r, y.r, n);
            check(op + " forward", y, 1e-6, 1e-5);
            Pair gy = rand(n);
            Pair gx = rand(n);
            cuda.unaryBackward(op, param, x.c, y.c, gy.c, gx.c, n);
            ref.unaryBackward(op, param, x.r, y.r, gy.r, gx.r, n);
            check(op + " backward", gx, 1e-6, 1e-5);
        }
        Pair x = pair(randoms(1000, -1, 1)); // in place
        cuda.unary(UnaryOp.TANH, 0, x.c, x.c, 1000);
        ref.unary(UnaryOp.TANH, 0, x.r, x.r, 1000);
        check("tanh in place", x, 1e-6, 1e-5);
    }

    @Test
    void binaryBroadcasting() {
        int[][][] cases = {
                {{2, 3, 4, 5}, {2, 3, 4, 5}, {2, 3, 4, 5}},
                {{2, 3, 4, 5}, {1, 3, 1, 1}, {2, 3, 4, 5}},
                {{2, 1, 4, 1}, {1, 3, 1, 5}, {2, 3, 4, 5}},
                {{1, 1, 1, 1}, {2, 3, 4, 5}, {2, 3, 4, 5}},
                {{7, 1}, {1, 9}, {7, 9}},
                {{3, 1, 2, 1, 2, 1, 2}, {1, 2, 1, 2, 1, 2, 1}, {3, 2, 2, 2, 2, 2, 2}},
                {{16, 64, 24, 24}, {1, 64, 1, 1}, {16, 64, 24, 24}},
        };
        for (int[][] c : cases) {
            for (BinaryOp op : BinaryOp.values()) {
                long na = OwnKernels.product(c[0]), nb = OwnKernels.product(c[1]), no = OwnKernels.product(c[2]);
                Pair a = rand(na), b = rand(nb), out = zeros(no);
                cuda.binary(op, a.c, c[0], b.c, c[1], out.c, c[2]);
                ref.binary(op, a.r, c[0], b.r, c[1], out.r, c[2]);
                check(op + " " + java.util.Arrays.deepToString(c), out, 1e-6, 1e-6);
            }
        }
        int[] full = {4, 5, 6}, row = {1, 1, 6};
        Pair a = rand(120), b = rand(6);
        cuda.binary(BinaryOp.MUL, a.c, full, b.c, row, a.c, full); // out aliases a
        ref.binary(BinaryOp.MUL, a.r, full, b.r, row, a.r, full);
        check("MUL into a", a, 1e-6, 1e-6);
    }

    @Test
    void sumTo() {
        int[][][] cases = {
                {{4, 8, 16, 16}, {1, 8, 1, 1}},
                {{4, 8, 16, 16}, {1, 1, 1, 1}},
                {{4, 8, 16, 16}, {4, 1, 16, 16}},
                {{4, 8, 16, 16}, {4, 8, 1, 1}},
                {{4, 8, 16, 16}, {1, 8, 16, 16}},
                {{4, 8, 16, 16}, {4, 8, 16, 16}},
                {{3, 5}, {1, 5}},
                {{3, 5}, {3, 1}},
                {{1000003}, {1}},
                {{16, 64, 48, 48}, {1, 64, 1, 1}},
                {{2, 3, 2, 3, 2, 3, 2}, {1, 3, 1, 3, 1, 3, 1}},
        };
        for (int[][] c : cases) {
            long ns = OwnKernels.product(c[0]), nd = OwnKernels.product(c[1]);
            Pair src = rand(ns), dst = rand(nd);
            cuda.sumTo(src.c, c[0], dst.c, c[1], 0.5);
            ref.sumTo(src.r, c[0], dst.r, c[1], 0.5);
            check("sumTo " + java.util.Arrays.deepToString(c), dst, 1e-4, 1e-5);
        }
    }

    @Test
    void prelu() {
        int n = 3, c = 5, hw = 37;
        long total = (long) n * c * hw;
        for (int alphaCount : new int[]{1, c}) {
            Pair x = rand(total), alpha = pair(randoms(alphaCount, 0, 0.5)), y = zeros(total);
            cuda.prelu(x.c, alpha.c, alphaCount, y.c, n, c, hw);
            ref.prelu(x.r, alpha.r, alphaCount, y.r, n, c, hw);
            check("prelu alphas=" + alphaCount, y, 1e-6, 1e-6);
            Pair gy = rand(total), gx = rand(total), ga = rand(alphaCount);
            cuda.preluBackward(x.c, alpha.c, alphaCount, gy.c, gx.c, ga.c, n, c, hw);
            ref.preluBackward(x.r, alpha.r, alphaCount, gy.r, gx.r, ga.r, n, c, hw);
            check("prelu backward gx alphas=" + alphaCount, gx, 1e-6, 1e-6);
            check("prelu backward gAlpha alphas=" + alphaCount, ga, 1e-5, 1e-5);
        }
        int big = 16 * 64 * 96 * 96 / 64; // split path of the alpha reduction
        Pair x = rand(big), alpha = pair(new float[]{0.25f}), gy = rand(big), ga = rand(1);
        cuda.preluBackward(x.c, alpha.c, 1, gy.c, null, ga.c, 16, 1, big / 16);
        ref.preluBackward(x.r, alpha.r, 1, gy.r, null, ga.r, 16, 1, big / 16);
        check("prelu gAlpha large", ga, 1e-3, 1e-5);
    }

    // ---- convolution ----

    private static final ConvGeometry[] CONVS = {
            new ConvGeometry(2, 3, 17, 19, 8, 3, 3, 1, 1),
            new ConvGeometry(2, 16, 20, 20, 64, 3, 3, 2, 1),
            new ConvGeometry(1, 8, 24, 24, 16, 9, 9, 1, 4),
            new ConvGeometry(3, 5, 7, 9, 130, 1, 1, 1, 0),
            new ConvGeometry(2, 8, 13, 13, 12, 4, 4, 2, 0),
            new ConvGeometry(1, 4, 10, 12, 6, 3, 5, 1, 2),
            new ConvGeometry(2, 64, 6, 6, 256, 3, 3, 1, 1),  // few pixels, many channels: split-K forward
            new ConvGeometry(4, 64, 24, 24, 64, 3, 3, 1, 1), // an SRGAN residual-block conv, scaled down
            new ConvGeometry(2, 64, 40, 37, 3, 9, 9, 1, 4),  // SRResNet's tail: few out channels, 9x9
            new ConvGeometry(2, 3, 30, 26, 64, 9, 9, 1, 4),  // its head: few in channels (backward data)
            new ConvGeometry(2, 5, 11, 10, 7, 3, 3, 3, 1),   // stride 3: nine parity classes
            new ConvGeometry(1, 4, 9, 9, 6, 1, 1, 2, 0),     // 1x1 stride 2: three classes get no tap
            new ConvGeometry(2, 70, 7, 9, 4, 5, 5, 2, 2),    // few out channels with stride 2 (weight gradient)
    };

    /**
     * Each pass of each geometry on the backend (autotuned: whichever candidate won) or, with {@code own}, on
     * every one of our kernels that applies ({@link OwnConv#candidates}).
     */
    private void convolutions(boolean own) {
        for (ConvGeometry g : CONVS) {
            double tol = 1e-4 * Math.sqrt((double) g.inChannels() * g.kernelHeight() * g.kernelWidth()) + 1e-4;
            Pair x = rand(g.inputSize()), w = rand(g.weightSize()), b = rand(g.outChannels());
            Pair yWant = zeros(g.outputSize()), y2Want = zeros(g.outputSize());
            ref.conv2d(g, x.r, w.r, b.r, yWant.r);
            ref.conv2d(g, x.r, w.r, null, y2Want.r);
            Pair gy = rand(g.outputSize()), gx0 = rand(g.inputSize()), gw0 = rand(g.weightSize());
            double tolData = 1e-4 * Math.sqrt((double) g.outChannels() * g.kernelHeight() * g.kernelWidth()) + 1e-4;
            double tolWeight = 1e-4 * Math.sqrt((double) g.n() * g.outHeight() * g.outWidth()) + 1e-4;
            Storage gxWant = ref.upload(ref.download(gx0.r)), gwWant = ref.upload(ref.download(gw0.r));
            ref.conv2dBackwardData(g, w.r, gy.r, gxWant);
            ref.conv2dBackwardWeight(g, x.r, gy.r, gwWant);
            double[] yRef = ref.downloadDoubles(yWant.r), y2Ref = ref.downloadDoubles(y2Want.r);
            double[] gxRef = ref.downloadDoubles(gxWant), gwRef = ref.downloadDoubles(gwWant);

            for (OwnConv.Algo algo : own ? ownConv.candidates(ConvEngine.Pass.FORWARD, g)
                    : java.util.Collections.<OwnConv.Algo>singletonList(null)) {
                String route = own ? "own " + algo : "backend";
                Storage y = cuda.upload(randoms(g.outputSize(), 5, 6)); // garbage the forward must overwrite
                Storage y2 = cuda.upload(randoms(g.outputSize(), 5, 6));
                if (own) {
                    ownConv.forward(algo, g, d(x), d(w), d(b), (DeviceStorage) y);
                    ownConv.forward(algo, g, d(x), d(w), null, (DeviceStorage) y2);
                } else {
                    cuda.conv2d(g, x.c, w.c, b.c, y);
                    cuda.conv2d(g, x.c, w.c, null, y2);
                }
                check(route + " conv2d " + g, cuda.download(y), yRef, tol, 1e-4);
                check(route + " conv2d without bias " + g, cuda.download(y2), y2Ref, tol, 1e-4);
                y.close();
                y2.close();
            }
            for (OwnConv.Algo algo : own ? ownConv.candidates(ConvEngine.Pass.BACKWARD_DATA, g)
                    : java.util.Collections.<OwnConv.Algo>singletonList(null)) {
                String route = own ? "own " + algo : "backend";
                Storage gx = cuda.upload(cuda.download(gx0.c));
                if (own) ownConv.backwardData(algo, g, d(w), d(gy), (DeviceStorage) gx);
                else cuda.conv2dBackwardData(g, w.c, gy.c, gx);
                check(route + " conv2d backward data (accumulating) " + g, cuda.download(gx), gxRef, tolData, 1e-4);
                gx.close();
            }
            for (OwnConv.Algo algo : own ? ownConv.candidates(ConvEngine.Pass.BACKWARD_WEIGHT, g)
                    : java.util.Collections.<OwnConv.Algo>singletonList(null)) {
                String route = own ? "own " + algo : "backend";
                Storage gw = cuda.upload(cuda.download(gw0.c));
                if (own) ownConv.backwardWeight(algo, g, d(x), d(gy), (DeviceStorage) gw);
                else cuda.conv2dBackwardWeight(g, x.c, gy.c, gw);
                check(route + " conv2d backward weight (accumulating) " + g, cuda.download(gw), gwRef, tolWeight,
                        1e-4);
                gw.close();
            }
            for (Pair p : List.of(x, w, b, yWant, y2Want, gy, gx0, gw0)) p.c.close();
        }
    }

    @Test
    void convolutionThroughBackend() {
        convolutions(false);
        System.out.println("autotune choices: " + String.join("\n  ", cuda.autotuneReport()));
    }

    @Test
    void convolutionOwnKernels() {
        convolutions(true);
    }

    // ---- GEMM ----

    private void gemms(String route, GemmEngine engine) {
        int[][] shapes = {{1, 1, 1}, {17, 33, 9}, {64, 128, 8}, {65, 129, 300}, {130, 70, 1000}, {16, 1024, 4608},
                {300, 5, 7}};
        double[][] scalars = {{1, 0}, {0.5, 2}, {-1.5, 0}};
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                for (double[] ab : scalars) {
                    int m = s[0], n = s[1], k = s[2];
                    Pair a = rand((long) m * k), b = rand((long) k * n);
                    float[] c0 = randoms((long) m * n, -1, 1);
                    if (ab[1] == 0) java.util.Arrays.fill(c0, Float.NaN); // beta = 0 must not read C
                    Pair c = pair(c0);
                    if (engine == null) cuda.gemm(ta, tb, m, n, k, ab[0], a.c, b.c, ab[1], c.c);
                    else engine.gemm(ta, tb, m, n, k, ab[0], (DeviceStorage) a.c, (DeviceStorage) b.c, ab[1],
                            (DeviceStorage) c.c);
                    ref.gemm(ta, tb, m, n, k, ab[0], a.r, b.r, ab[1], c.r);
                    check(String.format("%s gemm m=%d n=%d k=%d transA=%b transB=%b alpha=%s beta=%s", route, m, n,
                            k, ta, tb, ab[0], ab[1]), c, 1e-4 * Math.sqrt(k) + 1e-5, 1e-4);
                    for (Pair p : List.of(a, b, c)) p.c.close();
                }
            }
        }
    }

    @Test
    void gemmThroughBackend() {
        gemms("backend", null);
    }

    @Test
    void gemmOwnKernels() {
        gemms("own", ownGemm);
    }

    // ---- batch norm ----

    private void batchNorms(String route, BatchNormEngine engine) {
        int[][] shapes = {{4, 8, 5, 7}, {16, 64, 24, 24}, {2, 3, 1, 1}};
        for (int[] s : shapes) {
            int n = s[0], c = s[1], hw = s[2] * s[3];
            long total = (long) n * c * hw;
            for (boolean training : new boolean[]{true, false}) {
                String what = route + " batch norm " + (training ? "train " : "eval ") + java.util.Arrays.toString(s);
                Pair x = pair(randoms(total, -2, 3)), gamma = pair(randoms(c, 0.5, 1.5)), beta = rand(c);
                Pair rm = rand(c), rv = pair(randoms(c, 0.5, 2)), y = zeros(total), sm = zeros(c), si = zeros(c);
                double momentum = 0.1, eps = 1e-5;
                if (training) {
                    if (engine == null) cuda.batchNormTrain(x.c, gamma.c, beta.c, rm.c, rv.c, momentum, eps, y.c,
                            sm.c, si.c, n, c, hw);
                    else engine.train(d(x), d(gamma), d(beta), d(rm), d(rv), momentum, eps, d(y), d(sm), d(si), n, c,
                            hw);
                    ref.batchNormTrain(x.r, gamma.r, beta.r, rm.r, rv.r, momentum, eps, y.r, sm.r, si.r, n, c, hw);
                } else {
                    if (engine == null) cuda.batchNormEval(x.c, gamma.c, beta.c, rm.c, rv.c, eps, y.c, sm.c, si.c, n,
                            c, hw);
                    else engine.eval(d(x), d(gamma), d(beta), d(rm), d(rv), eps, d(y), d(sm), d(si), n, c, hw);
                    ref.batchNormEval(x.r, gamma.r, beta.r, rm.r, rv.r, eps, y.r, sm.r, si.r, n, c, hw);
                }
                check(what + " y", y, 1e-4, 1e-4);
                check(what + " saveMean", sm, 1e-5, 1e-5);
                check(what + " saveInvStd", si, 1e-5, 1e-4);
                check(what + " runMean", rm, 1e-5, 1e-5);
                check(what + " runVar", rv, 1e-5, 1e-4);
                Pair gy = rand(total), gx = rand(total), gg = rand(c), gb = rand(c);
                if (engine == null) cuda.batchNormBackward(training, x.c, gamma.c, sm.c, si.c, gy.c, gx.c, gg.c, gb.c,
                        n, c, hw);
                else engine.backward(training, d(x), d(gamma), d(sm), d(si), d(gy), d(gx), d(gg), d(gb), n, c, hw);
                ref.batchNormBackward(training, x.r, gamma.r, sm.r, si.r, gy.r, gx.r, gg.r, gb.r, n, c, hw);
                double tolSum = 1e-5 * Math.sqrt((double) n * hw) + 1e-5;
                check(what + " backward gx", gx, 1e-4, 1e-4);
                check(what + " backward gGamma", gg, tolSum, 1e-4);
                check(what + " backward gBeta", gb, tolSum, 1e-4);
                // only gx wanted, then only the parameter gradients
                Pair gx2 = rand(total), gg2 = rand(c), gb2 = rand(c);
                if (engine == null) {
                    cuda.batchNormBackward(training, x.c, gamma.c, sm.c, si.c, gy.c, gx2.c, null, null, n, c, hw);
                    cuda.batchNormBackward(training, x.c, gamma.c, sm.c, si.c, gy.c, null, gg2.c, gb2.c, n, c, hw);
                } else {
                    engine.backward(training, d(x), d(gamma), d(sm), d(si), d(gy), d(gx2), null, null, n, c, hw);
                    engine.backward(training, d(x), d(gamma), d(sm), d(si), d(gy), null, d(gg2), d(gb2), n, c, hw);
                }
                ref.batchNormBackward(training, x.r, gamma.r, sm.r, si.r, gy.r, gx2.r, null, null, n, c, hw);
                ref.batchNormBackward(training, x.r, gamma.r, sm.r, si.r, gy.r, null, gg2.r, gb2.r, n, c, hw);
                check(what + " backward gx only", gx2, 1e-4, 1e-4);
                check(what + " backward gGamma only", gg2, tolSum, 1e-4);
                check(what + " backward gBeta only", gb2, tolSum, 1e-4);
            }
        }
    }

    private static DeviceStorage d(Pair p) {
        return (DeviceStorage) p.c;
    }

    @Test
    void batchNormThroughBackend() {
        batchNorms("backend", null);
    }

    @Test
    void batchNormOwnKernels() {
        batchNorms("own", ownBatchNorm);
    }

    // ---- layout, pooling ----

    @Test
    void pixelShuffle() {
        for (int r : new int[]{2, 3}) {
            int n = 2, c = 4 * r * r, h = 5, w = 6;
            long total = (long) n * c * h * w;
            Pair x = rand(total), y = zeros(total);
            cuda.pixelShuffle(x.c, y.c, n, c, h, w, r);
            ref.pixelShuffle(x.r, y.r, n, c, h, w, r);
            check("pixelShuffle r=" + r, y, 0, 0);
            Pair gy = rand(total), gx = rand(total);
            cuda.pixelShuffleBackward(gy.c, gx.c, n, c, h, w, r);
            ref.pixelShuffleBackward(gy.r, gx.r, n, c, h, w, r);
            check("pixelShuffle backward r=" + r, gx, 1e-6, 1e-6);
        }
    }

    @Test
    void copyChannels() {
        int n = 3, hw = 50;
        Pair src = rand((long) n * 7 * hw);
        for (boolean acc : new boolean[]{false, true}) {
            Pair dst = rand((long) n * 10 * hw);
            cuda.copyChannels(src.c, 7, 2, dst.c, 10, 5, 4, n, hw, acc);
            ref.copyChannels(src.r, 7, 2, dst.r, 10, 5, 4, n, hw, acc);
            check("copyChannels accumulate=" + acc, dst, 1e-6, 1e-6);
        }
    }

    @Test
    void maxPool() {
        PoolGeometry[] pools = {
                new PoolGeometry(2, 3, 9, 11, 2, 2, 0),
                new PoolGeometry(2, 3, 10, 10, 3, 2, 1),
                new PoolGeometry(1, 2, 7, 7, 3, 1, 1),
                new PoolGeometry(4, 64, 24, 24, 2, 2, 0),
        };
        for (PoolGeometry g : pools) {
            for (boolean ties : new boolean[]{false, true}) {
                float[] xs = randoms(g.inputSize(), -3, 3);
                if (ties) for (int i = 0; i < xs.length; i++) xs[i] = Math.round(xs[i]); // many equal maxima
                Pair x = pair(xs), y = zeros(g.outputSize());
                cuda.maxPool2d(g, x.c, y.c);
                ref.maxPool2d(g, x.r, y.r);
                check("maxPool " + g + " ties=" + ties, y, 0, 0);
                Pair gy = rand(g.outputSize()), gx = rand(g.inputSize());
                cuda.maxPool2dBackward(g, x.c, gy.c, gx.c);
                ref.maxPool2dBackward(g, x.r, gy.r, gx.r);
                check("maxPool backward " + g + " ties=" + ties, gx, 1e-6, 1e-6);
            }
        }
    }

    // ---- losses, Adam ----

    @Test
    void losses() {
        for (LossKind kind : LossKind.values()) {
            for (long n : new long[]{1, 1000, 3_000_017}) {
                Pair in = pair(randoms(n, -3, 3));
                Pair tg = kind == LossKind.BCE_WITH_LOGITS ? pair(randoms(n, 0, 1)) : rand(n);
                Pair out = rand(1);
                cuda.loss(kind, in.c, tg.c, n, out.c);
                ref.loss(kind, in.r, tg.r, n, out.r);
                check(kind + " loss n=" + n, out, 1e-6, 1e-5);
                Pair gOut = pair(new float[]{0.7f}), gi = rand(n), gt = rand(n);
                cuda.lossBackward(kind, in.c, tg.c, n, gOut.c, gi.c, gt.c);
                ref.lossBackward(kind, in.r, tg.r, n, gOut.r, gi.r, gt.r);
                check(kind + " backward gInput n=" + n, gi, 1e-6, 1e-5);
                check(kind + " backward gTarget n=" + n, gt, 1e-6, 1e-5);
                Pair gi2 = rand(n);
                cuda.lossBackward(kind, in.c, tg.c, n, gOut.c, gi2.c, null);
                ref.lossBackward(kind, in.r, tg.r, n, gOut.r, gi2.r, null);
                check(kind + " backward gInput only n=" + n, gi2, 1e-6, 1e-5);
            }
        }
    }

    @Test
    void adam() {
        int[] sizes = {5, 4097, 10_000, 1, 64 * 64 * 9};
        List<Storage> pc = new ArrayList<>(), gc = new ArrayList<>(), mc = new ArrayList<>(), vc = new ArrayList<>();
        List<Storage> pr = new ArrayList<>(), gr = new ArrayList<>(), mr = new ArrayList<>(), vr = new ArrayList<>();
        List<Pair> params = new ArrayList<>(), ms = new ArrayList<>(), vs = new ArrayList<>();
        for (int s : sizes) {
            Pair p = rand(s), g = rand(s), m = zeros(s), v = zeros(s);
            params.add(p);
            ms.add(m);
            vs.add(v);
            pc.add(p.c); gc.add(g.c); mc.add(m.c); vc.add(v.c);
            pr.add(p.r); gr.add(g.r); mr.add(m.r); vr.add(v.r);
        }
        for (long step = 1; step <= 3; step++) {
            AdamHyper h = new AdamHyper(1e-3, 0.9, 0.999, 1e-8, step == 2 ? 0.01 : 0, true, step);
            cuda.adamStep(pc, gc, mc, vc, h);
            ref.adamStep(pr, gr, mr, vr, h);
        }
        AdamHyper plain = new AdamHyper(1e-2, 0.5, 0.9, 1e-6, 0, false, 1);
        cuda.adamStep(pc, gc, mc, vc, plain);
        ref.adamStep(pr, gr, mr, vr, plain);
        for (int i = 0; i < sizes.length; i++) {
            check("adam param " + i, params.get(i), 1e-6, 1e-5);
            check("adam m " + i, ms.get(i), 1e-6, 1e-5);
            check("adam v " + i, vs.get(i), 1e-7, 1e-5);
        }
    }
}
