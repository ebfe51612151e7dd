package srgan.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnConvolutionBwdDataAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionBwdFilterAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionDescriptor;
import jcuda.jcudnn.cudnnConvolutionFwdAlgoPerf;
import jcuda.jcudnn.cudnnFilterDescriptor;
import jcuda.jcudnn.cudnnHandle;
import jcuda.jcudnn.cudnnTensorDescriptor;
import jcuda.runtime.cudaStream_t;
import srgan.engine.backend.ConvGeometry;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.jcudnn.JCudnn.cudnnAddTensor;
import static jcuda.jcudnn.JCudnn.cudnnBatchNormalizationBackward;
import static jcuda.jcudnn.JCudnn.cudnnBatchNormalizationForwardInference;
import static jcuda.jcudnn.JCudnn.cudnnBatchNormalizationForwardTraining;
import static jcuda.jcudnn.JCudnn.cudnnConvolutionBackwardData;
import static jcuda.jcudnn.JCudnn.cudnnConvolutionBackwardFilter;
import static jcuda.jcudnn.JCudnn.cudnnConvolutionForward;
import static jcuda.jcudnn.JCudnn.cudnnCreate;
import static jcuda.jcudnn.JCudnn.cudnnCreateConvolutionDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnCreateFilterDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnCreateTensorDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDeriveBNTensorDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDestroy;
import static jcuda.jcudnn.JCudnn.cudnnDestroyConvolutionDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDestroyFilterDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnDestroyTensorDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnFindConvolutionBackwardDataAlgorithmEx;
import static jcuda.jcudnn.JCudnn.cudnnFindConvolutionBackwardFilterAlgorithmEx;
import static jcuda.jcudnn.JCudnn.cudnnFindConvolutionForwardAlgorithmEx;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardDataWorkspaceSize;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionForwardAlgorithmMaxCount;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionForwardAlgorithm_v7;
import static jcuda.jcudnn.JCudnn.cudnnGetConvolutionForwardWorkspaceSize;
import static jcuda.jcudnn.JCudnn.cudnnGetVersion;
import static jcuda.jcudnn.JCudnn.cudnnSetConvolution2dDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnSetConvolutionMathType;
import static jcuda.jcudnn.JCudnn.cudnnSetFilter4dDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnSetStream;
import static jcuda.jcudnn.JCudnn.cudnnSetTensor4dDescriptor;
import static jcuda.jcudnn.cudnnBatchNormMode.CUDNN_BATCHNORM_SPATIAL;
import static jcuda.jcudnn.cudnnConvolutionMode.CUDNN_CROSS_CORRELATION;
import static jcuda.jcudnn.cudnnDataType.CUDNN_DATA_FLOAT;
import static jcuda.jcudnn.cudnnDeterminism.CUDNN_DETERMINISTIC;
import static jcuda.jcudnn.cudnnMathType.CUDNN_FMA_MATH;
import static jcuda.jcudnn.cudnnMathType.CUDNN_TENSOR_OP_MATH;
import static jcuda.jcudnn.cudnnMathType.CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
import static jcuda.jcudnn.cudnnStatus.CUDNN_STATUS_SUCCESS;
import static jcuda.jcudnn.cudnnTensorFormat.CUDNN_TENSOR_NCHW;

/**
 * Convolution and batch normalisation through cuDNN's legacy API (JCudnn, cuDNN 8 signatures), on one handle
 * bound to the context's stream. Shape letters as in {@link srgan.engine.backend.Backend}: N batch, C
 * channels, H x W image ({@code hw} = H * W).
 *
 * <p>Convolution: the descriptors of each {@link ConvGeometry} are created on first use and cached with the
 * algorithm of each direction, picked by cuDNN's heuristics ({@code cudnnGet...Algorithm_v7}: the first
 * candidate that succeeds, fits {@link #workspaceLimit()} and, in FP32 mode, does not use tensor-op math), or,
 * when {@link #find} was called for it, by cuDNN's own benchmark ({@code cudnnFind...AlgorithmEx}: the fastest
 * such candidate that is also deterministic). One workspace serves every call; it only grows. The forward
 * assigns (beta = 0, then the bias through {@code cudnnAddTensor}); both backward passes accumulate (beta = 1).
 *
 * <p>Precision: FP32. cuDNN's {@code CUDNN_DEFAULT_MATH} lets FP32 convolutions run as TF32 on Ampere and
 * newer, so the descriptors say {@code CUDNN_FMA_MATH}, as PyTorch does with {@code allow_tf32 = False}; the
 * system property {@code srgan.cuda.tf32=true} selects {@code CUDNN_TENSOR_OP_MATH} instead.
 *
 * <p>Batch norm (SPATIAL mode, per channel over N, H, W) has the {@link srgan.engine.backend.Backend}
 * semantics exactly: cuDNN's {@code exponentialAverageFactor} is PyTorch's momentum, its running variance is
 * the unbiased one and its saved inverse variance is {@code 1 / sqrt(var + eps)}. The own-kernel engine given
 * to the constructor takes what cuDNN does not do: the eval-mode backward (cuDNN's backward always
 * differentiates through the batch statistics), a backward without {@code gx}, and any eps below
 * {@link #MIN_BN_EPSILON}.
 */
public final class CudnnRoute implements ConvEngine, BatchNormEngine, AutoCloseable {

    /**
     * The smallest eps handed to cuDNN's batch norm. Older cuDNN releases refused eps below 1e-5
     * ({@code CUDNN_BN_MIN_EPSILON}); the cuDNN 8.4 headers JCudnn 11.7.0 was built from say 0. The bound
     * costs nothing (PyTorch's default eps is 1e-5) and keeps the route valid on any release.
     */
    public static final double MIN_BN_EPSILON = 1e-5;

    /** Default cap on the convolution workspace; the system property {@code srgan.cuda.cudnn.workspaceMiB}. */
    public static final long DEFAULT_WORKSPACE_LIMIT = 1L << 30;

    private static final Pointer ONE = Pointer.to(new float[]{1f});
    private static final Pointer ZERO = Pointer.to(new float[]{0f});

    private final CudaContext ctx;
    private final BatchNormEngine ownBatchNorm;
    private final cudnnHandle handle = new cudnnHandle();
    private final boolean tf32;
    private final long workspaceLimit;
    private final long version;

    private final Map<ConvGeometry, ConvPlan> convPlans = new HashMap<>();
    private final Map<BnShape, BnPlan> bnPlans = new HashMap<>();
    /** Destroys every descriptor, in creation order; {@link #close()} runs them in reverse. */
    private final Deque<Runnable> destroyers = new ArrayDeque<>();

    private CUdeviceptr workspace = new CUdeviceptr();
    private long workspaceBytes;
    /** Two sinks of {@code sinkChannels} floats for parameter gradients nobody wants; see {@link #zeroedSink}. */
    private CUdeviceptr sinks = new CUdeviceptr();
    private int sinkChannels;
    private boolean closed;

    /**
     * Creates the handle on {@code ctx}'s primary context and stream. Throws {@link UnsatisfiedLinkError} when
     * JCudnn's native library or libcudnn cannot be loaded, {@link jcuda.CudaException} when cuDNN fails.
     *
     * @param ownBatchNorm the own-kernel engine for the cases cuDNN does not cover (see the class comment)
     * @param tf32 whether convolutions may use TF32 tensor cores
     * @param workspaceLimit the most bytes an algorithm's workspace may take
     */
    public CudnnRoute(CudaContext ctx, BatchNormEngine ownBatchNorm, boolean tf32, long workspaceLimit) {
        this.ctx = ctx;
        this.ownBatchNorm = ownBatchNorm;
        this.tf32 = tf32;
        this.workspaceLimit = workspaceLimit;
        JCudnn.setExceptionsEnabled(true);
        ctx.makeCurrent();
        version = cudnnGetVersion();
        cudnnCreate(handle);
        try {
            cudnnSetStream(handle, new cudaStream_t(ctx.stream()));
        } catch (RuntimeException | Error e) {
            cudnnDestroy(handle);
            throw e;
        }
    }

    /** cuDNN's version number as {@code cudnnGetVersion} returns it (8.9.7 is 8907, 9.10.2 is 91002). */
    public long version() {
        return version;
    }

    public boolean tf32() {
        return tf32;
    }

    public long workspaceLimit() {
        return workspaceLimit;
    }

    // ---- convolution ----

    @Override
    public synchronized void forward(ConvGeometry g, DeviceStorage x, DeviceStorage w, DeviceStorage bias,
                                     DeviceStorage y) {
        ConvPlan p = convPlan(g);
        if (p.forwardAlgo < 0) chooseForward(p);
        Pointer ws = workspace(p.forwardBytes);
        cudnnConvolutionForward(handle, ONE, p.x, x.pointer(), p.w, w.pointer(), p.conv, p.forwardAlgo, ws,
                p.forwardBytes, ZERO, p.y, y.pointer());
        ctx.countLibraryCall();
        if (bias != null) {
            cudnnAddTensor(handle, ONE, p.bias, bias.pointer(), ONE, p.y, y.pointer());
            ctx.countLibraryCall();
        }
    }

    @Override
    public synchronized void backwardData(ConvGeometry g, DeviceStorage w, DeviceStorage gy, DeviceStorage gx) {
        ConvPlan p = convPlan(g);
        if (p.dataAlgo < 0) chooseBackwardData(p);
        Pointer ws = workspace(p.dataBytes);
        cudnnConvolutionBackwardData(handle, ONE, p.w, w.pointer(), p.y, gy.pointer(), p.conv, p.dataAlgo, ws,
                p.dataBytes, ONE, p.x, gx.pointer());
        ctx.countLibraryCall();
    }

    @Override
    public synchronized void backwardWeight(ConvGeometry g, DeviceStorage x, DeviceStorage gy, DeviceStorage gw) {
        ConvPlan p = convPlan(g);
        if (p.filterAlgo < 0) chooseBackwardFilter(p);
        Pointer ws = workspace(p.filterBytes);
        cudnnConvolutionBackwardFilter(handle, ONE, p.x, x.pointer(), p.y, gy.pointer(), p.conv, p.filterAlgo, ws,
                p.filterBytes, ONE, p.w, gw.pointer());
        ctx.countLibraryCall();
    }

    /**
     * Runs cuDNN's benchmark of every algorithm for {@code pass} on {@code g} ({@code cudnnFind...AlgorithmEx},
     * which waits for the device) and keeps the fastest one that succeeds, fits the workspace limit, is
     * deterministic and, in FP32 mode, does not use tensor-op math: later calls for this geometry and pass run
     * it. The operands are those of the pass (forward: x, w; backward data: w, gy; backward weight: x, gy);
     * {@code scratchOut} is overwritten with garbage, so it must not be the real output of an accumulating pass.
     * Returns the chosen algorithm in words, with cuDNN's own time for it.
     */
    public synchronized String find(Pass pass, ConvGeometry g, DeviceStorage a, DeviceStorage b,
                                    DeviceStorage scratchOut) {
        ConvPlan p = convPlan(g);
        Pointer ws = workspace(workspaceLimit);
        int[] returned = new int[1];
        long[] bytes = new long[1];
        switch (pass) {
            case FORWARD -> {
                int[] max = new int[1];
                cudnnGetConvolutionForwardAlgorithmMaxCount(handle, max);
                cudnnConvolutionFwdAlgoPerf[] perf = new cudnnConvolutionFwdAlgoPerf[max[0]];
                for (int i = 0; i < perf.length; i++) perf[i] = new cudnnConvolutionFwdAlgoPerf();
                cudnnFindConvolutionForwardAlgorithmEx(handle, p.x, a.pointer(), p.w, b.pointer(), p.conv, p.y,
                        scratchOut.pointer(), perf.length, returned, perf, ws, workspaceLimit);
                for (int i = 0; i < returned[0]; i++) {
                    if (!usable(perf[i].status, perf[i].memory, perf[i].mathType)
                            || perf[i].determinism != CUDNN_DETERMINISTIC) continue;
                    cudnnGetConvolutionForwardWorkspaceSize(handle, p.x, p.w, p.conv, p.y, perf[i].algo, bytes);
                    if (bytes[0] > workspaceLimit) continue;
                    p.forwardAlgo = perf[i].algo;
                    p.forwardBytes = bytes[0];
                    return chosen(pass, perf[i].algo, perf[i].time);
                }
            }
            case BACKWARD_DATA -> {
                int[] max = new int[1];
                cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, max);
                cudnnConvolutionBwdDataAlgoPerf[] perf = new cudnnConvolutionBwdDataAlgoPerf[max[0]];
                for (int i = 0; i < perf.length; i++) perf[i] = new cudnnConvolutionBwdDataAlgoPerf();
                cudnnFindConvolutionBackwardDataAlgorithmEx(handle, p.w, a.pointer(), p.y, b.pointer(), p.conv, p.x,
                        scratchOut.pointer(), perf.length, returned, perf, ws, workspaceLimit);
                for (int i = 0; i < returned[0]; i++) {
                    if (!usable(perf[i].status, perf[i].memory, perf[i].mathType)
                            || perf[i].determinism != CUDNN_DETERMINISTIC) continue;
                    cudnnGetConvolutionBackwardDataWorkspaceSize(handle, p.w, p.y, p.conv, p.x, perf[i].algo, bytes);
                    if (bytes[0] > workspaceLimit) continue;
                    p.dataAlgo = perf[i].algo;
                    p.dataBytes = bytes[0];
                    return chosen(pass, perf[i].algo, perf[i].time);
                }
            }
            case BACKWARD_WEIGHT -> {
                int[] max = new int[1];
                cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, max);
                cudnnConvolutionBwdFilterAlgoPerf[] perf = new cudnnConvolutionBwdFilterAlgoPerf[max[0]];
                for (int i = 0; i < perf.length; i++) perf[i] = new cudnnConvolutionBwdFilterAlgoPerf();
                cudnnFindConvolutionBackwardFilterAlgorithmEx(handle, p.x, a.pointer(), p.y, b.pointer(), p.conv, p.w,
                        scratchOut.pointer(), perf.length, returned, perf, ws, workspaceLimit);
                for (int i = 0; i < returned[0]; i++) {
                    if (!usable(perf[i].status, perf[i].memory, perf[i].mathType)
                            || perf[i].determinism != CUDNN_DETERMINISTIC) continue;
                    cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, p.x, p.y, p.conv, p.w, perf[i].algo, bytes);
                    if (bytes[0] > workspaceLimit) continue;
                    p.filterAlgo = perf[i].algo;
                    p.filterBytes = bytes[0];
                    return chosen(pass, perf[i].algo, perf[i].time);
                }
            }
        }
        throw noAlgorithm(pass + " (benchmarked, deterministic)", g);
    }

    /**
     * Picks the algorithm of {@code pass} on {@code g} by cuDNN's heuristics again, replacing one {@link #find}
     * chose, and returns it in words.
     */
    public synchronized String useHeuristic(Pass pass, ConvGeometry g) {
        ConvPlan p = convPlan(g);
        switch (pass) {
            case FORWARD -> chooseForward(p);
            case BACKWARD_DATA -> chooseBackwardData(p);
            case BACKWARD_WEIGHT -> chooseBackwardFilter(p);
        }
        return algorithm(pass, g);
    }

    /** The algorithm {@code pass} on {@code g} runs, in words ("not chosen yet" before the first call). */
    public synchronized String algorithm(Pass pass, ConvGeometry g) {
        ConvPlan p = convPlans.get(g);
        int algo = p == null ? -1 : switch (pass) {
            case FORWARD -> p.forwardAlgo;
            case BACKWARD_DATA -> p.dataAlgo;
            case BACKWARD_WEIGHT -> p.filterAlgo;
        };
        return algo < 0 ? "not chosen yet" : algorithmName(pass, algo);
    }

    private static String chosen(Pass pass, int algo, float cudnnMillis) {
        return algorithmName(pass, algo) + String.format(Locale.ROOT, " (cuDNN: %.3f ms)", cudnnMillis);
    }

    private static String algorithmName(Pass pass, int algo) {
        String name = switch (pass) {
            case FORWARD -> jcuda.jcudnn.cudnnConvolutionFwdAlgo.stringFor(algo);
            case BACKWARD_DATA -> jcuda.jcudnn.cudnnConvolutionBwdDataAlgo.stringFor(algo);
            case BACKWARD_WEIGHT -> jcuda.jcudnn.cudnnConvolutionBwdFilterAlgo.stringFor(algo);
        };
        return name.replace("CUDNN_CONVOLUTION_", "").replace("_ALGO", "");
    }

    /** Descriptors of one geometry; an algorithm of -1 is not chosen yet. */
    private static final class ConvPlan {
        final cudnnTensorDescriptor x = new cudnnTensorDescriptor();
        final cudnnTensorDescriptor y = new cudnnTensorDescriptor();
        final cudnnTensorDescriptor bias = new cudnnTensorDescriptor();
        final cudnnFilterDescriptor w = new cudnnFilterDescriptor();
        final cudnnConvolutionDescriptor conv = new cudnnConvolutionDescriptor();
        final ConvGeometry g;
        int forwardAlgo = -1;
        int dataAlgo = -1;
        int filterAlgo = -1;
        long forwardBytes;
        long dataBytes;
        long filterBytes;

        ConvPlan(ConvGeometry g) {
            this.g = g;
        }
    }

    private ConvPlan convPlan(ConvGeometry g) {
        checkOpen();
        ctx.makeCurrent();
        ConvPlan p = convPlans.get(g);
        if (p != null) return p;
        p = new ConvPlan(g);
        tensor(p.x, g.n(), g.inChannels(), g.inHeight(), g.inWidth());
        tensor(p.y, g.n(), g.outChannels(), g.outHeight(), g.outWidth());
        tensor(p.bias, 1, g.outChannels(), 1, 1);
        cudnnFilterDescriptor w = p.w;
        cudnnCreateFilterDescriptor(w);
        destroyers.addLast(() -> cudnnDestroyFilterDescriptor(w));
        cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, g.outChannels(), g.inChannels(),
                g.kernelHeight(), g.kernelWidth());
        cudnnConvolutionDescriptor conv = p.conv;
        cudnnCreateConvolutionDescriptor(conv);
        destroyers.addLast(() -> cudnnDestroyConvolutionDescriptor(conv));
        cudnnSetConvolution2dDescriptor(conv, g.padding(), g.padding(), g.stride(), g.stride(), 1, 1,
                CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT);
        cudnnSetConvolutionMathType(conv, tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH);
        convPlans.put(g, p);
        return p;
    }

    private void tensor(cudnnTensorDescriptor d, int n, int c, int h, int w) {
        cudnnCreateTensorDescriptor(d);
        destroyers.addLast(() -> cudnnDestroyTensorDescriptor(d));
        cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w);
    }

    private void chooseForward(ConvPlan p) {
        int[] max = new int[1];
        cudnnGetConvolutionForwardAlgorithmMaxCount(handle, max);
        cudnnConvolutionFwdAlgoPerf[] perf = new cudnnConvolutionFwdAlgoPerf[max[0]];
        for (int i = 0; i < perf.length; i++) perf[i] = new cudnnConvolutionFwdAlgoPerf();
        int[] returned = new int[1];
        cudnnGetConvolutionForwardAlgorithm_v7(handle, p.x, p.w, p.conv, p.y, perf.length, returned, perf);
        long[] bytes = new long[1];
        for (int i = 0; i < returned[0]; i++) {
            if (!usable(perf[i].status, perf[i].memory, perf[i].mathType)) continue;
            cudnnGetConvolutionForwardWorkspaceSize(handle, p.x, p.w, p.conv, p.y, perf[i].algo, bytes);
            if (bytes[0] > workspaceLimit) continue;
            p.forwardAlgo = perf[i].algo;
            p.forwardBytes = bytes[0];
            return;
        }
        throw noAlgorithm("forward", p.g);
    }

    private void chooseBackwardData(ConvPlan p) {
        int[] max = new int[1];
        cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, max);
        cudnnConvolutionBwdDataAlgoPerf[] perf = new cudnnConvolutionBwdDataAlgoPerf[max[0]];
        for (int i = 0; i < perf.length; i++) perf[i] = new cudnnConvolutionBwdDataAlgoPerf();
        int[] returned = new int[1];
        cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, p.w, p.y, p.conv, p.x, perf.length, returned, perf);
        long[] bytes = new long[1];
        for (int i = 0; i < returned[0]; i++) {
            if (!usable(perf[i].status, perf[i].memory, perf[i].mathType)) continue;
            cudnnGetConvolutionBackwardDataWorkspaceSize(handle, p.w, p.y, p.conv, p.x, perf[i].algo, bytes);
            if (bytes[0] > workspaceLimit) continue;
            p.dataAlgo = perf[i].algo;
            p.dataBytes = bytes[0];
            return;
        }
        throw noAlgorithm("backward-data", p.g);
    }

    private void chooseBackwardFilter(ConvPlan p) {
        int[] max = new int[1];
        cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, max);
        cudnnConvolutionBwdFilterAlgoPerf[] perf = new cudnnConvolutionBwdFilterAlgoPerf[max[0]];
        for (int i = 0; i < perf.length; i++) perf[i] = new cudnnConvolutionBwdFilterAlgoPerf();
        int[] returned = new int[1];
        cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, p.x, p.y, p.conv, p.w, perf.length, returned, perf);
        long[] bytes = new long[1];
        for (int i = 0; i < returned[0]; i++) {
            if (!usable(perf[i].status, perf[i].memory, perf[i].mathType)) continue;
            cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, p.x, p.y, p.conv, p.w, perf[i].algo, bytes);
            if (bytes[0] > workspaceLimit) continue;
            p.filterAlgo = perf[i].algo;
            p.filterBytes = bytes[0];
            return;
        }
        throw noAlgorithm("backward-filter", p.g);
    }

    /**
     * Whether a heuristic's candidate may run. The heuristics can propose tensor-op candidates even for an
     * FMA-math descriptor, so in FP32 mode those are skipped too.
     */
    private boolean usable(int status, long memory, int mathType) {
        if (status != CUDNN_STATUS_SUCCESS || memory > workspaceLimit) return false;
        return tf32 || (mathType != CUDNN_TENSOR_OP_MATH && mathType != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION);
    }

    private IllegalStateException noAlgorithm(Object direction, ConvGeometry g) {
        return new IllegalStateException("cuDNN offers no " + (tf32 ? "" : "FP32 ") + direction
                + " algorithm within a " + workspaceLimit + "-byte workspace for " + g);
    }

    /** The shared workspace, grown to at least {@code bytes}. */
    private Pointer workspace(long bytes) {
        if (bytes > workspaceBytes) {
            // Work already queued may still use the old block; cuMemFree does not wait for the stream.
            ctx.synchronize();
            if (workspaceBytes > 0) cuMemFree(workspace);
            workspaceBytes = 0;
            workspace = new CUdeviceptr();
            cuMemAlloc(workspace, bytes);
            workspaceBytes = bytes;
        }
        return workspace;
    }

    // ---- batch normalisation ----

    @Override
    public synchronized void train(DeviceStorage x, DeviceStorage gamma, DeviceStorage beta, DeviceStorage runMean,
                                   DeviceStorage runVar, double momentum, double eps, DeviceStorage y,
                                   DeviceStorage saveMean, DeviceStorage saveInvStd, int n, int c, int hw) {
        if (eps < MIN_BN_EPSILON) {
            ownBatchNorm.train(x, gamma, beta, runMean, runVar, momentum, eps, y, saveMean, saveInvStd, n, c, hw);
            return;
        }
        BnPlan p = bnPlan(n, c, hw);
        cudnnBatchNormalizationForwardTraining(handle, CUDNN_BATCHNORM_SPATIAL, ONE, ZERO, p.x, x.pointer(), p.x,
                y.pointer(), p.params, gamma.pointer(), beta.pointer(), momentum, pointer(runMean),
                pointer(runVar), eps, pointer(saveMean), pointer(saveInvStd));
        ctx.countLibraryCall();
    }

    /**
     * Normalises with {@code cudnnBatchNormalizationForwardInference}, then writes the statistics the backward
     * reads ({@code saveMean = runMean}, {@code saveInvStd = 1 / sqrt(runVar + eps)}) with our own
     * {@code bn_eval_stats_f32} kernel, the one the own-kernel eval uses.
     */
    @Override
    public synchronized void eval(DeviceStorage x, DeviceStorage gamma, DeviceStorage beta, DeviceStorage runMean,
                                  DeviceStorage runVar, double eps, DeviceStorage y, DeviceStorage saveMean,
                                  DeviceStorage saveInvStd, int n, int c, int hw) {
        if (eps < MIN_BN_EPSILON) {
            ownBatchNorm.eval(x, gamma, beta, runMean, runVar, eps, y, saveMean, saveInvStd, n, c, hw);
            return;
        }
        BnPlan p = bnPlan(n, c, hw);
        cudnnBatchNormalizationForwardInference(handle, CUDNN_BATCHNORM_SPATIAL, ONE, ZERO, p.x, x.pointer(), p.x,
                y.pointer(), p.params, gamma.pointer(), beta.pointer(), runMean.pointer(), runVar.pointer(), eps);
        ctx.countLibraryCall();
        ctx.launch("batchnorm", "bn_eval_stats_f32", (c + 255) / 256, 1, 1, 256, 1, 1, 0, runMean, runVar,
                (float) eps, c, saveMean, saveInvStd);
    }

    @Override
    public synchronized void backward(boolean training, DeviceStorage x, DeviceStorage gamma,
                                      DeviceStorage saveMean, DeviceStorage saveInvStd, DeviceStorage gy,
                                      DeviceStorage gx, DeviceStorage gGamma, DeviceStorage gBeta, int n, int c,
                                      int hw) {
        if (gx == null && gGamma == null && gBeta == null) return;
        if (!training || gx == null) {
            // cuDNN's backward differentiates through the batch statistics and always writes dx; eval mode
            // and a missing gx (it would need an N*C*H*W sink) go to our kernels.
            ownBatchNorm.backward(training, x, gamma, saveMean, saveInvStd, gy, gx, gGamma, gBeta, n, c, hw);
            return;
        }
        BnPlan p = bnPlan(n, c, hw);
        // Missing parameter gradients land in zeroed sinks: cuDNN writes dScale and dBias together.
        Pointer dGamma = gGamma != null ? gGamma.pointer() : zeroedSink(c, 0);
        Pointer dBeta = gBeta != null ? gBeta.pointer() : zeroedSink(c, 1);
        // eps is only read when no saved statistics are given; these always are.
        cudnnBatchNormalizationBackward(handle, CUDNN_BATCHNORM_SPATIAL, ONE, ONE, ONE, ONE, p.x, x.pointer(), p.x,
                gy.pointer(), p.x, gx.pointer(), p.params, gamma.pointer(), dGamma, dBeta, MIN_BN_EPSILON,
                saveMean.pointer(), saveInvStd.pointer());
        ctx.countLibraryCall();
    }

    private record BnShape(int n, int c, int hw) {
    }

    /** x (and y, gy, gx): N x C x HW x 1; params: the derived 1 x C x 1 x 1. */
    private static final class BnPlan {
        final cudnnTensorDescriptor x = new cudnnTensorDescriptor();
        final cudnnTensorDescriptor params = new cudnnTensorDescriptor();
    }

    private BnPlan bnPlan(int n, int c, int hw) {
        checkOpen();
        ctx.makeCurrent();
        BnShape key = new BnShape(n, c, hw);
        BnPlan p = bnPlans.get(key);
        if (p != null) return p;
        p = new BnPlan();
        tensor(p.x, n, c, hw, 1);
        cudnnTensorDescriptor params = p.params;
        cudnnCreateTensorDescriptor(params);
        destroyers.addLast(() -> cudnnDestroyTensorDescriptor(params));
        cudnnDeriveBNTensorDescriptor(params, p.x, CUDNN_BATCHNORM_SPATIAL);
        bnPlans.put(key, p);
        return p;
    }

    /** Sink {@code slot} (0 or 1) of at least {@code c} floats, zeroed on the stream. */
    private CUdeviceptr zeroedSink(int c, int slot) {
        if (c > sinkChannels) {
            ctx.synchronize();
            if (sinkChannels > 0) cuMemFree(sinks);
            sinkChannels = 0;
            sinks = new CUdeviceptr();
            cuMemAlloc(sinks, 2L * c * Float.BYTES);
            sinkChannels = c;
        }
        CUdeviceptr p = sinks.withByteOffset((long) slot * sinkChannels * Float.BYTES);
        cuMemsetD32Async(p, 0, c, ctx.stream());
        return p;
    }

    /** A storage's pointer, or the null device pointer for an absent optional buffer. */
    private static Pointer pointer(DeviceStorage s) {
        return s == null ? new Pointer() : s.pointer();
    }

    // ---- life cycle ----

    private void checkOpen() {
        if (closed) throw new IllegalStateException("the cuDNN route has been closed");
    }

    /** Waits for the stream, destroys the descriptors in reverse order, frees the buffers, then the handle. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        ctx.makeCurrent();
        try {
            ctx.synchronize();
            while (!destroyers.isEmpty()) destroyers.removeLast().run();
            convPlans.clear();
            bnPlans.clear();
            if (sinkChannels > 0) cuMemFree(sinks);
            if (workspaceBytes > 0) cuMemFree(workspace);
            sinkChannels = 0;
            workspaceBytes = 0;
        } finally {
            cudnnDestroy(handle);
        }
    }
}
