package srgan.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import srgan.engine.backend.AdamHyper;
import srgan.engine.backend.Backend;
import srgan.engine.backend.BinaryOp;
import srgan.engine.backend.ConvGeometry;
import srgan.engine.backend.LossKind;
import srgan.engine.backend.PoolGeometry;
import srgan.engine.backend.Storage;
import srgan.engine.backend.UnaryOp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

/**
 * The CUDA backend: float32 device memory from a caching allocator, every primitive queued asynchronously on
 * one stream, and only {@link #download} and {@link #synchronize} waiting for the device. Batch norm goes to
 * cuDNN when {@link CudaLibraries} loaded it (system property {@code srgan.cuda.libs=none} forces our own
 * kernels); convolution and GEMM go, per shape, to whichever of our kernels and cuDNN/cuBLAS measured fastest
 * the first time the shape was seen, when {@code srgan.cuda.autotune=true} ({@link ConvAutotuner},
 * {@link GemmAutotuner}); otherwise the libraries, when loaded, serve every shape, else our implicit-GEMM
 * kernels. Autotuning, and with it our direct and parity-class convolution kernels, is off by default: those
 * kernels pass the CPU emulator (EmulatedKernelsTest) but have not yet run on a GPU. Everything else runs on
 * our own kernels.
 *
 * <p>Other system properties: {@code srgan.cuda.cudnn.find=false} makes cuDNN's candidate its heuristic
 * choice instead of its benchmarked best; {@code srgan.cuda.autotune.verbose=true} prints every measurement;
 * {@code srgan.cuda.profile=true} times every primitive of every step ({@link StepProfiler}) and prints the
 * summary and the autotuner's choices on {@link #close}.
 */
public final class CudaBackend implements Backend {

    /** System property: {@code true} turns per-shape measurement of conv and GEMM on (off by default, see above). */
    public static final String AUTOTUNE_PROPERTY = "srgan.cuda.autotune";
    /** System property: {@code true} prints every autotuning measurement. */
    public static final String AUTOTUNE_VERBOSE_PROPERTY = "srgan.cuda.autotune.verbose";
    /** System property: {@code false} offers cuDNN's heuristic choice to the autotuner instead of its benchmark. */
    public static final String CUDNN_FIND_PROPERTY = "srgan.cuda.cudnn.find";

    /** Host staging for transfers, in chunks of at most this many bytes. */
    private static final int STAGING_BYTES = 32 << 20;

    private final CudaContext ctx;
    private final DeviceAllocator allocator;
    private final Services runtime = new Services();
    private final OwnKernels own;
    private final CudaLibraries libraries;
    private final ConvEngine conv;
    private final GemmEngine gemm;
    private final BatchNormEngine batchNorm;
    private final String description;
    private final ConvAutotuner convTuner;
    private final GemmAutotuner gemmTuner;
    /** Null unless srgan.cuda.profile=true. */
    private final StepProfiler profiler;
    /** Direct (native, unmoving) memory for transfers; the driver has consumed it when a copy call returns. */
    private ByteBuffer staging;
    private boolean closed;

    /** Opens device 0. */
    public CudaBackend() {
        this(0);
    }

    public CudaBackend(int device) {
        ctx = new CudaContext(device);
        try {
            allocator = new DeviceAllocator(ctx);
            own = new OwnKernels(runtime);
            OwnBatchNorm ownBatchNorm = new OwnBatchNorm(runtime);
            libraries = CudaLibraries.detect(ctx, ownBatchNorm);
            boolean autotune = Boolean.parseBoolean(System.getProperty(AUTOTUNE_PROPERTY, "false"));
            boolean verbose = Boolean.parseBoolean(System.getProperty(AUTOTUNE_VERBOSE_PROPERTY, "false"));
            boolean find = Boolean.parseBoolean(System.getProperty(CUDNN_FIND_PROPERTY, "true"));
            OwnConv ownConv = new OwnConv(runtime);
            CudnnRoute cudnn = (CudnnRoute) libraries.cudnnConv().orElse(null);
            if (autotune) {
                convTuner = new ConvAutotuner(ctx, runtime, ownConv, cudnn, find, verbose);
                conv = convTuner;
            } else {
                convTuner = null;
                conv = cudnn != null ? cudnn : ownConv;
            }
            GemmEngine ownGemm = new OwnGemm(runtime);
            GemmEngine cublas = libraries.cublasGemm().orElse(null);
            if (autotune && cublas != null) {
                gemmTuner = new GemmAutotuner(ctx, runtime, ownGemm, cublas, verbose);
                gemm = gemmTuner;
            } else {
                gemmTuner = null;
                gemm = cublas != null ? cublas : ownGemm;
            }
            batchNorm = libraries.cudnnBatchNorm().orElse(ownBatchNorm);
            profiler = Boolean.parseBoolean(System.getProperty(StepProfiler.PROPERTY, "false"))
                    ? new StepProfiler(ctx, this::tunings, Double.parseDouble(System.getProperty(
                            StepProfiler.SPIN_PROPERTY, "100")), System.err)
                    : null;
            description = String.format(Locale.ROOT, "cuda: %s (device %d, %.1f GiB), float32 | %s | %s",
                    ctx.deviceName(), device, ctx.totalMemory() / (double) (1L << 30), libraries.summary(),
                    autotune ? "autotune: on, conv and gemm per shape by measurement (" + (cudnn == null
                            ? "our kernels" : "our kernels vs cuDNN " + (find ? "benchmarked" : "heuristic"))
                            + (cublas == null ? "" : ", our SGEMM vs cuBLAS") + "; " + AUTOTUNE_PROPERTY
                            + "=false turns it off)"
                            : "autotune: off (" + AUTOTUNE_PROPERTY + "=true turns it on)");
        } catch (RuntimeException | Error e) {
            ctx.close();
            throw e;
        }
        System.err.println(description);
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String describe() {
        return description;
    }

    /** The context, for code that launches its own kernels or libraries on this backend's stream. */
    public CudaContext context() {
        return ctx;
    }

    public DeviceAllocator allocator() {
        return allocator;
    }

    /** Tuned (geometry or shape, pass) pairs so far; the profiler leaves steps in which this grows uncounted. */
    private int tunings() {
        return (convTuner == null ? 0 : convTuner.tunings()) + (gemmTuner == null ? 0 : gemmTuner.tunings());
    }

    /** The autotuner's choices so far, one line each (empty when autotuning is off). */
    public List<String> autotuneReport() {
        List<String> lines = new ArrayList<>();
        if (convTuner != null) lines.addAll(convTuner.report());
        if (gemmTuner != null) lines.addAll(gemmTuner.report());
        return lines;
    }

    /** The libraries that loaded; benchmarks reach cuDNN and cuBLAS through it. */
    CudaLibraries libraries() {
        return libraries;
    }

    /** The services our own kernel wrappers run on; tests build own engines on it to check them directly. */
    DeviceRuntime runtime() {
        return runtime;
    }

    private DeviceStorage dev(Storage s) {
        if (s == null) return null;
        if (!(s instanceof DeviceStorage) || s.backend() != this) {
            throw new IllegalArgumentException("storage " + s + " does not belong to this CUDA backend");
        }
        return (DeviceStorage) s;
    }

    private List<DeviceStorage> dev(List<Storage> list) {
        List<DeviceStorage> out = new ArrayList<>(list.size());
        for (Storage s : list) out.add(dev(s));
        return out;
    }

    // ---- memory ----

    @Override
    public Storage allocate(long size) {
        ctx.makeCurrent();
        int t = begin();
        Storage s = allocator.allocateZeroed(this, size);
        end(t, "allocate (zeroed)", size);
        return s;
    }

    @Override
    public Storage upload(float[] data) {
        ctx.makeCurrent();
        DeviceStorage s = allocator.allocate(this, data.length);
        synchronized (this) {
            for (int from = 0; from < data.length; ) {
                int count = Math.min(data.length - from, STAGING_BYTES / Float.BYTES);
                ByteBuffer b = staging(count * Float.BYTES);
                b.asFloatBuffer().put(data, from, count);
                cuMemcpyHtoDAsync(s.pointer(from), Pointer.to(b), (long) count * Float.BYTES, ctx.stream());
                from += count;
            }
        }
        return s;
    }

    @Override
    public Storage uploadDoubles(double[] data) {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) data[i];
        return upload(f);
    }

    @Override
    public float[] download(Storage storage) {
        ctx.makeCurrent();
        DeviceStorage s = dev(storage);
        long size = s.size();
        if (size > Integer.MAX_VALUE - 8) {
            throw new UnsupportedOperationException("cannot download " + size + " floats into one Java array");
        }
        float[] out = new float[(int) size];
        synchronized (this) {
            for (int from = 0; from < out.length; ) {
                int count = Math.min(out.length - from, STAGING_BYTES / Float.BYTES);
                ByteBuffer b = staging(count * Float.BYTES);
                cuMemcpyDtoHAsync(Pointer.to(b), s.pointer(from), (long) count * Float.BYTES, ctx.stream());
                cuStreamSynchronize(ctx.stream());
                b.asFloatBuffer().get(out, from, count);
                from += count;
            }
        }
        return out;
    }

    @Override
    public double[] downloadDoubles(Storage storage) {
        float[] f = download(storage);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** The staging buffer, at least {@code bytes} long, position 0, native byte order. Callers hold the lock. */
    private ByteBuffer staging(int bytes) {
        if (staging == null || staging.capacity() < bytes) {
            staging = ByteBuffer.allocateDirect(Math.max(bytes, 1 << 16)).order(ByteOrder.nativeOrder());
        }
        staging.clear();
        return staging;
    }

    @Override
    public void copy(Storage src, long srcOffset, Storage dst, long dstOffset, long count) {
        if (count <= 0) return;
        ctx.makeCurrent();
        DeviceStorage s = dev(src), d = dev(dst);
        if (s == d && srcOffset == dstOffset) return;
        int t = begin();
        copyQueued(s, srcOffset, d, dstOffset, count);
        end(t, "copy", count);
    }

    private void copyQueued(DeviceStorage s, long srcOffset, DeviceStorage d, long dstOffset, long count) {
        boolean overlap = s == d && srcOffset < dstOffset + count && dstOffset < srcOffset + count;
        if (overlap) { // cuMemcpy is undefined for overlapping ranges: go through a scratch buffer
            try (DeviceStorage tmp = allocator.allocate(this, count)) {
                cuMemcpyDtoDAsync(tmp.pointer(), s.pointer(srcOffset), count * Float.BYTES, ctx.stream());
                cuMemcpyDtoDAsync(d.pointer(dstOffset), tmp.pointer(), count * Float.BYTES, ctx.stream());
            }
            return;
        }
        cuMemcpyDtoDAsync(d.pointer(dstOffset), s.pointer(srcOffset), count * Float.BYTES, ctx.stream());
    }

    @Override
    public void fill(Storage dst, double value) {
        ctx.makeCurrent();
        DeviceStorage d = dev(dst);
        if (d.size() == 0) return;
        int t = begin();
        cuMemsetD32Async(d.pointer(), Float.floatToRawIntBits((float) value), d.size(), ctx.stream());
        end(t, "fill", d.size());
    }

    @Override
    public void synchronize() {
        if (profiler != null) profiler.synchronize();
        else ctx.synchronize();
    }

    // ---- profiling (srgan.cuda.profile=true) ----

    private int begin() {
        return profiler == null ? -1 : profiler.begin();
    }

    private void end(int handle, String label) {
        if (handle >= 0) profiler.end(handle, label);
    }

    private void end(int handle, String op, long n) {
        if (handle >= 0) profiler.end(handle, op + " n=" + n);
    }

    private static String shape(int[] s) {
        return java.util.Arrays.toString(s).replace(" ", "");
    }

    private void endConv(int handle, String pass, ConvGeometry g) {
        if (handle < 0) return;
        profiler.end(handle, String.format(Locale.ROOT, "conv %s %dx%dx%dx%d->%d k%dx%d s%d", pass, g.n(),
                g.inChannels(), g.inHeight(), g.inWidth(), g.outChannels(), g.kernelHeight(), g.kernelWidth(),
                g.stride()));
    }

    // ---- element-wise ----

    @Override
    public void unary(UnaryOp op, double param, Storage x, Storage y, long n) {
        int t = begin();
        own.unary(op, param, dev(x), dev(y), n);
        end(t, "unary " + op, n);
    }

    @Override
    public void unaryBackward(UnaryOp op, double param, Storage x, Storage y, Storage gy, Storage gx, long n) {
        int t = begin();
        own.unaryBackward(op, param, dev(x), dev(y), dev(gy), dev(gx), n);
        end(t, "unary backward " + op, n);
    }

    @Override
    public void binary(BinaryOp op, Storage a, int[] aShape, Storage b, int[] bShape, Storage out, int[] outShape) {
        int t = begin();
        own.binary(op, dev(a), aShape, dev(b), bShape, dev(out), outShape);
        if (t >= 0) end(t, "binary " + op + " " + shape(aShape) + "," + shape(bShape));
    }

    @Override
    public void sumTo(Storage src, int[] srcShape, Storage dst, int[] dstShape, double scale) {
        int t = begin();
        own.sumTo(dev(src), srcShape, dev(dst), dstShape, scale);
        if (t >= 0) end(t, "sumTo " + shape(srcShape) + "->" + shape(dstShape));
    }

    @Override
    public void prelu(Storage x, Storage alpha, int alphaCount, Storage y, int n, int c, int hw) {
        int t = begin();
        own.prelu(dev(x), dev(alpha), alphaCount, dev(y), n, c, hw);
        end(t, "prelu", (long) n * c * hw);
    }

    @Override
    public void preluBackward(Storage x, Storage alpha, int alphaCount, Storage gy, Storage gx, Storage gAlpha,
                              int n, int c, int hw) {
        int t = begin();
        own.preluBackward(dev(x), dev(alpha), alphaCount, dev(gy), dev(gx), dev(gAlpha), n, c, hw);
        end(t, "prelu backward", (long) n * c * hw);
    }

    // ---- convolution, batch norm, GEMM: libraries when loaded ----

    @Override
    public void conv2d(ConvGeometry g, Storage x, Storage w, Storage bias, Storage y) {
        int t = begin();
        conv.forward(g, dev(x), dev(w), dev(bias), dev(y));
        endConv(t, "fwd", g);
    }

    @Override
    public void conv2dBackwardData(ConvGeometry g, Storage w, Storage gy, Storage gx) {
        if (gx == null) return;
        int t = begin();
        conv.backwardData(g, dev(w), dev(gy), dev(gx));
        endConv(t, "bwd-data", g);
    }

    @Override
    public void conv2dBackwardWeight(ConvGeometry g, Storage x, Storage gy, Storage gw) {
        if (gw == null) return;
        int t = begin();
        conv.backwardWeight(g, dev(x), dev(gy), dev(gw));
        endConv(t, "bwd-weight", g);
    }

    @Override
    public void batchNormTrain(Storage x, Storage gamma, Storage beta, Storage runMean, Storage runVar,
                               double momentum, double eps, Storage y, Storage saveMean, Storage saveInvStd,
                               int n, int c, int hw) {
        int t = begin();
        batchNorm.train(dev(x), dev(gamma), dev(beta), dev(runMean), dev(runVar), momentum, eps, dev(y),
                dev(saveMean), dev(saveInvStd), n, c, hw);
        end(t, "batchNorm train c=" + c, (long) n * c * hw);
    }

    @Override
    public void batchNormEval(Storage x, Storage gamma, Storage beta, Storage runMean, Storage runVar, double eps,
                              Storage y, Storage saveMean, Storage saveInvStd, int n, int c, int hw) {
        int t = begin();
        batchNorm.eval(dev(x), dev(gamma), dev(beta), dev(runMean), dev(runVar), eps, dev(y), dev(saveMean),
                dev(saveInvStd), n, c, hw);
        end(t, "batchNorm eval c=" + c, (long) n * c * hw);
    }

    @Override
    public void batchNormBackward(boolean training, Storage x, Storage gamma, Storage saveMean, Storage saveInvStd,
                                  Storage gy, Storage gx, Storage gGamma, Storage gBeta, int n, int c, int hw) {
        int t = begin();
        batchNorm.backward(training, dev(x), dev(gamma), dev(saveMean), dev(saveInvStd), dev(gy), dev(gx),
                dev(gGamma), dev(gBeta), n, c, hw);
        end(t, "batchNorm backward c=" + c, (long) n * c * hw);
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, Storage a, Storage b,
                     double beta, Storage c) {
        int t = begin();
        gemm.gemm(transA, transB, m, n, k, alpha, dev(a), dev(b), beta, dev(c));
        if (t >= 0) end(t, "gemm " + (transA ? "T" : "N") + (transB ? "T" : "N") + " " + m + "x" + n + "x" + k);
    }

    // ---- layout, pooling, losses, optimiser ----

    @Override
    public void pixelShuffle(Storage x, Storage y, int n, int c, int h, int w, int r) {
        int t = begin();
        own.pixelShuffle(dev(x), dev(y), n, c, h, w, r, false);
        end(t, "pixelShuffle", (long) n * c * h * w);
    }

    @Override
    public void pixelShuffleBackward(Storage gy, Storage gx, int n, int c, int h, int w, int r) {
        if (gx == null) return;
        int t = begin();
        own.pixelShuffle(dev(gy), dev(gx), n, c, h, w, r, true);
        end(t, "pixelShuffle backward", (long) n * c * h * w);
    }

    @Override
    public void copyChannels(Storage src, int srcChannels, int srcOffset, Storage dst, int dstChannels,
                             int dstOffset, int count, int n, int hw, boolean accumulate) {
        int t = begin();
        own.copyChannels(dev(src), srcChannels, srcOffset, dev(dst), dstChannels, dstOffset, count, n, hw,
                accumulate);
        end(t, "copyChannels", (long) n * count * hw);
    }

    @Override
    public void maxPool2d(PoolGeometry g, Storage x, Storage y) {
        int t = begin();
        own.maxPool(g, dev(x), dev(y));
        end(t, "maxPool", g.inputSize());
    }

    @Override
    public void maxPool2dBackward(PoolGeometry g, Storage x, Storage gy, Storage gx) {
        int t = begin();
        own.maxPoolBackward(g, dev(x), dev(gy), dev(gx));
        end(t, "maxPool backward", g.inputSize());
    }

    @Override
    public void loss(LossKind kind, Storage input, Storage target, long n, Storage out) {
        int t = begin();
        own.loss(kind, dev(input), dev(target), n, dev(out));
        end(t, "loss " + kind, n);
    }

    @Override
    public void lossBackward(LossKind kind, Storage input, Storage target, long n, Storage gOut, Storage gInput,
                             Storage gTarget) {
        int t = begin();
        own.lossBackward(kind, dev(input), dev(target), n, dev(gOut), dev(gInput), dev(gTarget));
        end(t, "loss backward " + kind, n);
    }

    @Override
    public void adamStep(List<Storage> params, List<Storage> grads, List<Storage> m, List<Storage> v,
                         AdamHyper hyper) {
        int t = begin();
        own.adamStep(dev(params), dev(grads), dev(m), dev(v), hyper);
        end(t, "adamStep tensors=" + params.size());
    }

    /**
     * Waits for the stream, then releases, in reverse order of creation: our kernels' tables, the libraries'
     * handles, the cached device memory, the context. Storages still open stay allocated until the context
     * goes (the driver frees them with it).
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            ctx.synchronize();
            if (profiler != null) {
                profiler.report(System.err);
                for (String line : autotuneReport()) System.err.println("srgan.cuda autotune: " + line);
                profiler.close();
            }
            own.close();
            libraries.close();
            allocator.emptyCache();
        } finally {
            ctx.close();
        }
    }

    /** The device services our own kernel wrappers use. */
    private final class Services implements DeviceRuntime {
        @Override
        public void launch(String module, String kernel, int gx, int gy, int gz, int bx, int by, int bz,
                           int sharedBytes, Object... args) {
            ctx.launch(module, kernel, gx, gy, gz, bx, by, bz, sharedBytes, args);
        }

        @Override
        public int multiprocessorCount() {
            return ctx.multiprocessorCount();
        }

        @Override
        public DeviceStorage scratch(long floats) {
            ctx.makeCurrent();
            return allocator.allocate(CudaBackend.this, floats);
        }

        @Override
        public void uploadLongs(long[] host, DeviceStorage dst) {
            ctx.makeCurrent();
            synchronized (CudaBackend.this) {
                ByteBuffer b = staging(host.length * Long.BYTES);
                b.asLongBuffer().put(host);
                cuMemcpyHtoDAsync(dst.pointer(), Pointer.to(b), (long) host.length * Long.BYTES, ctx.stream());
            }
        }

        @Override
        public long address(DeviceStorage s) {
            return new Address(s.pointer()).value();
        }
    }

    /** Reads a device pointer's numeric value, which JCuda keeps protected. */
    private static final class Address extends CUdeviceptr {
        Address(CUdeviceptr p) {
            super(p);
        }

        long value() {
            return getNativePointer() + getByteOffset();
        }
    }
}
