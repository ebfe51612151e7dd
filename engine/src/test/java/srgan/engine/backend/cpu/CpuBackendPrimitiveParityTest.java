package srgan.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import srgan.engine.backend.AdamHyper;
import srgan.engine.backend.BinaryOp;
import srgan.engine.backend.ConvGeometry;
import srgan.engine.backend.LossKind;
import srgan.engine.backend.PoolGeometry;
import srgan.engine.backend.Storage;
import srgan.engine.backend.UnaryOp;
import srgan.engine.backend.reference.ReferenceBackend;

/**
 * Every primitive of the CPU backend against the double-precision reference, on random inputs that are exact
 * float32 values (so both sides see the same numbers), over shapes chosen to hit the awkward paths: odd sizes,
 * stride 2 and 3, padding 0/1/2/4, 9x9 kernels, channel counts that are not multiples of 8, batch 1 and 3,
 * and sizes that cross the backend's tile and chunk boundaries. Gradient outputs start from random values so
 * accumulation ({@code +=}) is checked too.
 *
 * <p>Each comparison is {@code |cpu - ref| <= atol + rtol * |ref|}. The tolerances come from how the CPU
 * backend computes, with {@code U = 2^-24} the unit roundoff of float32:
 * <ul>
 *   <li>{@link #EXACT} (0, 0): copies, permutations and max selection move float values without arithmetic.</li>
 *   <li>{@link #ROUNDED}: the CPU evaluates the formula in double (or as one correctly rounded float
 *       operation) and rounds once, so rtol = U. atol = 1e-12 covers the two sides evaluating the formula in a
 *       different order in double (differences ~2^-52 times O(1) terms) and results that round to
 *       subnormals.</li>
 *   <li>{@link #SUMMED}: a reduction in double, rounded once: rtol = U again. The two sides add in different
 *       orders; for n terms of size <= 1 the double sums differ by about sqrt(n) * 2^-53 * |partial sums|,
 *       below 1e-11 for the n <= 2^18 used here, so atol = 1e-9.</li>
 *   <li>Float dot products (GEMM, convolution): each of the K additions rounds by up to U times the running
 *       sum, a random walk of size ~sqrt(K) times the typical product, so the error is ~sqrt(K) * U relative to
 *       the output's scale rather than to each element (an element near 0 has the same absolute error as its
 *       neighbours). Hence {@link #dotTolerance}: rtol = 4 sqrt(K) U and atol = rtol * rms(ref), about six
 *       standard deviations of that walk; K is the length of the float accumulation, per primitive below.</li>
 * </ul>
 */
class CpuBackendPrimitiveParityTest {
    private static final double U = 0x1p-24;
    private static final Tolerance EXACT = new Tolerance(0, 0);
    private static final Tolerance ROUNDED = new Tolerance(1e-12, U);
    private static final Tolerance SUMMED = new Tolerance(1e-9, U);

    private final ReferenceBackend ref = new ReferenceBackend();
    // Three threads: an odd count, so the work splits never line up with the power-of-two shapes.
    private final CpuBackend cpu = new CpuBackend(3);
    private final Random rng = new Random(20240611);

    @AfterEach
    void closeBackends() {
        cpu.close();
        ref.close();
    }

    private record Tolerance(double atol, double rtol) {
    }

    /** One input uploaded to both backends. */
    private record Pair(Storage ref, Storage cpu) {
    }

    private Pair pair(float[] values) {
        return new Pair(ref.upload(values), cpu.upload(values));
    }

    private float[] uniform(int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        return v;
    }

    private Pair random(long n) {
        return pair(uniform((int) n, -1, 1));
    }

    private Pair random(long n, double lo, double hi) {
        return pair(uniform((int) n, lo, hi));
    }

    private Pair zeros(long n) {
        return new Pair(ref.allocate(n), cpu.allocate(n));
    }

    private static Storage r(Pair p) {
        return p == null ? null : p.ref();
    }

    private static Storage c(Pair p) {
        return p == null ? null : p.cpu();
    }

    /**
     * Dot products of length {@code k} accumulated in float (see the class comment): rtol = 4 sqrt(K) U, atol
     * the same relative to the root-mean-square of the reference output.
     */
    private Tolerance dotTolerance(Pair out, long k) {
        double[] want = ref.downloadDoubles(out.ref());
        double sq = 0;
        for (double w : want) sq += w * w;
        double rms = Math.sqrt(sq / Math.max(1, want.length));
        double rtol = 4 * Math.sqrt(k) * U;
        return new Tolerance(rtol * rms, rtol);
    }

    private void check(String what, Pair p, Tolerance tol) {
        double[] want = ref.downloadDoubles(p.ref());
        double[] got = cpu.downloadDoubles(p.cpu());
        if (want.length != got.length) fail(what + ": length " + got.length + ", expected " + want.length);
        StringBuilder report = new StringBuilder();
        int bad = 0;
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]);
            double bound = tol.atol() + tol.rtol() * Math.abs(want[i]);
            boolean same = got[i] == want[i];   // equal infinities have a NaN difference
            if (!same && !(err <= bound)) {
                if (bad < 5) {
                    report.append(String.format("%n  [%d] cpu %.9g, ref %.9g, |err| %.3g > %.3g", i, got[i], want[i],
                            err, bound));
                }
                bad++;
            }
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d elements outside atol %.3g + rtol %.3g*|ref|%s", what, bad,
                    want.length, tol.atol(), tol.rtol(), report));
        }
    }

    // ---- element-wise ----

    @Test
    void unaryAndItsBackward() {
        // 100_003 elements: several parallel chunks and a ragged last one.
        int n = 100_003;
        for (UnaryOp op : UnaryOp.values()) {
            double param = op == UnaryOp.LEAKY_RELU ? 0.2 : op == UnaryOp.SCALE ? -1.7 : 0.3;
            // rsqrt is defined for x + param >= 0 only.
            Pair x = op == UnaryOp.RSQRT ? random(n, 0, 4) : random(n, -4, 4);
            Pair y = zeros(n);
            ref.unary(op, param, x.ref(), y.ref(), n);
            cpu.unary(op, param, x.cpu(), y.cpu(), n);
            check(op + " forward", y, ROUNDED);
            // The backward reads a y that is the same float on both sides, so only the final rounding differs.
            Pair yIn = pair(cpu.download(y.cpu()));
            Pair gx = random(n);
            Pair gy = random(n);
            ref.unaryBackward(op, param, x.ref(), yIn.ref(), gy.ref(), gx.ref(), n);
            cpu.unaryBackward(op, param, x.cpu(), yIn.cpu(), gy.cpu(), gx.cpu(), n);
            check(op + " backward", gx, ROUNDED);
        }
    }

    /** Broadcast cases as {aShape, bShape, outShape}. */
    private static final int[][][] BROADCASTS = {
            {{3, 5, 7, 9}, {3, 5, 7, 9}, {3, 5, 7, 9}},         // same shape
            {{3, 5, 7, 9}, {1, 5, 1, 1}, {3, 5, 7, 9}},         // per-channel bias
            {{1, 5, 1, 1}, {3, 5, 7, 9}, {3, 5, 7, 9}},         // per-channel, broadcast on the left
            {{3, 5, 7, 9}, {1, 1, 1, 1}, {3, 5, 7, 9}},         // scalar
            {{3, 1, 7, 1}, {1, 5, 1, 9}, {3, 5, 7, 9}},         // both broadcast, alternating
            {{1, 3000}, {5, 3000}, {5, 3000}},                  // rows
            {{4, 1, 6}, {4, 5, 6}, {4, 5, 6}},
            {{2, 70_001}, {2, 70_001}, {2, 70_001}},            // long: several chunks, rows split between them
            {{2, 1, 70_001}, {1, 3, 1}, {2, 3, 70_001}},
            {{1}, {1}, {1}},
            {{}, {}, {}},
    };

    @Test
    void binaryBroadcasts() {
        for (int[][] shapes : BROADCASTS) {
            for (BinaryOp op : BinaryOp.values()) {
                Pair a = random(size(shapes[0]));
                Pair b = random(size(shapes[1]));
                Pair out = zeros(size(shapes[2]));
                ref.binary(op, a.ref(), shapes[0], b.ref(), shapes[1], out.ref(), shapes[2]);
                cpu.binary(op, a.cpu(), shapes[0], b.cpu(), shapes[1], out.cpu(), shapes[2]);
                // A float add, subtract or multiply is one correctly rounded operation.
                String what = op + " " + describe(shapes);
                check(what, out, ROUNDED);
                if (size(shapes[0]) == size(shapes[2])) {
                    // In place into a full-shape operand.
                    ref.binary(op, a.ref(), shapes[0], b.ref(), shapes[1], a.ref(), shapes[2]);
                    cpu.binary(op, a.cpu(), shapes[0], b.cpu(), shapes[1], a.cpu(), shapes[2]);
                    check(what + " in place", a, ROUNDED);
                }
            }
        }
    }

    @Test
    void sumToEveryBroadcastPattern() {
        int[][][] cases = {
                {{3, 5, 7, 9}, {3, 5, 7, 9}},
                {{3, 5, 7, 9}, {1, 5, 1, 1}},       // bias gradient
                {{3, 5, 7, 9}, {1, 1, 1, 1}},
                {{3, 5, 7, 9}, {3, 1, 7, 1}},
                {{3, 5, 7, 9}, {1, 5, 1, 9}},
                {{3, 5, 7, 9}, {3, 5, 1, 1}},
                {{3, 5, 7, 9}, {1, 1, 7, 9}},
                {{5, 3000}, {1, 3000}},             // wider than one column chunk
                {{2, 70_001}, {1, 1}},               // several fixed-size partials
                {{2, 70_001}, {2, 1}},
                {{1, 1}, {1, 1}},
                {{}, {}},
        };
        for (int[][] shapes : cases) {
            Pair src = random(size(shapes[0]));
            Pair dst = random(size(shapes[1]));
            ref.sumTo(src.ref(), shapes[0], dst.ref(), shapes[1], 0.37);
            cpu.sumTo(src.cpu(), shapes[0], dst.cpu(), shapes[1], 0.37);
            check("sumTo " + describe(shapes), dst, SUMMED);
        }
    }

    // ---- PReLU ----

    @Test
    void preluSharedAndPerChannel() {
        int[][] shapes = {{3, 5, 63}, {1, 13, 16}, {3, 1, 1}};   // n, c, hw
        for (int[] s : shapes) {
            for (int alphaCount : new int[]{1, s[1]}) {
                int n = s[0] * s[1] * s[2];
                Pair x = random(n);
                Pair alpha = random(alphaCount, 0, 0.5);
                Pair y = zeros(n);
                ref.prelu(x.ref(), alpha.ref(), alphaCount, y.ref(), s[0], s[1], s[2]);
                cpu.prelu(x.cpu(), alpha.cpu(), alphaCount, y.cpu(), s[0], s[1], s[2]);
                String what = "prelu n=" + s[0] + " c=" + s[1] + " hw=" + s[2] + " alphas=" + alphaCount;
                check(what, y, ROUNDED);   // alpha * x: one float multiply
                Pair gy = random(n);
                Pair gx = random(n);
                Pair ga = random(alphaCount);
                ref.preluBackward(x.ref(), alpha.ref(), alphaCount, gy.ref(), gx.ref(), ga.ref(), s[0], s[1], s[2]);
                cpu.preluBackward(x.cpu(), alpha.cpu(), alphaCount, gy.cpu(), gx.cpu(), ga.cpu(), s[0], s[1], s[2]);
                check(what + " gx", gx, ROUNDED);
                check(what + " gAlpha", ga, SUMMED);   // a sum over N*H*W (or all) elements, in double
            }
        }
    }

    // ---- convolution ----

    private static final ConvGeometry[] CONVS = {
            new ConvGeometry(1, 3, 11, 13, 5, 3, 3, 1, 1),
            new ConvGeometry(3, 4, 9, 9, 6, 3, 3, 2, 1),        // odd size, stride 2
            new ConvGeometry(1, 3, 17, 16, 10, 9, 9, 1, 4),     // SRGAN's first layer; 272 pixels: two tiles
            new ConvGeometry(3, 10, 10, 10, 3, 9, 9, 1, 4),     // its last layer, 10 channels in
            new ConvGeometry(3, 7, 6, 5, 9, 1, 1, 1, 0),        // pointwise: the input is the column matrix
            new ConvGeometry(1, 5, 10, 11, 7, 3, 3, 2, 0),      // stride 2, unpadded
            new ConvGeometry(1, 70, 20, 20, 20, 3, 3, 1, 1),    // K = 630 > one row chunk; 400 pixels
            new ConvGeometry(2, 2, 8, 8, 40, 3, 3, 1, 1),       // few weight columns: output channels split
            new ConvGeometry(1, 3, 7, 7, 4, 1, 1, 2, 0),        // stride > kernel: some inputs get no gradient
            new ConvGeometry(1, 3, 8, 9, 4, 4, 4, 2, 1),        // even kernel
            new ConvGeometry(3, 2, 13, 12, 3, 5, 5, 3, 2),      // stride 3: nine phases of unequal size
    };

    @Test
    void conv2dForwardAndBackward() {
        for (ConvGeometry g : CONVS) {
            Pair x = random(g.inputSize());
            Pair w = random(g.weightSize());
            Pair bias = random(g.outChannels());
            Pair y = zeros(g.outputSize());
            ref.conv2d(g, x.ref(), w.ref(), bias.ref(), y.ref());
            cpu.conv2d(g, x.cpu(), w.cpu(), bias.cpu(), y.cpu());
            int kernel = g.kernelHeight() * g.kernelWidth();
            // Forward: bias plus Cin*KH*KW products, accumulated in float.
            check("conv2d " + g, y, dotTolerance(y, 1 + (long) g.inChannels() * kernel));

            Pair gy = random(g.outputSize());
            Pair gx = random(g.inputSize());
            ref.conv2dBackwardData(g, w.ref(), gy.ref(), gx.ref());
            cpu.conv2dBackwardData(g, w.cpu(), gy.cpu(), gx.cpu());
            // Each input pixel gathers at most Cout*KH*KW products in float, then joins the old gx.
            check("conv2dBackwardData " + g, gx, dotTolerance(gx, 1 + (long) g.outChannels() * kernel));

            Pair gw = random(g.weightSize());
            ref.conv2dBackwardWeight(g, x.ref(), gy.ref(), gw.ref());
            cpu.conv2dBackwardWeight(g, x.cpu(), gy.cpu(), gw.cpu());
            // Float only within one pixel tile; tiles and images are added in double.
            long pixels = (long) g.outHeight() * g.outWidth();
            check("conv2dBackwardWeight " + g, gw, dotTolerance(gw, 1 + Math.min(pixels, Conv.PIXEL_TILE)));
        }
        // No bias.
        ConvGeometry g = CONVS[1];
        Pair x = random(g.inputSize());
        Pair w = random(g.weightSize());
        Pair y = zeros(g.outputSize());
        ref.conv2d(g, x.ref(), w.ref(), null, y.ref());
        cpu.conv2d(g, x.cpu(), w.cpu(), null, y.cpu());
        check("conv2d without bias " + g, y, dotTolerance(y, (long) g.inChannels() * 9));
    }

    // ---- batch norm ----

    @Test
    void batchNormTrainEvalAndBackward() {
        int[][] shapes = {{3, 5, 63}, {1, 3, 2}, {4, 10, 9}, {1, 2, 70_001}};   // n, c, hw
        for (int[] s : shapes) {
            int n = s[0], c = s[1], hw = s[2], size = n * c * hw;
            String what = "batchNorm n=" + n + " c=" + c + " hw=" + hw;
            // An offset mean (3) with spread 1, where a one-pass variance would lose digits.
            Pair x = random(size, 2, 4);
            Pair gamma = random(c, 0.5, 1.5);
            Pair beta = random(c);
            Pair runMean = random(c);
            Pair runVar = random(c, 0.5, 2);
            Pair y = zeros(size);
            Pair saveMean = zeros(c);
            Pair saveInv = zeros(c);
            ref.batchNormTrain(x.ref(), gamma.ref(), beta.ref(), runMean.ref(), runVar.ref(), 0.1, 1e-5, y.ref(),
                    saveMean.ref(), saveInv.ref(), n, c, hw);
            cpu.batchNormTrain(x.cpu(), gamma.cpu(), beta.cpu(), runMean.cpu(), runVar.cpu(), 0.1, 1e-5, y.cpu(),
                    saveMean.cpu(), saveInv.cpu(), n, c, hw);
            // Statistics are double sums over N*H*W, rounded once; y is evaluated in double from them.
            check(what + " train y", y, SUMMED);
            check(what + " saveMean", saveMean, SUMMED);
            check(what + " saveInvStd", saveInv, SUMMED);
            check(what + " runMean", runMean, SUMMED);
            check(what + " runVar", runVar, SUMMED);

            // Eval from the same float running statistics on both sides (the reference kept its own in double).
            Pair evalRunMean = pair(cpu.download(runMean.cpu()));
            Pair evalRunVar = pair(cpu.download(runVar.cpu()));
            Pair yEval = zeros(size);
            Pair evalMean = zeros(c);
            Pair evalInv = zeros(c);
            ref.batchNormEval(x.ref(), gamma.ref(), beta.ref(), evalRunMean.ref(), evalRunVar.ref(), 1e-5,
                    yEval.ref(), evalMean.ref(), evalInv.ref(), n, c, hw);
            cpu.batchNormEval(x.cpu(), gamma.cpu(), beta.cpu(), evalRunMean.cpu(), evalRunVar.cpu(), 1e-5,
                    yEval.cpu(), evalMean.cpu(), evalInv.cpu(), n, c, hw);
            check(what + " eval y", yEval, ROUNDED);
            check(what + " eval saveMean", evalMean, EXACT);
            check(what + " eval saveInvStd", evalInv, ROUNDED);

            // Backward from the same float statistics on both sides (the CPU's saved ones).
            Pair mean = pair(cpu.download(saveMean.cpu()));
            Pair inv = pair(cpu.download(saveInv.cpu()));
            for (boolean training : new boolean[]{true, false}) {
                Pair gy = random(size);
                Pair gx = random(size);
                Pair gGamma = random(c);
                Pair gBeta = random(c);
                ref.batchNormBackward(training, x.ref(), gamma.ref(), mean.ref(), inv.ref(), gy.ref(), gx.ref(),
                        gGamma.ref(), gBeta.ref(), n, c, hw);
                cpu.batchNormBackward(training, x.cpu(), gamma.cpu(), mean.cpu(), inv.cpu(), gy.cpu(), gx.cpu(),
                        gGamma.cpu(), gBeta.cpu(), n, c, hw);
                String mode = what + (training ? " backward(train)" : " backward(eval)");
                // gx uses the double sums and cancels O(1) terms: SUMMED's atol absorbs both.
                check(mode + " gx", gx, SUMMED);
                check(mode + " gGamma", gGamma, SUMMED);
                check(mode + " gBeta", gBeta, SUMMED);
            }
        }
    }

    // ---- layout ----

    @Test
    void pixelShuffleAndCopyChannels() {
        int[][] shapes = {{3, 12, 5, 7, 2}, {1, 18, 3, 4, 3}, {1, 4, 1, 1, 2}};   // n, c, h, w, r
        for (int[] s : shapes) {
            int size = s[0] * s[1] * s[2] * s[3];
            String what = "pixelShuffle n=" + s[0] + " c=" + s[1] + " " + s[2] + "x" + s[3] + " r=" + s[4];
            Pair x = random(size);
            Pair y = zeros(size);
            ref.pixelShuffle(x.ref(), y.ref(), s[0], s[1], s[2], s[3], s[4]);
            cpu.pixelShuffle(x.cpu(), y.cpu(), s[0], s[1], s[2], s[3], s[4]);
            check(what, y, EXACT);
            Pair gy = random(size);
            Pair gx = random(size);
            ref.pixelShuffleBackward(gy.ref(), gx.ref(), s[0], s[1], s[2], s[3], s[4]);
            cpu.pixelShuffleBackward(gy.cpu(), gx.cpu(), s[0], s[1], s[2], s[3], s[4]);
            check(what + " backward", gx, ROUNDED);   // one float add per element
        }
        // src [3, 5, hw 7]: 3 channels from channel 1 into dst [3, 8, 7] at channel 4.
        for (boolean accumulate : new boolean[]{false, true}) {
            Pair src = random(3 * 5 * 7);
            Pair dst = random(3 * 8 * 7);
            ref.copyChannels(src.ref(), 5, 1, dst.ref(), 8, 4, 3, 3, 7, accumulate);
            cpu.copyChannels(src.cpu(), 5, 1, dst.cpu(), 8, 4, 3, 3, 7, accumulate);
            check("copyChannels accumulate=" + accumulate, dst, accumulate ? ROUNDED : EXACT);
        }
    }

    // ---- pooling ----

    @Test
    void maxPoolForwardAndBackward() {
        PoolGeometry[] pools = {
                new PoolGeometry(3, 5, 9, 9, 3, 2, 1),
                new PoolGeometry(1, 3, 8, 7, 2, 2, 0),
                new PoolGeometry(1, 2, 7, 7, 3, 1, 1),      // overlapping windows
                new PoolGeometry(3, 3, 6, 6, 4, 2, 2),
        };
        for (PoolGeometry g : pools) {
            Pair x = random(g.inputSize());
            Pair y = zeros(g.outputSize());
            ref.maxPool2d(g, x.ref(), y.ref());
            cpu.maxPool2d(g, x.cpu(), y.cpu());
            check("maxPool2d " + g, y, EXACT);
            Pair gy = random(g.outputSize());
            Pair gx = random(g.inputSize());
            ref.maxPool2dBackward(g, x.ref(), gy.ref(), gx.ref());
            cpu.maxPool2dBackward(g, x.cpu(), gy.cpu(), gx.cpu());
            // An input joins at most ceil(k/s)^2 windows: that many float adds onto a start value, each
            // rounding by U times a partial sum of at most (adds + 1) terms of size <= 1.
            int windows = (int) Math.pow(Math.ceil(g.kernel() / (double) g.stride()), 2);
            check("maxPool2dBackward " + g, gx, new Tolerance(windows * (windows + 1) * U, 0));
        }
    }

    // ---- dense ----

    @Test
    void gemmAllTranspositions() {
        int[][] shapes = {{7, 300, 19}, {33, 5, 600}, {1, 1, 1}, {64, 65, 3}};   // m, n, k
        double[][] scalars = {{1, 0}, {0.5, 2}, {-1.25, 1}};                   // alpha, beta
        for (int[] s : shapes) {
            for (double[] ab : scalars) {
                for (boolean transA : new boolean[]{false, true}) {
                    for (boolean transB : new boolean[]{false, true}) {
                        int m = s[0], n = s[1], k = s[2];
                        Pair a = random((long) m * k);
                        Pair b = random((long) k * n);
                        float[] c0 = uniform(m * n, -1, 1);
                        if (ab[1] == 0) java.util.Arrays.fill(c0, Float.NaN);   // beta = 0 must not read C
                        Pair c = pair(c0);
                        ref.gemm(transA, transB, m, n, k, ab[0], a.ref(), b.ref(), ab[1], c.ref());
                        cpu.gemm(transA, transB, m, n, k, ab[0], a.cpu(), b.cpu(), ab[1], c.cpu());
                        // k products plus beta*C, accumulated in float.
                        check(String.format("gemm m=%d n=%d k=%d alpha=%s beta=%s transA=%s transB=%s", m, n, k,
                                ab[0], ab[1], transA, transB), c, dotTolerance(c, k + 1));
                    }
                }
            }
        }
    }

    // ---- losses ----

    @Test
    void lossesAndTheirGradients() {
        int n = 50_001;
        for (LossKind kind : LossKind.values()) {
            // Logits up to +-30 exercise the stable BCE form; targets in [0, 1].
            Pair input = kind == LossKind.BCE_WITH_LOGITS ? random(n, -30, 30) : random(n);
            Pair target = kind == LossKind.BCE_WITH_LOGITS ? random(n, 0, 1) : random(n);
            Pair out = zeros(1);
            ref.loss(kind, input.ref(), target.ref(), n, out.ref());
            cpu.loss(kind, input.cpu(), target.cpu(), n, out.cpu());
            check(kind + " loss", out, SUMMED);
            Pair gOut = pair(new float[]{1.7f});
            Pair gi = random(n);
            Pair gt = random(n);
            ref.lossBackward(kind, input.ref(), target.ref(), n, gOut.ref(), gi.ref(), gt.ref());
            cpu.lossBackward(kind, input.cpu(), target.cpu(), n, gOut.cpu(), gi.cpu(), gt.cpu());
            check(kind + " gInput", gi, ROUNDED);
            check(kind + " gTarget", gt, ROUNDED);
        }
    }

    // ---- optimiser ----

    @Test
    void adamStepMatches() {
        AdamHyper[] hypers = {
                new AdamHyper(1e-3, 0.9, 0.999, 1e-8, 0, true, 3),
                new AdamHyper(2e-4, 0.5, 0.999, 1e-8, 0.01, true, 1),
                new AdamHyper(1e-2, 0.9, 0.99, 1e-6, 0.1, false, 7),
        };
        int[] sizes = {1, 40_000, 577};
        for (AdamHyper h : hypers) {
            Pair[] p = new Pair[sizes.length];
            Pair[] g = new Pair[sizes.length];
            Pair[] m = new Pair[sizes.length];
            Pair[] v = new Pair[sizes.length];
            float[][] before = new float[sizes.length][];
            for (int t = 0; t < sizes.length; t++) {
                before[t] = uniform(sizes[t], -1, 1);
                p[t] = pair(before[t]);
                g[t] = random(sizes[t], -0.1, 0.1);
                m[t] = random(sizes[t], -0.05, 0.05);
                v[t] = random(sizes[t], 1e-4, 1e-2);
            }
            ref.adamStep(List.of(r(p[0]), r(p[1]), r(p[2])), List.of(r(g[0]), r(g[1]), r(g[2])),
                    List.of(r(m[0]), r(m[1]), r(m[2])), List.of(r(v[0]), r(v[1]), r(v[2])), h);
            cpu.adamStep(List.of(c(p[0]), c(p[1]), c(p[2])), List.of(c(g[0]), c(g[1]), c(g[2])),
                    List.of(c(m[0]), c(m[1]), c(m[2])), List.of(c(v[0]), c(v[1]), c(v[2])), h);
            for (int t = 0; t < sizes.length; t++) {
                String what = "adam " + h + " tensor " + t;
                // The moments are double formulas rounded once.
                check(what + " m", m[t], ROUNDED);
                check(what + " v", v[t], ROUNDED);
                // p: one rounding of p itself, plus the step computed from the float-rounded moments, off by
                // at most U (m) + U/2 (sqrt v) + rounding: 4U of the largest step.
                double[] after = ref.downloadDoubles(p[t].ref());
                double step = 0;
                for (int i = 0; i < after.length; i++) step = Math.max(step, Math.abs(after[i] - before[t][i]));
                check(what + " p", p[t], new Tolerance(4 * U * step, U));
            }
        }
    }

    // ---- helpers ----

    private static long size(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    private static String describe(int[][] shapes) {
        StringBuilder sb = new StringBuilder();
        for (int[] s : shapes) sb.append(java.util.Arrays.toString(s));
        return sb.toString();
    }
}
