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
 * one stream, and only {@link #download} and {@link #synchronize} waiting for the device. Convolution, GEMM
 * and batch norm go to cuDNN/cuBLAS when {@link CudaLibraries} loaded them (system property
 * {@code srgan.cuda.libs=none} forces our own kernels), everything else always runs on our own kernels.
 */
public final class CudaBackend implements Backend {

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
            conv = libraries.cudnnConv().orElseGet(() -> new OwnConv(runtime));
            gemm = libraries.cublasGemm().orElseGet(() -> new OwnGemm(runtime));
            batchNorm = libraries.cudnnBatchNorm().orElse(ownBatchNorm);
        } catch (RuntimeException | Error e) {
            ctx.close();
            throw e;
        }
        description = String.format(Locale.ROOT, "cuda: %s (device %d, %.1f GiB), float32 | %s", ctx.deviceName(),
                device, ctx.totalMemory() / (double) (1L << 30), libraries.summary());
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
        return allocator.allocateZeroed(this, size);
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
        cuMemsetD32Async(d.pointer(), Float.floatToRawIntBits((float) value), d.size(), ctx.stream());
    }

    @Override
    public void synchronize() {
        ctx.synchronize();
    }

    // ---- element-wise ----

    @Override
    public void unary(UnaryOp op, double param, Storage x, Storage y, long n) {
        own.unary(op, param, dev(x), dev(y), n);
    }

    @Override
    public void unaryBackward(UnaryOp op, double param, Storage x, Storage y, Storage gy, Storage gx, long n) {
        own.unaryBackward(op, param, dev(x), dev(y), dev(gy), dev(gx), n);
    }

    @Override
    public void binary(BinaryOp op, Storage a, int[] aShape, Storage b, int[] bShape, Storage out, int[] outShape) {
        own.binary(op, dev(a), aShape, dev(b), bShape, dev(out), outShape);
    }

    @Override
    public void sumTo(Storage src, int[] srcShape, Storage dst, int[] dstShape, double scale) {
        own.sumTo(dev(src), srcShape, dev(dst), dstShape, scale);
    }

    @Override
    public void prelu(Storage x, Storage alpha, int alphaCount, Storage y, int n, int c, int hw) {
        own.prelu(dev(x), dev(alpha), alphaCount, dev(y), n, c, hw);
    }

    @Override
    public void preluBackward(Storage x, Storage alpha, int alphaCount, Storage gy, Storage gx, Storage gAlpha,
                              int n, int c, int hw) {
        own.preluBackward(dev(x), dev(alpha), alphaCount, dev(gy), dev(gx), dev(gAlpha), n, c, hw);
    }

    // ---- convolution, batch norm, GEMM: libraries when loaded ----

    @Override
    public void conv2d(ConvGeometry g, Storage x, Storage w, Storage bias, Storage y) {
        conv.forward(g, dev(x), dev(w), dev(bias), dev(y));
    }

    @Override
    public void conv2dBackwardData(ConvGeometry g, Storage w, Storage gy, Storage gx) {
        if (gx == null) return;
        conv.backwardData(g, dev(w), dev(gy), dev(gx));
    }

    @Override
    public void conv2dBackwardWeight(ConvGeometry g, Storage x, Storage gy, Storage gw) {
        if (gw == null) return;
        conv.backwardWeight(g, dev(x), dev(gy), dev(gw));
    }

    @Override
    public void batchNormTrain(Storage x, Storage gamma, Storage beta, Storage runMean, Storage runVar,
                               double momentum, double eps, Storage y, Storage saveMean, Storage saveInvStd,
                               int n, int c, int hw) {
        batchNorm.train(dev(x), dev(gamma), dev(beta), dev(runMean), dev(runVar), momentum, eps, dev(y),
                dev(saveMean), dev(saveInvStd), n, c, hw);
    }

    @Override
    public void batchNormEval(Storage x, Storage gamma, Storage beta, Storage runMean, Storage runVar, double eps,
                              Storage y, Storage saveMean, Storage saveInvStd, int n, int c, int hw) {
        batchNorm.eval(dev(x), dev(gamma), dev(beta), dev(runMean), dev(runVar), eps, dev(y), dev(saveMean),
                dev(saveInvStd), n, c, hw);
    }

    @Override
    public void batchNormBackward(boolean training, Storage x, Storage gamma, Storage saveMean, Storage saveInvStd,
                                  Storage gy, Storage gx, Storage gGamma, Storage gBeta, int n, int c, int hw) {
        batchNorm.backward(training, dev(x), dev(gamma), dev(saveMean), dev(saveInvStd), dev(gy), dev(gx),
                dev(gGamma), dev(gBeta), n, c, hw);
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, Storage a, Storage b,
                     double beta, Storage c) {
        gemm.gemm(transA, transB, m, n, k, alpha, dev(a), dev(b), beta, dev(c));
    }

    // ---- layout, pooling, losses, optimiser ----

    @Override
    public void pixelShuffle(Storage x, Storage y, int n, int c, int h, int w, int r) {
        own.pixelShuffle(dev(x), dev(y), n, c, h, w, r, false);
    }

    @Override
    public void pixelShuffleBackward(Storage gy, Storage gx, int n, int c, int h, int w, int r) {
        if (gx == null) return;
        own.pixelShuffle(dev(gy), dev(gx), n, c, h, w, r, true);
    }

    @Override
    public void copyChannels(Storage src, int srcChannels, int srcOffset, Storage dst, int dstChannels,
                             int dstOffset, int count, int n, int hw, boolean accumulate) {
        own.copyChannels(dev(src), srcChannels, srcOffset, dev(dst), dstChannels, dstOffset, count, n, hw,
                accumulate);
    }

    @Override
    public void maxPool2d(PoolGeometry g, Storage x, Storage y) {
        own.maxPool(g, dev(x), dev(y));
    }

    @Override
    public void maxPool2dBackward(PoolGeometry g, Storage x, Storage gy, Storage gx) {
        own.maxPoolBackward(g, dev(x), dev(gy), dev(gx));
    }

    @Override
    public void loss(LossKind kind, Storage input, Storage target, long n, Storage out) {
        own.loss(kind, dev(input), dev(target), n, dev(out));
    }

    @Override
    public void lossBackward(LossKind kind, Storage input, Storage target, long n, Storage gOut, Storage gInput,
                             Storage gTarget) {
        own.lossBackward(kind, dev(input), dev(target), n, dev(gOut), dev(gInput), dev(gTarget));
    }

    @Override
    public void adamStep(List<Storage> params, List<Storage> grads, List<Storage> m, List<Storage> v,
                         AdamHyper hyper) {
        own.adamStep(dev(params), dev(grads), dev(m), dev(v), hyper);
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
