package srgan.engine.backend.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import srgan.engine.backend.AdamHyper;
import srgan.engine.backend.Backend;
import srgan.engine.backend.BinaryOp;
import srgan.engine.backend.ConvGeometry;
import srgan.engine.backend.LossKind;
import srgan.engine.backend.PoolGeometry;
import srgan.engine.backend.Storage;
import srgan.engine.backend.UnaryOp;

/**
 * The multi-threaded float32 backend: data in {@code float[]}, work split over a fixed pool of daemon threads
 * owned by the backend and stopped by {@link #close()}.
 *
 * <p>Shape letters: N batch, C channels, H height, W width, {@code hw = H * W}.
 *
 * <p>Two sets of kernels, chosen at construction and named by {@link #describe()}:
 * <ul>
 *   <li>the vector kernels, when the JVM has the Vector API ({@code --add-modules jdk.incubator.vector}; the
 *       {@code srgan.jar} launcher restarts itself with it, see {@link VectorModuleRelauncher}):
 *       register-blocked FMA micro-kernels ({@link MicroKernels}) under implicit-GEMM convolutions
 *       ({@link VectorConv}), Winograd F(2x2, 3x3) for 3x3 stride-1 layers ({@link Winograd}), a packed GEMM
 *       ({@link VectorGemm}) and vectorised element-wise loops ({@link VectorOps});</li>
 *   <li>the scalar kernels ({@link Conv}, {@link Gemm} and the loops in this class) otherwise, or with
 *       {@code -Dsrgan.vector=false}.</li>
 * </ul>
 * Both are held to the double-precision reference by the same parity tests.
 *
 * <p>Numerics. Element-wise formulas are evaluated in double and rounded once to float. Long reductions (batch
 * norm statistics, losses, {@code sumTo}, the PReLU alpha gradient, the convolution weight gradient) accumulate
 * in double; dot products inside GEMM and the convolutions accumulate in float, as BLAS does (the weight
 * gradient only within one pixel tile, then in double across tiles and images). Every reduction has a fixed
 * order: either one thread computes an output element start to finish, or fixed-size partials are combined in
 * index order. Results are therefore reproducible run to run, and in fact do not depend on the thread count.
 *
 * <p>Memory. Closed storages' arrays go to an {@link ArrayPool} and come back for the next storage of the same
 * size, so a training step allocates no large arrays after the first; a reused array's zeros are written only
 * when something reads it before overwriting it whole (see {@link CpuStorage}).
 */
public final class CpuBackend implements Backend {
    /** Floats held by open storages: what a leak check compares before and after a piece of work. */
    private final java.util.concurrent.atomic.AtomicLong liveFloats = new java.util.concurrent.atomic.AtomicLong();
    /** The most {@link #liveFloats} has been since the last {@link #resetPeakBytesInUse()}. */
    private final java.util.concurrent.atomic.AtomicLong peakFloats = new java.util.concurrent.atomic.AtomicLong();

    /** Elements per parallel chunk of element-wise work. */
    private static final int GRAIN = Broadcast.GRAIN;
    /** Elements per partial sum of a loss; fixed, so the loss does not depend on the thread count. */
    private static final int REDUCE_CHUNK = Broadcast.REDUCE_CHUNK;
    /** Elements per block of the vector Adam step: four arrays of it take 32 KiB. */
    private static final int ADAM_BLOCK = 2048;
    /** Largest Java array of floats. */
    private static final long MAX_SIZE = Integer.MAX_VALUE - 8;

    private final Parallel parallel;
    /**
     * Arrays of closed storages. A training step's arrays come back at its end and are taken again by the next,
     * so pooled and live arrays together must fit the step's peak live set: they may take up to 60% of the
     * heap, which leaves the rest to the garbage of small objects and to the collector's headroom.
     */
    private final ArrayPool pool = new ArrayPool(Runtime.getRuntime().maxMemory() / 4 * 6 / 10);
    private final Broadcast broadcast;
    private final boolean vectors;
    private final ConvKernels conv;
    /** The vector GEMM, or null on the scalar path ({@link Gemm}). */
    private final VectorGemm vectorGemm;
    /** Whether the element-wise loops run on {@link VectorOps}. */
    private final boolean vectorOps;
    /**
     * Values per chunk of y in the fused batch-norm-and-PReLU backward: a 48x48 plane (9 KiB, in L1).
     */
    private static final int PRELU_CHUNK = 48 * 48;
    /** Per thread: a chunk of y in that backward. */
    private final ThreadLocal<float[]> preluScratch = ThreadLocal.withInitial(() -> new float[PRELU_CHUNK]);
    private volatile boolean closed;

    /**
     * A backend that runs its primitives on {@code threads} threads (the caller's included), on the vector
     * kernels when this JVM has the Vector API ({@code --add-modules jdk.incubator.vector}) unless
     * {@code -Dsrgan.vector=false}, on the scalar ones otherwise.
     */
    public CpuBackend(int threads) {
        this(threads, VectorPath.enabledByDefault());
    }

    /**
     * As {@link #CpuBackend(int)}, choosing the kernels: {@code vectors} asks for the Vector API kernels, which
     * are used when this JVM has them; false always gives the scalar kernels.
     */
    public CpuBackend(int threads, boolean vectors) {
        this.parallel = new Parallel(threads);
        this.vectors = vectors && VectorPath.supported();
        this.broadcast = new Broadcast(parallel, this.vectors && VectorOps.supported());
        this.conv = this.vectors ? new VectorConv(parallel) : new Conv(parallel);
        this.vectorGemm = this.vectors ? new VectorGemm(parallel) : null;
        this.vectorOps = this.vectors && VectorOps.supported();
    }

    @Override
    public String name() {
        return "cpu";
    }

    /** Bytes held by storages of this backend that are not closed yet. */
    public long bytesInUse() {
        return 4 * liveFloats.get();
    }

    /** The most bytes open storages held at once since the backend was made or the last reset. */
    public long peakBytesInUse() {
        return 4 * peakFloats.get();
    }

    /** Starts {@link #peakBytesInUse()} again from what is in use now. */
    public void resetPeakBytesInUse() {
        peakFloats.set(liveFloats.get());
    }

    /** Counts a storage of {@code floats} elements opened (positive) or closed (negative). */
    void countLive(long floats) {
        long now = liveFloats.addAndGet(floats);
        if (floats > 0) peakFloats.accumulateAndGet(now, Math::max);
    }

    /**
     * For example "cpu backend (float32, 2 threads, AVX-512 vectors)", or, without the Vector API, "cpu backend
     * (float32, 2 threads, scalar fallback: run with --add-modules jdk.incubator.vector)".
     */
    @Override
    public String describe() {
        int t = parallel.threads();
        return "cpu backend (float32, " + t + (t == 1 ? " thread, " : " threads, ")
                + (vectors ? VectorPath.describeVectors() : VectorPath.HINT) + ")";
    }

    /** Whether the primitives run on the Vector API kernels rather than the scalar ones. */
    public boolean usesVectors() {
        return vectors;
    }

    /** Number of threads primitives run on. */
    public int threads() {
        return parallel.threads();
    }

    // ---- storage access ----

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("cpu backend used after close()");
    }

    /** A storage of this backend; rejects foreign and closed storages. */
    private CpuStorage own(Storage s) {
        ensureOpen();
        if (s == null) throw new NullPointerException("storage is null");
        if (!(s instanceof CpuStorage) || ((CpuStorage) s).owner() != this) {
            throw new IllegalArgumentException("storage belongs to the '" + s.backend().name()
                    + "' backend instance " + s.backend() + ", not to this cpu backend");
        }
        return (CpuStorage) s;
    }

    /** The array behind a storage, for reading or accumulating: contents pending zero are zeroed first. */
    private float[] data(Storage s) {
        CpuStorage cs = own(s);
        float[] d = cs.data();
        if (cs.pendingZero()) {
            parallel.forRange(d.length, GRAIN, (from, to) -> Arrays.fill(d, from, to, 0f));
            cs.clearPendingZero();
        }
        return d;
    }

    /**
     * The array behind a storage that the caller is about to overwrite in its first {@code written} elements:
     * when that is all of it, contents pending zero need no zeroing. Inputs must be fetched (with
     * {@link #data}) before outputs, since an output may be one of the inputs.
     */
    private float[] output(Storage s, long written) {
        CpuStorage cs = own(s);
        if (written < cs.size()) return data(s);
        cs.clearPendingZero();
        return cs.data();
    }

    /**
     * Whether a storage's contents are zeros not written yet, so that a primitive about to add into all of it
     * may write over it instead (it must then take the array with {@link #output}). Fetch the inputs first: an
     * input fetched with {@link #data} is zeroed for real, and an output that is one of them is then not fresh.
     */
    private boolean freshZeros(Storage s) {
        return own(s).pendingZero();
    }

    /** As {@link #data}, with null (a gradient nobody wants) passed through. */
    private float[] dataOrNull(Storage s) {
        return s == null ? null : data(s);
    }

    private static int length(long n) {
        if (n < 0 || n > MAX_SIZE) throw new IllegalArgumentException("size out of range for a cpu storage: " + n);
        return (int) n;
    }

    // ---- memory ----

    /**
     * {@inheritDoc}
     *
     * <p>Large sizes reuse the array of a closed storage when one of that size is pooled; its zeros are then
     * written lazily (see {@link CpuStorage}).
     */
    @Override
    public Storage allocate(long size) {
        ensureOpen();
        float[] pooled = pool.take(length(size));
        if (pooled != null) return new CpuStorage(this, pooled, true);
        return new CpuStorage(this, new float[length(size)]);
    }

    @Override
    public Storage upload(float[] data) {
        ensureOpen();
        float[] pooled = pool.take(data.length);
        if (pooled == null) return new CpuStorage(this, data.clone());
        System.arraycopy(data, 0, pooled, 0, data.length);
        return new CpuStorage(this, pooled);
    }

    /** Takes back the array of a closed storage. */
    void recycle(float[] array) {
        if (!closed) pool.give(array, liveFloats.get());
    }

    /** Bytes held for reuse by closed storages (see {@link ArrayPool}). */
    public long bytesPooled() {
        return 4 * pool.retainedFloats();
    }

    @Override
    public Storage uploadDoubles(double[] data) {
        ensureOpen();
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) data[i];
        return new CpuStorage(this, f);
    }

    @Override
    public float[] download(Storage storage) {
        return data(storage).clone();
    }

    @Override
    public double[] downloadDoubles(Storage storage) {
        float[] f = data(storage);
        double[] d = new double[f.length];
        for (int i = 0; i < d.length; i++) d[i] = f[i];
        return d;
    }

    @Override
    public void copy(Storage src, long srcOffset, Storage dst, long dstOffset, long count) {
        // arraycopy copies as if through a temporary, so overlapping ranges of one storage are fine.
        float[] s = data(src);
        float[] d = dstOffset == 0 ? output(dst, count) : data(dst);
        System.arraycopy(s, length(srcOffset), d, length(dstOffset), length(count));
    }

    @Override
    public void fill(Storage dst, double value) {
        float[] d = output(dst, dst.size());
        parallel.forRange(d.length, GRAIN, (from, to) -> Arrays.fill(d, from, to, (float) value));
    }

    @Override
    public void synchronize() {
        ensureOpen();   // every primitive has finished when it returns
    }

    // ---- element-wise ----

    @Override
    public void unary(UnaryOp op, double param, Storage x, Storage y, long n) {
        float[] xs = data(x);
        float[] ys = output(y, n);
        if (vectorOps && vectorUnary(op, param, xs, ys, length(n))) return;
        parallel.forRange(length(n), GRAIN, (from, to) -> {
            switch (op) {
                case RELU:
                    // Math.max keeps NaN, as torch.relu does.
                    for (int i = from; i < to; i++) ys[i] = Math.max(xs[i], 0f);
                    break;
                case LEAKY_RELU:
                    for (int i = from; i < to; i++) ys[i] = xs[i] > 0 ? xs[i] : (float) (param * xs[i]);
                    break;
                case TANH:
                    for (int i = from; i < to; i++) ys[i] = (float) Math.tanh(xs[i]);
                    break;
                case SIGMOID:
                    for (int i = from; i < to; i++) ys[i] = (float) sigmoid(xs[i]);
                    break;
                case SCALE:
                    for (int i = from; i < to; i++) ys[i] = (float) (param * xs[i]);
                    break;
                case ADD_SCALAR:
                    for (int i = from; i < to; i++) ys[i] = (float) (xs[i] + param);
                    break;
                case RSQRT:
                    for (int i = from; i < to; i++) ys[i] = (float) (1 / Math.sqrt(xs[i] + param));
                    break;
                default:
                    throw new IllegalArgumentException("unknown unary op " + op);
            }
        });
    }

    @Override
    public void unaryBackward(UnaryOp op, double param, Storage x, Storage y, Storage gy, Storage gx, long n) {
        if (gx == null) return;
        float[] gxs = data(gx);
        float[] gys = data(gy);
        // RELU and LEAKY_RELU read x; TANH, SIGMOID and RSQRT read y; the affine ops read neither (both may be null).
        float[] xs = op == UnaryOp.RELU || op == UnaryOp.LEAKY_RELU ? data(x) : null;
        float[] ys = op == UnaryOp.TANH || op == UnaryOp.SIGMOID || op == UnaryOp.RSQRT ? data(y) : null;
        if (vectorOps && vectorUnaryBackward(op, param, xs, ys, gys, gxs, length(n))) return;
        parallel.forRange(length(n), GRAIN, (from, to) -> {
            switch (op) {
                case RELU:
                    for (int i = from; i < to; i++) if (xs[i] > 0) gxs[i] += gys[i];
                    break;
                case LEAKY_RELU:
                    for (int i = from; i < to; i++) {
                        gxs[i] = xs[i] > 0 ? gxs[i] + gys[i] : (float) (gxs[i] + param * gys[i]);
                    }
                    break;
                case TANH:
                    for (int i = from; i < to; i++) {
                        double t = ys[i];
                        gxs[i] = (float) (gxs[i] + (1 - t * t) * gys[i]);
                    }
                    break;
                case SIGMOID:
                    for (int i = from; i < to; i++) {
                        double s = ys[i];
                        gxs[i] = (float) (gxs[i] + s * (1 - s) * gys[i]);
                    }
                    break;
                case SCALE:
                    for (int i = from; i < to; i++) gxs[i] = (float) (gxs[i] + param * gys[i]);
                    break;
                case ADD_SCALAR:
                    for (int i = from; i < to; i++) gxs[i] += gys[i];
                    break;
                case RSQRT:
                    for (int i = from; i < to; i++) {
                        double r = ys[i];
                        gxs[i] = (float) (gxs[i] - 0.5 * r * r * r * gys[i]);
                    }
                    break;
                default:
                    throw new IllegalArgumentException("unknown unary op " + op);
            }
        });
    }

    /**
     * The vector loop of {@link #unary}, one lambda per op so that C2 compiles each loop on its own (see
     * VectorOps); false for the ops without one, which run scalar: sigmoid; rsqrt, which spectral norm applies to
     * a handful of elements; and tanh, whose lanewise TANH and float-double conversions JDK 17 compiled to code
     * that boxed every vector in some runs (hundreds of MiB per SRGAN step; the scalar loops allocate nothing and
     * cost about a millisecond on the generator's output).
     */
    private boolean vectorUnary(UnaryOp op, double param, float[] xs, float[] ys, int n) {
        switch (op) {
            case RELU: parallel.forRange(n, GRAIN, (from, to) -> VectorOps.relu(xs, ys, from, to)); return true;
            case LEAKY_RELU: parallel.forRange(n, GRAIN, (from, to) -> VectorOps.leakyRelu(param, xs, ys, from, to)); return true;
            case SCALE: parallel.forRange(n, GRAIN, (from, to) -> VectorOps.scale(param, xs, ys, from, to)); return true;
            case ADD_SCALAR: parallel.forRange(n, GRAIN, (from, to) -> VectorOps.addScalar(param, xs, ys, from, to)); return true;
            default: return false;
        }
    }

    /** The vector loop of {@link #unaryBackward}, as {@link #vectorUnary} (tanh's backward runs scalar too). */
    private boolean vectorUnaryBackward(UnaryOp op, double param, float[] xs, float[] ys, float[] gys, float[] gxs,
                                        int n) {
        switch (op) {
            case RELU: parallel.forRange(n, GRAIN, (from, to) -> VectorOps.reluBackward(xs, gys, gxs, from, to)); return true;
            case LEAKY_RELU: parallel.forRange(n, GRAIN, (from, to) -> VectorOps.leakyReluBackward(param, xs, gys, gxs, from, to)); return true;
            case SCALE: parallel.forRange(n, GRAIN, (from, to) -> VectorOps.scaleBackward(param, gys, gxs, from, to)); return true;
            case ADD_SCALAR: parallel.forRange(n, GRAIN, (from, to) -> VectorOps.addBackward(gys, gxs, from, to)); return true;
            default: return false;
        }
    }

    /** The logistic function without overflow: exp is only taken of a non-positive number. */
    private static double sigmoid(double x) {
        if (x >= 0) return 1 / (1 + Math.exp(-x));
        double e = Math.exp(x);
        return e / (1 + e);
    }

    @Override
    public void binary(BinaryOp op, Storage a, int[] aShape, Storage b, int[] bShape, Storage out, int[] outShape) {
        float[] as = data(a);
        float[] bs = data(b);
        long count = 1;
        for (int d : outShape) count *= d;
        broadcast.binary(op, as, aShape, bs, bShape, output(out, count), outShape);
    }

    @Override
    public void sumTo(Storage src, int[] srcShape, Storage dst, int[] dstShape, double scale) {
        broadcast.sumTo(data(src), srcShape, data(dst), dstShape, scale);
    }

    // ---- activations with parameters ----

    @Override
    public void prelu(Storage x, Storage alpha, int alphaCount, Storage y, int n, int c, int hw) {
        float[] xs = data(x);
        float[] as = data(alpha);
        float[] ys = output(y, (long) n * c * hw);
        parallel.forRange(n * c, Math.max(1, GRAIN / hw), (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                float a = as[alphaCount == 1 ? 0 : plane % c];
                int base = plane * hw;
                if (vectorOps) {
                    VectorOps.prelu(xs, ys, base, base + hw, a);
                    continue;
                }
                for (int i = base; i < base + hw; i++) ys[i] = xs[i] > 0 ? xs[i] : a * xs[i];
            }
        });
    }

    @Override
    public void preluBackward(Storage x, Storage alpha, int alphaCount, Storage gy, Storage gx, Storage gAlpha,
                              int n, int c, int hw) {
        if (gx == null && gAlpha == null) return;
        float[] xs = data(x);
        float[] as = data(alpha);
        float[] gys = data(gy);
        float[] gas = dataOrNull(gAlpha);
        // A gradient buffer fresh from the pool (the usual case) stands for zeros: written over instead of zeroed
        // and then added to, with the same values, since 0 + a * gy rounds as the float product a * gy does.
        boolean fromZero = gx != null && freshZeros(gx);
        float[] gxs = gx == null ? null : fromZero ? output(gx, gx.size()) : data(gx);
        // One item per channel: it owns gx over its planes and its channel's share of the alpha gradient,
        // summed over images in order, so the sum needs no cross-thread combining.
        double[] channelSum = new double[c];
        int perItem = Math.max(1, GRAIN / (n * hw));
        if (vectorOps) {
            // The alpha gradient, then gx: two passes, one vector loop each (see batchNormTrain).
            parallel.forRange(c, perItem, (from, to) -> {
                for (int ch = from; ch < to; ch++) {
                    double s = 0;
                    for (int img = 0; img < n; img++) {
                        int base = (img * c + ch) * hw;
                        s += VectorOps.negativeProducts(xs, base, gys, base, hw);
                    }
                    channelSum[ch] = s;
                }
            });
            if (gxs != null) {
                parallel.forRange(c, perItem, (from, to) -> {
                    for (int ch = from; ch < to; ch++) {
                        float a = as[alphaCount == 1 ? 0 : ch];
                        for (int img = 0; img < n; img++) {
                            int base = (img * c + ch) * hw;
                            if (fromZero) {
                                VectorOps.preluBackwardFromZero(xs, base, gys, base, gxs, base, hw, a);
                            } else {
                                VectorOps.preluBackward(xs, gys, gxs, base, base + hw, a);
                            }
                        }
                    }
                });
            }
        } else {
            parallel.forRange(c, perItem, (from, to) -> {
                for (int ch = from; ch < to; ch++) {
                    float a = as[alphaCount == 1 ? 0 : ch];
                    double s = 0;
                    for (int img = 0; img < n; img++) {
                        int base = (img * c + ch) * hw;
                        for (int i = base; i < base + hw; i++) {
                            float v = xs[i];
                            if (v > 0) {
                                if (gxs != null) gxs[i] = fromZero ? gys[i] : gxs[i] + gys[i];
                            } else {
                                if (gxs != null) {
                                    gxs[i] = fromZero ? a * gys[i] : (float) (gxs[i] + (double) a * gys[i]);
                                }
                                s += (double) v * gys[i];
                            }
                        }
                    }
                    channelSum[ch] = s;
                }
            });
        }
        if (gas != null) addSlopeGradient(gas, alphaCount, channelSum);
    }

    /**
     * PReLU's slope gradient from per-channel sums: their total into a shared slope (summed in channel order),
     * or each into its channel's slope.
     */
    private static void addSlopeGradient(float[] gAlpha, int alphaCount, double[] channelSum) {
        if (alphaCount == 1) {
            double s = 0;
            for (double v : channelSum) s += v;
            gAlpha[0] = (float) (gAlpha[0] + s);
        } else {
            for (int ch = 0; ch < channelSum.length; ch++) gAlpha[ch] = (float) (gAlpha[ch] + channelSum[ch]);
        }
    }

    // ---- convolution ----

    @Override
    public void conv2d(ConvGeometry g, Storage x, Storage w, Storage bias, Storage y) {
        float[] xs = data(x);
        float[] ws = data(w);
        float[] bs = dataOrNull(bias);
        conv.forward(g, xs, ws, bs, output(y, g.outputSize()));
    }

    @Override
    public void conv2dBackwardData(ConvGeometry g, Storage w, Storage gy, Storage gx) {
        if (gx == null) return;
        float[] ws = data(w);
        float[] gys = data(gy);
        // A gradient buffer fresh from the pool is written over rather than zeroed and added to (same values),
        // where the kernel writes all of it.
        CpuStorage out = own(gx);
        if (out.pendingZero() && conv.backwardDataFromZero(g, ws, gys, out.data())) {
            out.clearPendingZero();
            return;
        }
        conv.backwardData(g, ws, gys, data(gx));
    }

    @Override
    public void conv2dBackwardWeight(ConvGeometry g, Storage x, Storage gy, Storage gw) {
        if (gw == null) return;
        conv.backwardWeight(g, data(x), data(gy), data(gw));
    }

    // ---- batch normalisation ----

    @Override
    public void batchNormTrain(Storage x, Storage gamma, Storage beta, Storage runMean, Storage runVar,
                               double momentum, double eps, Storage y, Storage saveMean, Storage saveInvStd,
                               int n, int c, int hw) {
        float[] xs = data(x);
        float[] gs = data(gamma);
        float[] bs = data(beta);
        double[][] stats = trainingStatistics(xs, runMean, runVar, momentum, eps, saveMean, saveInvStd, n, c, hw);
        float[] ys = output(y, (long) n * c * hw);
        parallel.forRange(c, Math.max(1, (int) (GRAIN / ((long) n * hw))), (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                normalise(xs, ys, n, c, hw, ch, stats[0][ch], stats[1][ch], gs[ch], bs[ch], vectorOps);
            }
        });
    }

    /**
     * The batch statistics of training mode, per channel: mean and 1 / sqrt(var + eps) (returned, in double, and
     * written to the saved statistics) and the running statistics' update. Two passes in double: the one-pass
     * E[x^2] - E[x]^2 cancels badly when |mean| >> std.
     */
    private double[][] trainingStatistics(float[] xs, Storage runMean, Storage runVar, double momentum, double eps,
                                          Storage saveMean, Storage saveInvStd, int n, int c, int hw) {
        long m = (long) n * hw;
        if (m < 2) {
            // The unbiased running variance divides by m - 1; PyTorch refuses this case the same way.
            throw new IllegalArgumentException("batch norm in training mode needs more than one value per channel,"
                    + " got N*H*W = " + m);
        }
        float[] rm = data(runMean);
        float[] rv = data(runVar);
        float[] sm = output(saveMean, c);
        float[] si = output(saveInvStd, c);
        double[] means = new double[c];
        double[] scales = new double[c];
        // Statistics, then the normalisation, as two parallel passes: one vector loop per pass keeps each
        // pass's compiled code within C2's inlining budget (see MicroKernels).
        parallel.forRange(c, Math.max(1, (int) (GRAIN / m)), (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double sum = 0;
                for (int img = 0; img < n; img++) {
                    int base = (img * c + ch) * hw;
                    if (vectorOps) {
                        sum += VectorOps.sum(xs, base, base + hw);
                        continue;
                    }
                    for (int i = base; i < base + hw; i++) sum += xs[i];
                }
                double mean = sum / m;
                double sq = 0;
                for (int img = 0; img < n; img++) {
                    int base = (img * c + ch) * hw;
                    if (vectorOps) {
                        sq += VectorOps.squaredDeviations(xs, base, base + hw, mean);
                        continue;
                    }
                    for (int i = base; i < base + hw; i++) {
                        double d = xs[i] - mean;
                        sq += d * d;
                    }
                }
                double var = sq / m;
                double invStd = 1 / Math.sqrt(var + eps);
                means[ch] = mean;
                scales[ch] = invStd;
                sm[ch] = (float) mean;
                si[ch] = (float) invStd;
                rm[ch] = (float) ((1 - momentum) * rm[ch] + momentum * mean);
                rv[ch] = (float) ((1 - momentum) * rv[ch] + momentum * var * m / (m - 1));
            }
        });
        return new double[][]{means, scales};
    }

    @Override
    public void batchNormEval(Storage x, Storage gamma, Storage beta, Storage runMean, Storage runVar, double eps,
                              Storage y, Storage saveMean, Storage saveInvStd, int n, int c, int hw) {
        float[] xs = data(x);
        float[] gs = data(gamma);
        float[] bs = data(beta);
        float[] rm = data(runMean);
        float[] rv = data(runVar);
        float[] ys = output(y, (long) n * c * hw);
        float[] sm = output(saveMean, c);
        float[] si = output(saveInvStd, c);
        parallel.forRange(c, Math.max(1, GRAIN / Math.max(1, n * hw)), (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double invStd = 1 / Math.sqrt(rv[ch] + eps);
                normalise(xs, ys, n, c, hw, ch, rm[ch], invStd, gs[ch], bs[ch], vectorOps);
                sm[ch] = rm[ch];
                si[ch] = (float) invStd;
            }
        });
    }

    /** {@code y = (x - mean) * invStd * gamma + beta} over one channel, in double. */
    private static void normalise(float[] xs, float[] ys, int n, int c, int hw, int ch, double mean, double invStd,
                                  double gamma, double beta, boolean vectorOps) {
        double scale = invStd * gamma;
        for (int img = 0; img < n; img++) {
            int base = (img * c + ch) * hw;
            if (vectorOps) {
                VectorOps.normalise(xs, base, ys, base, hw, mean, scale, beta);
                continue;
            }
            for (int i = base; i < base + hw; i++) ys[i] = (float) ((xs[i] - mean) * scale + beta);
        }
    }

    @Override
    public void batchNormBackward(boolean training, Storage x, Storage gamma, Storage saveMean, Storage saveInvStd,
                                  Storage gy, Storage gx, Storage gGamma, Storage gBeta, int n, int c, int hw) {
        if (gx == null && gGamma == null && gBeta == null) return;
        float[] xs = data(x);
        float[] gs = data(gamma);
        float[] sm = data(saveMean);
        float[] si = data(saveInvStd);
        float[] gys = data(gy);
        float[] gxs = dataOrNull(gx);
        float[] ggs = dataOrNull(gGamma);
        float[] gbs = dataOrNull(gBeta);
        long m = (long) n * hw;
        boolean needSums = ggs != null || gbs != null || (training && gxs != null);
        double[] sumGy = new double[c];
        double[] sumGyXhat = new double[c];
        int perItem = Math.max(1, (int) (GRAIN / Math.max(1, m)));
        // The sums, then gx, as two parallel passes (one vector loop each, as in batchNormTrain).
        if (needSums) {
            parallel.forRange(c, perItem, (from, to) -> {
                double[] sums = new double[2];
                for (int ch = from; ch < to; ch++) {
                    double mean = sm[ch];
                    double invStd = si[ch];
                    sums[0] = 0;
                    sums[1] = 0;
                    for (int img = 0; img < n; img++) {
                        int base = (img * c + ch) * hw;
                        if (vectorOps) {
                            VectorOps.gradientSums(xs, base, gys, base, hw, mean, invStd, sums);
                            continue;
                        }
                        for (int i = base; i < base + hw; i++) {
                            double g = gys[i];
                            sums[0] += g;
                            sums[1] += g * (xs[i] - mean) * invStd;
                        }
                    }
                    sumGy[ch] = sums[0];
                    sumGyXhat[ch] = sums[1];
                    if (gbs != null) gbs[ch] = (float) (gbs[ch] + sums[0]);
                    if (ggs != null) ggs[ch] = (float) (ggs[ch] + sums[1]);
                }
            });
        }
        if (gxs == null) return;
        batchNormInputGradient(training, xs, gs, sm, si, gys, gxs, sumGy, sumGyXhat, n, c, hw);
    }

    /**
     * Batch norm's gx from gy and the per-channel sums of gy and gy * xhat, added to gx; in training mode x also
     * moves the batch mean and variance (see below), in eval mode only the scale applies.
     */
    private void batchNormInputGradient(boolean training, float[] xs, float[] gs, float[] sm, float[] si,
                                        float[] gys, float[] gxs, double[] sumGy, double[] sumGyXhat, int n,
                                        int c, int hw) {
        long m = (long) n * hw;
        int perItem = Math.max(1, (int) (GRAIN / Math.max(1, m)));
        parallel.forRange(c, perItem, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double mean = sm[ch];
                double invStd = si[ch];
                double k = gs[ch] * invStd;
                // Training: x also moves the batch mean and variance, which subtracts the gradient's mean and
                // its projection on xhat: gx = gamma * invStd * (gy - mean(gy) - xhat * mean(gy * xhat)).
                double meanGy = training ? sumGy[ch] / m : 0;
                double meanGyXhat = training ? sumGyXhat[ch] / m : 0;
                for (int img = 0; img < n; img++) {
                    int base = (img * c + ch) * hw;
                    if (vectorOps) {
                        VectorOps.batchNormGx(xs, base, gys, base, gxs, base, hw, mean, invStd, k, meanGy, meanGyXhat);
                        continue;
                    }
                    for (int i = base; i < base + hw; i++) {
                        double xhat = (xs[i] - mean) * invStd;
                        gxs[i] = (float) (gxs[i] + k * (gys[i] - meanGy - xhat * meanGyXhat));
                    }
                }
            }
        });
    }

    /**
     * On the vector path; the scalar path composes the two. Measured against the composed primitives (a batch
     * norm and leaky ReLU alternating with the fused op in one JVM, 2 threads, ms forward + backward):
     * [16, 64, 48x48] 3.4 + 4.5 composed, 2.3 + 5.1 fused; [16, 128, 48x48] 5.9 + 11.2 against 3.8 + 11.8;
     * [16, 64, 24x24] 0.75 + 1.18 against 0.52 + 1.34. The forward gains a pass, the backward pays one to
     * recompute y; the memory of y is saved.
     */
    @Override
    public boolean fusesBatchNormPrelu() {
        return vectorOps;
    }

    @Override
    public void batchNormPreluTrain(Storage x, Storage gamma, Storage beta, Storage runMean, Storage runVar,
                                    double momentum, double eps, Storage alpha, int alphaCount, Storage z,
                                    Storage saveMean, Storage saveInvStd, int n, int c, int hw) {
        requireFused();
        float[] xs = data(x);
        float[] gs = data(gamma);
        float[] bs = data(beta);
        float[] as = data(alpha);
        double[][] stats = trainingStatistics(xs, runMean, runVar, momentum, eps, saveMean, saveInvStd, n, c, hw);
        float[] zs = output(z, (long) n * c * hw);
        parallel.forRange(c, Math.max(1, (int) (GRAIN / ((long) n * hw))), (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double scale = stats[1][ch] * gs[ch];
                float a = as[alphaCount == 1 ? 0 : ch];
                for (int img = 0; img < n; img++) {
                    int base = (img * c + ch) * hw;
                    VectorOps.normalisePrelu(xs, zs, base, base + hw, stats[0][ch], scale, bs[ch], a);
                }
            }
        });
    }

    /**
     * gy = dz/dy * gz into a temporary, y being recomputed from x a chunk at a time in L1, and from that chunk
     * of gy, still in L1, batch norm's two sums and PReLU's slope gradient; then gx from x and gy. Two passes
     * rather than batch norm's backward after the activation's (three). Recomputing gy in the second pass
     * instead of keeping it costs more than it saves (measured: 0.86-0.96x): the element-wise loops compute in
     * double, and on JDK 17 their conversions, not memory, bound them. Each step of a chunk is a loop of its own,
     * called from the lambda: C2 compiles a lambda that holds all five loops past its inlining budget, and the
     * vector operations it then fails to inline box every vector (measured: gigabytes of garbage, the backward
     * twice as slow).
     */
    @Override
    public void batchNormPreluBackward(Storage x, Storage gamma, Storage beta, Storage saveMean,
                                       Storage saveInvStd, Storage alpha, int alphaCount, Storage gz, Storage gx,
                                       Storage gGamma, Storage gBeta, Storage gAlpha, int n, int c, int hw) {
        requireFused();
        if (gx == null && gGamma == null && gBeta == null && gAlpha == null) return;
        float[] xs = data(x);
        float[] gs = data(gamma);
        float[] bs = data(beta);
        float[] sm = data(saveMean);
        float[] si = data(saveInvStd);
        float[] as = data(alpha);
        float[] gzs = data(gz);
        float[] gxs = dataOrNull(gx);
        float[] ggs = dataOrNull(gGamma);
        float[] gbs = dataOrNull(gBeta);
        float[] gas = dataOrNull(gAlpha);
        long m = (long) n * hw;
        int perItem = Math.max(1, (int) (GRAIN / m));
        double[] sumGy = new double[c];
        double[] sumGyXhat = new double[c];
        // PReLU's slope gradient, summed per channel over images and chunks in order.
        double[] alphaSum = gas == null ? null : new double[c];
        try (Storage gy = allocate(m * c)) {
            float[] gys = output(gy, gy.size());
            parallel.forRange(c, perItem, (from, to) -> {
                float[] y = preluScratch.get();
                double[] sums = new double[2];
                for (int ch = from; ch < to; ch++) {
                    double scale = si[ch] * gs[ch];
                    float a = as[alphaCount == 1 ? 0 : ch];
                    sums[0] = 0;
                    sums[1] = 0;
                    double s = 0;
                    for (int img = 0; img < n; img++) {
                        int base = (img * c + ch) * hw;
                        for (int off = 0; off < hw; off += PRELU_CHUNK) {
                            int at = base + off;
                            int len = Math.min(PRELU_CHUNK, hw - off);
                            VectorOps.normalise(xs, at, y, 0, len, sm[ch], scale, bs[ch]);
                            VectorOps.preluBackwardFromZero(y, 0, gzs, at, gys, at, len, a);
                            if (alphaSum != null) s += VectorOps.negativeProducts(y, 0, gzs, at, len);
                            VectorOps.gradientSums(xs, at, gys, at, len, sm[ch], si[ch], sums);
                        }
                    }
                    sumGy[ch] = sums[0];
                    sumGyXhat[ch] = sums[1];
                    if (gbs != null) gbs[ch] = (float) (gbs[ch] + sums[0]);
                    if (ggs != null) ggs[ch] = (float) (ggs[ch] + sums[1]);
                    if (alphaSum != null) alphaSum[ch] = s;
                }
            });
            if (gas != null) addSlopeGradient(gas, alphaCount, alphaSum);
            if (gxs != null) batchNormInputGradient(true, xs, gs, sm, si, gys, gxs, sumGy, sumGyXhat, n, c, hw);
        }
    }

    private void requireFused() {
        if (!vectorOps) throw new UnsupportedOperationException("the scalar path composes batch norm and PReLU");
    }

    // ---- layout ----

    @Override
    public void pixelShuffle(Storage x, Storage y, int n, int c, int h, int w, int r) {
        float[] xs = data(x);
        shuffle(xs, output(y, (long) n * c * h * w), n, c, h, w, r, false);
    }

    @Override
    public void pixelShuffleBackward(Storage gy, Storage gx, int n, int c, int h, int w, int r) {
        if (gx == null) return;
        shuffle(data(gy), data(gx), n, c, h, w, r, true);
    }

    /**
     * Row by row: output row {@code h * r + i} of plane k interleaves input rows h of the r channels
     * {@code k * r * r + i * r + j}, so every read (forward) or write (backward) walks one input row in order.
     * Forward: {@code y = x} permuted. Backward ({@code inverse}): the same index pairs with the roles swapped,
     * {@code gx += gy}.
     */
    private void shuffle(float[] xs, float[] ys, int n, int c, int h, int w, int r, boolean inverse) {
        int oc = c / (r * r);
        int ow = w * r;
        int plane = h * w;
        parallel.forRange(n * oc, Math.max(1, GRAIN / (plane * r * r)), (from, to) -> {
            for (int p = from; p < to; p++) {
                int img = p / oc;
                int k = p % oc;
                int yPlane = p * plane * r * r;
                for (int row = 0; row < h; row++) {
                    for (int i = 0; i < r; i++) {
                        int yRow = yPlane + (row * r + i) * ow;
                        for (int j = 0; j < r; j++) {
                            int xRow = ((img * c + k * r * r + i * r + j) * h + row) * w;
                            if (inverse) {
                                for (int v = 0; v < w; v++) ys[xRow + v] += xs[yRow + v * r + j];
                            } else {
                                for (int v = 0; v < w; v++) ys[yRow + v * r + j] = xs[xRow + v];
                            }
                        }
                    }
                }
            }
        });
    }

    @Override
    public void copyChannels(Storage src, int srcChannels, int srcOffset, Storage dst, int dstChannels, int dstOffset,
                             int count, int n, int hw, boolean accumulate) {
        float[] s = data(src);
        float[] d = data(dst);
        int block = count * hw;
        parallel.forRange(n, Math.max(1, GRAIN / Math.max(1, block)), (from, to) -> {
            for (int img = from; img < to; img++) {
                int sAt = (img * srcChannels + srcOffset) * hw;
                int dAt = (img * dstChannels + dstOffset) * hw;
                if (accumulate) {
                    for (int i = 0; i < block; i++) d[dAt + i] += s[sAt + i];
                } else {
                    System.arraycopy(s, sAt, d, dAt, block);
                }
            }
        });
    }

    // ---- pooling ----

    @Override
    public void maxPool2d(PoolGeometry g, Storage x, Storage y) {
        float[] xs = data(x);
        float[] ys = output(y, g.outputSize());
        int oh = g.outHeight();
        int ow = g.outWidth();
        int planeIn = g.inHeight() * g.inWidth();
        parallel.forRange(g.n() * g.channels(), Math.max(1, GRAIN / planeIn), (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int xBase = plane * planeIn;
                int yBase = plane * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        ys[yBase + oy * ow + ox] = xs[xBase + argMax(g, xs, xBase, oy, ox)];
                    }
                }
            }
        });
    }

    @Override
    public void maxPool2dBackward(PoolGeometry g, Storage x, Storage gy, Storage gx) {
        if (gx == null) return;
        float[] xs = data(x);
        float[] gys = data(gy);
        float[] gxs = data(gx);
        int oh = g.outHeight();
        int ow = g.outWidth();
        int planeIn = g.inHeight() * g.inWidth();
        // One plane per item: overlapping windows (stride < kernel) add into the same gx elements, and only
        // the plane's owner touches them.
        parallel.forRange(g.n() * g.channels(), Math.max(1, GRAIN / planeIn), (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int xBase = plane * planeIn;
                int yBase = plane * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        gxs[xBase + argMax(g, xs, xBase, oy, ox)] += gys[yBase + oy * ow + ox];
                    }
                }
            }
        });
    }

    /**
     * Offset within the plane of the window's maximum, as PyTorch's CPU kernel picks it: start at the first
     * in-bounds position with -inf (padding never wins), take strictly greater values in row-major order (so
     * ties go to the first), and let NaN win.
     */
    private static int argMax(PoolGeometry g, float[] xs, int xBase, int oy, int ox) {
        int w = g.inWidth();
        int y0 = oy * g.stride() - g.padding();
        int x0 = ox * g.stride() - g.padding();
        int y1 = Math.min(g.inHeight(), y0 + g.kernel());
        int x1 = Math.min(w, x0 + g.kernel());
        y0 = Math.max(0, y0);
        x0 = Math.max(0, x0);
        int best = y0 * w + x0;
        float max = Float.NEGATIVE_INFINITY;
        for (int iy = y0; iy < y1; iy++) {
            for (int ix = x0; ix < x1; ix++) {
                float v = xs[xBase + iy * w + ix];
                if (v > max || Float.isNaN(v)) {
                    max = v;
                    best = iy * w + ix;
                }
            }
        }
        return best;
    }

    // ---- dense ----

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, Storage a, Storage b,
                     double beta, Storage c) {
        float[] as = data(a);
        float[] bs = data(b);
        // beta = 0: C is written, never read.
        float[] cs = beta == 0 ? output(c, (long) m * n) : data(c);
        if (vectorGemm != null) {
            vectorGemm.gemm(transA, transB, m, n, k, (float) alpha, as, bs, (float) beta, cs);
        } else {
            Gemm.gemm(parallel, transA, transB, m, n, k, (float) alpha, as, bs, (float) beta, cs);
        }
    }

    // ---- losses ----

    @Override
    public void loss(LossKind kind, Storage input, Storage target, long n, Storage out) {
        float[] xs = data(input);
        float[] ts = data(target);
        float[] o = output(out, 1);
        int count = length(n);
        int chunks = (int) Parallel.ceilDiv(count, REDUCE_CHUNK);
        double[] partial = new double[chunks];
        parallel.forEach(chunks, chunk -> {
            int from = chunk * REDUCE_CHUNK;
            int to = Math.min(count, from + REDUCE_CHUNK);
            double s = 0;
            switch (kind) {
                case MSE:
                    for (int i = from; i < to; i++) {
                        double d = (double) xs[i] - ts[i];
                        s += d * d;
                    }
                    break;
                case L1:
                    for (int i = from; i < to; i++) s += Math.abs((double) xs[i] - ts[i]);
                    break;
                case BCE_WITH_LOGITS:
                    for (int i = from; i < to; i++) {
                        double v = xs[i];
                        s += Math.max(v, 0) - v * ts[i] + Math.log1p(Math.exp(-Math.abs(v)));
                    }
                    break;
                default:
                    throw new IllegalArgumentException("unknown loss " + kind);
            }
            partial[chunk] = s;
        });
        double total = 0;
        for (double p : partial) total += p;
        o[0] = (float) (total / count);   // n = 0 gives NaN, as PyTorch's mean of nothing
    }

    @Override
    public void lossBackward(LossKind kind, Storage input, Storage target, long n, Storage gOut, Storage gInput,
                             Storage gTarget) {
        if (gInput == null && gTarget == null) return;
        float[] xs = data(input);
        float[] ts = data(target);
        float[] gi = dataOrNull(gInput);
        float[] gt = dataOrNull(gTarget);
        int count = length(n);
        double g = data(gOut)[0] / (double) count;
        parallel.forRange(count, GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                double x = xs[i];
                double t = ts[i];
                double dx;
                double dt;
                switch (kind) {
                    case MSE:
                        dx = 2 * (x - t) * g;
                        dt = -dx;
                        break;
                    case L1:
                        dx = Math.signum(x - t) * g;   // signum(0) = 0, PyTorch's gradient of |0|
                        dt = -dx;
                        break;
                    case BCE_WITH_LOGITS:
                        dx = (sigmoid(x) - t) * g;
                        dt = -x * g;
                        break;
                    default:
                        throw new IllegalArgumentException("unknown loss " + kind);
                }
                // Separate read-modify-writes, so gInput and gTarget may even be the same storage.
                if (gi != null) gi[i] = (float) (gi[i] + dx);
                if (gt != null) gt[i] = (float) (gt[i] + dt);
            }
        });
    }

    // ---- optimiser ----

    /**
     * {@inheritDoc}
     *
     * <p>A null gradient skips its parameter, as {@code torch.optim.Adam} skips parameters whose grad is None.
     */
    @Override
    public void adamStep(List<Storage> params, List<Storage> grads, List<Storage> m, List<Storage> v,
                         AdamHyper hyper) {
        int count = params.size();
        if (grads.size() != count || m.size() != count || v.size() != count) {
            throw new IllegalArgumentException("adamStep needs parallel lists, got " + count + " params, "
                    + grads.size() + " grads, " + m.size() + " first and " + v.size() + " second moments");
        }
        List<float[][]> tensors = new ArrayList<>();
        List<int[]> chunks = new ArrayList<>();   // {tensor, from, to}
        for (int t = 0; t < count; t++) {
            if (grads.get(t) == null) continue;
            float[][] quad = {data(params.get(t)), data(grads.get(t)), data(m.get(t)), data(v.get(t))};
            int index = tensors.size();
            tensors.add(quad);
            int size = quad[0].length;
            for (int from = 0; from < size; from += GRAIN) chunks.add(new int[]{index, from, Math.min(size, from + GRAIN)});
        }
        double beta1 = hyper.beta1();
        double beta2 = hyper.beta2();
        double eps = hyper.eps();
        double decay = hyper.weightDecay();
        double stepSize = hyper.lr() / hyper.biasCorrection1();
        double bc2Sqrt = Math.sqrt(hyper.biasCorrection2());
        if (vectorOps) {
            // Three vector loops (the two moments, then the parameters) over blocks small enough to stay in L1,
            // so the step reads and writes memory once. They are called through one interface from three
            // classes: C2 then compiles each loop on its own rather than inlining all three into this loop,
            // which would exceed its inlining budget (see MicroKernels).
            AdamPass[] passes = {
                (q, from, to) -> VectorOps.adamMoment(q[0], q[1], q[2], from, to, beta1, decay, false),
                (q, from, to) -> VectorOps.adamMoment(q[0], q[1], q[3], from, to, beta2, decay, true),
                (q, from, to) -> VectorOps.adamUpdate(q[0], q[2], q[3], from, to, eps, stepSize, bc2Sqrt),
            };
            parallel.forEach(chunks.size(), item -> {
                int[] chunk = chunks.get(item);
                float[][] quad = tensors.get(chunk[0]);
                for (int from = chunk[1]; from < chunk[2]; from += ADAM_BLOCK) {
                    int to = Math.min(chunk[2], from + ADAM_BLOCK);
                    for (AdamPass pass : passes) pass.run(quad, from, to);
                }
            });
            return;
        }
        parallel.forEach(chunks.size(), item -> {
            int[] chunk = chunks.get(item);
            float[][] quad = tensors.get(chunk[0]);
            float[] p = quad[0];
            float[] grad = quad[1];
            float[] m1 = quad[2];
            float[] m2 = quad[3];
            for (int i = chunk[1]; i < chunk[2]; i++) {
                // PyTorch adds weight decay only when it is non-zero (0 * inf would be NaN).
                double g = decay != 0 ? grad[i] + decay * p[i] : grad[i];
                m1[i] = (float) (beta1 * m1[i] + (1 - beta1) * g);
                m2[i] = (float) (beta2 * m2[i] + (1 - beta2) * g * g);
                // The update reads the stored (float) moments, so state and step agree exactly.
                p[i] = (float) (p[i] - stepSize * m1[i] / (Math.sqrt(m2[i]) / bc2Sqrt + eps));
            }
        });
    }

    /** One loop of a blocked Adam step over {@code [from, to)} of the quadruple (param, grad, m, v). */
    @FunctionalInterface
    private interface AdamPass {
        void run(float[][] quad, int from, int to);
    }

    /** Stops the worker threads. Idempotent; the backend and its storages are unusable afterwards. */
    @Override
    public void close() {
        closed = true;
        parallel.close();
        pool.clear();
    }

    @Override
    public String toString() {
        return describe();
    }
}
