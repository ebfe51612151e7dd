package srgan.cuda;

import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import srgan.cuda.CudaLibraries.Outcome;
import srgan.cuda.CudaLibraries.Routing;
import srgan.cuda.CudaLibraries.Selection;
import srgan.engine.backend.ConvGeometry;
import srgan.engine.backend.Storage;
import srgan.engine.backend.reference.ReferenceBackend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static srgan.engine.testing.Compare.assertCloseToScale;

/**
 * The routing decision as pure functions (runs everywhere, CI included), then, where a CUDA device and the
 * libraries are present, cuBLAS and cuDNN through our routes against the double-precision reference backend.
 */
class CudaLibrariesTest {

    // What JCuda 12.6.0's LibUtils throws, verbatim apart from shortened stack traces.
    private static final String JCUBLAS_MISSING_LIBCUBLAS = """
            Error while loading native library "JCublas2-12.6.0-linux-x86_64"
            Operating system name: Linux
            Architecture         : amd64
            Architecture bit size: 64
            ---(start of nested stack traces)---
            Stack trace from the attempt to load the library as a file:
            java.lang.UnsatisfiedLinkError: no JCublas2-12.6.0-linux-x86_64 in java.library.path: /usr/java/packages/lib:/usr/lib
            \tat java.base/java.lang.ClassLoader.loadLibrary(ClassLoader.java:2434)
            \tat jcuda.jcublas.JCublas2.<clinit>(JCublas2.java:71)
            Stack trace from the attempt to load the library as a resource:
            java.lang.UnsatisfiedLinkError: /tmp/libJCublas2-12.6.0-linux-x86_64.so: libcublas.so.12: cannot open shared object file: No such file or directory
            \tat java.base/jdk.internal.loader.NativeLibraries.load(Native Method)
            \tat jcuda.jcublas.JCublas2.<clinit>(JCublas2.java:71)
            ---(end of nested stack traces)---
            """;

    private static final String JCUDNN_MISSING_JNI_LIBRARY = """
            Error while loading native library "JCudnn-12.6.0-linux-x86_64"
            Operating system name: Linux
            ---(start of nested stack traces)---
            Stack trace from the attempt to load the library as a file:
            java.lang.UnsatisfiedLinkError: no JCudnn-12.6.0-linux-x86_64 in java.library.path: /usr/java/packages/lib:/usr/lib
            \tat jcuda.jcudnn.JCudnn.<clinit>(JCudnn.java:117)
            Stack trace from the attempt to load the library as a resource:
            java.io.IOException: No resource found with name '/lib/libJCudnn-12.6.0-linux-x86_64.so'
            \tat jcuda.LibUtils.writeResourceToFile(LibUtils.java:348)
            ---(end of nested stack traces)---
            """;

    /** What ld.so says when libcublas.so.12 is a symlink to libcublas.so.13 and the JNI library is unpatched. */
    private static final String JCUBLAS_SYMLINK_TO_13 = """
            Error while loading native library "JCublas2-12.6.0-linux-x86_64"
            ---(start of nested stack traces)---
            Stack trace from the attempt to load the library as a file:
            java.lang.UnsatisfiedLinkError: /opt/compat/libJCublas2-12.6.0-linux-x86_64.so: /opt/compat/libcublas.so.12: version `libcublas.so.12' not found (required by /opt/compat/libJCublas2-12.6.0-linux-x86_64.so)
            ---(end of nested stack traces)---
            """;

    private static Outcome cublasFailure(String message) {
        return Outcome.failed(CudaLibraries.explainLoadFailure(CudaLibraries.CUBLAS_BINDING,
                CudaLibraries.CUBLAS_SONAME, new UnsatisfiedLinkError(message)));
    }

    @Test
    void bothLoadedRouteEverythingToTheLibraries() {
        Routing r = CudaLibraries.route(Outcome.loaded("12.6.3"), Outcome.loaded("8.9.7"), false);
        assertTrue(r.convOnCudnn());
        assertTrue(r.batchNormOnCudnn());
        assertTrue(r.gemmOnCublas());
        assertEquals("cuBLAS 12.6.3; cuDNN 8.9.7 | conv: cuDNN 8.9.7 | batch norm: cuDNN 8.9.7 | gemm: cuBLAS 12.6.3"
                + " | math: FP32", r.summary());
    }

    @Test
    void missingLibcublasKeepsGemmOnOwnKernelsAndSaysWhy() {
        Routing r = CudaLibraries.route(cublasFailure(JCUBLAS_MISSING_LIBCUBLAS), Outcome.loaded("8.9.7"), false);
        assertFalse(r.gemmOnCublas());
        assertTrue(r.convOnCudnn());
        assertEquals("cuBLAS: not loaded (JCublas2 12.6.0 needs libcublas.so.12: libcublas.so.12: cannot open "
                + "shared object file: No such file or directory; see tools/cuda-compat.sh); cuDNN 8.9.7"
                + " | conv: cuDNN 8.9.7 | batch norm: cuDNN 8.9.7 | gemm: own tiled SGEMM | math: FP32", r.summary());
    }

    @Test
    void missingJCudnnNativeLibraryIsNamed() {
        String reason = CudaLibraries.explainLoadFailure(CudaLibraries.CUDNN_BINDING, CudaLibraries.CUDNN_SONAME,
                new UnsatisfiedLinkError(JCUDNN_MISSING_JNI_LIBRARY));
        assertEquals("JCudnn 11.7.0: libJCudnn-12.6.0-linux-x86_64.so is on neither java.library.path nor the "
                + "class path; see tools/cuda-compat.sh", reason);
        Routing r = CudaLibraries.route(Outcome.loaded("12.6.3"), Outcome.failed(reason), false);
        assertFalse(r.convOnCudnn());
        assertFalse(r.batchNormOnCudnn());
        assertTrue(r.gemmOnCublas());
        assertTrue(r.summary().contains("| conv: own implicit-GEMM kernels | batch norm: own kernels | gemm: cuBLAS"
                + " 12.6.3 |"), r.summary());
    }

    @Test
    void symbolVersionMismatchQuotesTheLinker() {
        Outcome o = cublasFailure(JCUBLAS_SYMLINK_TO_13);
        assertEquals("JCublas2 12.6.0 needs libcublas.so.12: /opt/compat/libcublas.so.12: version `libcublas.so.12'"
                + " not found (required by /opt/compat/libJCublas2-12.6.0-linux-x86_64.so); see "
                + "tools/cuda-compat.sh", o.detail());
    }

    @Test
    void nonLinkFailuresGiveTheExceptionAndItsFirstLine() {
        String reason = CudaLibraries.explainLoadFailure(CudaLibraries.CUDNN_BINDING, CudaLibraries.CUDNN_SONAME,
                new CudaException("CUDNN_STATUS_NOT_INITIALIZED\nmore detail"));
        assertEquals("CudaException: CUDNN_STATUS_NOT_INITIALIZED", reason);
        assertEquals("NoClassDefFoundError: jcuda/jcublas/JCublas2", CudaLibraries.explainLoadFailure(
                CudaLibraries.CUBLAS_BINDING, CudaLibraries.CUBLAS_SONAME,
                new NoClassDefFoundError("jcuda/jcublas/JCublas2")));
    }

    @Test
    void forcedOffLoadsNothing() {
        Selection none = Selection.parse("none");
        assertFalse(none.cublas());
        assertFalse(none.cudnn());
        Outcome off = Outcome.forcedOff("srgan.cuda.libs=none");
        Routing r = CudaLibraries.route(off, off, true);
        assertFalse(r.convOnCudnn() || r.batchNormOnCudnn() || r.gemmOnCublas());
        // TF32 is moot when no library runs: our kernels are FP32 only.
        assertEquals("cuBLAS: forced off (srgan.cuda.libs=none); cuDNN: forced off (srgan.cuda.libs=none)"
                + " | conv: own implicit-GEMM kernels | batch norm: own kernels | gemm: own tiled SGEMM"
                + " | math: FP32", r.summary());
    }

    @Test
    void tf32IsNamedWhenALibraryRuns() {
        Routing r = CudaLibraries.route(Outcome.loaded("13.0.2"), Outcome.forcedOff("srgan.cuda.libs=cublas"), true);
        assertEquals("cuBLAS 13.0.2; cuDNN: forced off (srgan.cuda.libs=cublas) | conv: own implicit-GEMM kernels"
                + " | batch norm: own kernels | gemm: cuBLAS 13.0.2 | math: TF32 in cuBLAS/cuDNN "
                + "(srgan.cuda.tf32=true)", r.summary());
    }

    @Test
    void selectionProperty() {
        assertEquals(new Selection(true, true), Selection.parse(null));
        assertEquals(new Selection(true, true), Selection.parse(""));
        assertEquals(new Selection(true, true), Selection.parse("ALL"));
        assertEquals(new Selection(true, false), Selection.parse("cublas"));
        assertEquals(new Selection(true, true), Selection.parse(" cudnn , cublas "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Selection.parse("cudnn,mkl"));
        assertTrue(e.getMessage().contains("srgan.cuda.libs"), e.getMessage());
    }

    @Test
    void workspaceProperty() {
        assertEquals(CudnnRoute.DEFAULT_WORKSPACE_LIMIT, CudaLibraries.workspaceLimit(null));
        assertEquals(256L << 20, CudaLibraries.workspaceLimit("256"));
        assertThrows(IllegalArgumentException.class, () -> CudaLibraries.workspaceLimit("-1"));
        assertThrows(IllegalArgumentException.class, () -> CudaLibraries.workspaceLimit("1G"));
    }

    @Test
    void versionNumbers() {
        assertEquals("12.6.3", CudaLibraries.cublasVersion(120603));
        assertEquals("13.1.0", CudaLibraries.cublasVersion(130100));
        assertEquals("8.4.1", CudaLibraries.cudnnVersion(8401));
        assertEquals("8.9.7", CudaLibraries.cudnnVersion(8907));
        assertEquals("9.1.0", CudaLibraries.cudnnVersion(90100));
        assertEquals("9.10.2", CudaLibraries.cudnnVersion(91002));
    }

    // ---- on a device ----

    /**
     * cuBLAS and cuDNN through the routes against the reference backend. Skipped without a CUDA device; a
     * library that does not load skips its own tests, unless {@code srgan.test.requireCudaLibs} lists it
     * (cublas, cudnn), which the device run sets so that a silent fallback cannot pass for success. The
     * eval batch norm needs batchnorm.ptx on the class path.
     */
    @Nested
    class OnDevice {

        @Test
        void detectSummarisesWhatLoaded() {
            Device d = Device.get();
            System.out.println("CudaLibraries: " + d.libs.summary());
            assertEquals(d.libs.cudnnConv().isPresent(), d.libs.summary().contains("| conv: cuDNN"));
            assertEquals(d.libs.cublasGemm().isPresent(), d.libs.summary().contains("| gemm: cuBLAS"));
            String required = System.getProperty("srgan.test.requireCudaLibs", "");
            if (required.contains("cublas")) assertTrue(d.libs.cublasGemm().isPresent(), d.libs.summary());
            if (required.contains("cudnn")) assertTrue(d.libs.cudnnConv().isPresent(), d.libs.summary());
        }

        @Test
        void cublasGemmMatchesReference() {
            Device d = Device.get();
            GemmEngine gemm = d.libs.cublasGemm().orElse(null);
            assumeTrue(gemm != null, "cuBLAS not loaded: " + d.libs.summary());
            int m = 37, n = 29, k = 53;
            for (boolean ta : new boolean[]{false, true}) {
                for (boolean tb : new boolean[]{false, true}) {
                    for (double beta : new double[]{0, 0.5}) {
                        float[] a = d.random(m * k);
                        float[] b = d.random(k * n);
                        float[] c = beta == 0 ? filled(m * n, Float.NaN) : d.random(m * n);
                        double[] want = new double[m * n];
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                double s = 0;
                                for (int p = 0; p < k; p++) {
                                    s += (double) a[ta ? p * m + i : i * k + p] * b[tb ? j * k + p : p * n + j];
                                }
                                want[i * n + j] = 0.75 * s + (beta == 0 ? 0 : beta * c[i * n + j]);
                            }
                        }
                        DeviceStorage da = d.upload(a), db = d.upload(b), dc = d.upload(c);
                        gemm.gemm(ta, tb, m, n, k, 0.75, da, db, beta, dc);
                        assertCloseToScale("gemm transA=" + ta + " transB=" + tb + " beta=" + beta, want,
                                d.download(dc), 2e-5);
                    }
                }
            }
        }

        @Test
        void cudnnConvolutionMatchesReference() {
            Device d = Device.get();
            ConvEngine conv = d.libs.cudnnConv().orElse(null);
            assumeTrue(conv != null, "cuDNN not loaded: " + d.libs.summary());
            List<ConvGeometry> geometries = List.of(
                    new ConvGeometry(2, 3, 11, 9, 5, 3, 3, 1, 1),
                    new ConvGeometry(1, 4, 8, 8, 6, 9, 9, 1, 4),
                    new ConvGeometry(2, 3, 9, 7, 4, 3, 3, 2, 0),
                    new ConvGeometry(2, 64, 24, 24, 64, 3, 3, 1, 1),
                    new ConvGeometry(1, 64, 12, 12, 256, 3, 3, 1, 1));
            for (ConvGeometry g : geometries) {
                for (boolean bias : new boolean[]{true, false}) {
                    float[] x = d.random((int) g.inputSize());
                    float[] w = d.random((int) g.weightSize());
                    float[] b = d.random(g.outChannels());
                    float[] gy = d.random((int) g.outputSize());
                    float[] gx0 = d.random((int) g.inputSize());
                    float[] gw0 = d.random((int) g.weightSize());
                    ReferenceBackend ref = d.reference;
                    Storage rx = ref.upload(x), rw = ref.upload(w), rb = bias ? ref.upload(b) : null;
                    Storage ry = ref.allocate(g.outputSize()), rgy = ref.upload(gy);
                    Storage rgx = ref.upload(gx0), rgw = ref.upload(gw0);
                    ref.conv2d(g, rx, rw, rb, ry);
                    ref.conv2dBackwardData(g, rw, rgy, rgx);
                    ref.conv2dBackwardWeight(g, rx, rgy, rgw);

                    DeviceStorage dy = d.upload(filled((int) g.outputSize(), Float.NaN)); // forward assigns
                    DeviceStorage dgx = d.upload(gx0), dgw = d.upload(gw0);
                    conv.forward(g, d.upload(x), d.upload(w), bias ? d.upload(b) : null, dy);
                    conv.backwardData(g, d.upload(w), d.upload(gy), dgx);
                    conv.backwardWeight(g, d.upload(x), d.upload(gy), dgw);
                    String what = g + (bias ? " with bias" : "");
                    assertCloseToScale("conv forward " + what, ref.downloadDoubles(ry), d.download(dy), 2e-5);
                    assertCloseToScale("conv backward data (accumulated) " + what, ref.downloadDoubles(rgx),
                            d.download(dgx), 2e-5);
                    assertCloseToScale("conv backward weight (accumulated) " + what, ref.downloadDoubles(rgw),
                            d.download(dgw), 2e-5);
                }
            }
        }

        @Test
        void cudnnBatchNormMatchesReference() {
            Device d = Device.get();
            BatchNormEngine bn = d.libs.cudnnBatchNorm().orElse(null);
            assumeTrue(bn != null, "cuDNN not loaded: " + d.libs.summary());
            int[][] shapes = {{2, 3, 35}, {1, 64, 576}, {4, 5, 1}};
            for (int[] s : shapes) {
                int n = s[0], c = s[1], hw = s[2], size = n * c * hw;
                float[] x = d.random(size), gamma = d.random(c), beta = d.random(c), gy = d.random(size);
                float[] runMean = d.random(c), runVar = d.positive(c), gx0 = d.random(size);
                float[] gGamma0 = d.random(c), gBeta0 = d.random(c);
                String what = Arrays.toString(s);
                double momentum = 0.1, eps = 1e-5;
                for (boolean training : new boolean[]{true, false}) {
                    ReferenceBackend ref = d.reference;
                    Storage rx = ref.upload(x), rGamma = ref.upload(gamma), rBeta = ref.upload(beta);
                    Storage rMean = ref.upload(runMean), rVar = ref.upload(runVar), ry = ref.allocate(size);
                    Storage rSaveMean = ref.allocate(c), rSaveInv = ref.allocate(c);
                    DeviceStorage dMean = d.upload(runMean), dVar = d.upload(runVar);
                    DeviceStorage dy = d.upload(filled(size, Float.NaN));
                    DeviceStorage dSaveMean = d.upload(filled(c, Float.NaN)), dSaveInv = d.upload(filled(c, Float.NaN));
                    String mode = (training ? "train " : "eval ") + what;
                    if (training) {
                        ref.batchNormTrain(rx, rGamma, rBeta, rMean, rVar, momentum, eps, ry, rSaveMean, rSaveInv, n,
                                c, hw);
                        bn.train(d.upload(x), d.upload(gamma), d.upload(beta), dMean, dVar, momentum, eps, dy,
                                dSaveMean, dSaveInv, n, c, hw);
                        assertCloseToScale("running mean " + mode, ref.downloadDoubles(rMean), d.download(dMean), 2e-5);
                        assertCloseToScale("running var " + mode, ref.downloadDoubles(rVar), d.download(dVar), 2e-5);
                    } else {
                        ref.batchNormEval(rx, rGamma, rBeta, rMean, rVar, eps, ry, rSaveMean, rSaveInv, n, c, hw);
                        bn.eval(d.upload(x), d.upload(gamma), d.upload(beta), dMean, dVar, eps, dy, dSaveMean,
                                dSaveInv, n, c, hw);
                    }
                    assertCloseToScale("y " + mode, ref.downloadDoubles(ry), d.download(dy), 2e-5);
                    assertCloseToScale("saveMean " + mode, ref.downloadDoubles(rSaveMean), d.download(dSaveMean), 2e-5);
                    assertCloseToScale("saveInvStd " + mode, ref.downloadDoubles(rSaveInv), d.download(dSaveInv), 2e-5);
                    if (!training) continue; // the eval backward is delegated; see batchNormDelegation

                    // Backward from the saved statistics, accumulating; then once more without gGamma.
                    Storage rgx = ref.upload(gx0), rgGamma = ref.upload(gGamma0), rgBeta = ref.upload(gBeta0);
                    ref.batchNormBackward(true, rx, rGamma, rSaveMean, rSaveInv, ref.upload(gy), rgx, rgGamma,
                            rgBeta, n, c, hw);
                    DeviceStorage dgx = d.upload(gx0), dgGamma = d.upload(gGamma0), dgBeta = d.upload(gBeta0);
                    bn.backward(true, d.upload(x), d.upload(gamma), dSaveMean, dSaveInv, d.upload(gy), dgx, dgGamma,
                            dgBeta, n, c, hw);
                    assertCloseToScale("gx " + mode, ref.downloadDoubles(rgx), d.download(dgx), 2e-5);
                    assertCloseToScale("gGamma " + mode, ref.downloadDoubles(rgGamma), d.download(dgGamma), 2e-5);
                    assertCloseToScale("gBeta " + mode, ref.downloadDoubles(rgBeta), d.download(dgBeta), 2e-5);

                    DeviceStorage dgx2 = d.upload(gx0), dgBeta2 = d.upload(gBeta0);
                    bn.backward(true, d.upload(x), d.upload(gamma), dSaveMean, dSaveInv, d.upload(gy), dgx2, null,
                            dgBeta2, n, c, hw);
                    assertCloseToScale("gx without gGamma " + mode, ref.downloadDoubles(rgx), d.download(dgx2), 2e-5);
                    assertCloseToScale("gBeta without gGamma " + mode, ref.downloadDoubles(rgBeta),
                            d.download(dgBeta2), 2e-5);
                }
            }
        }

        /** What cuDNN does not cover goes to the own-kernel engine, and nothing else does. */
        @Test
        void batchNormDelegation() {
            Device d = Device.get();
            assumeTrue(d.libs.cudnnBatchNorm().isPresent(), "cuDNN not loaded: " + d.libs.summary());
            RecordingBatchNorm own = new RecordingBatchNorm();
            try (CudnnRoute route = new CudnnRoute(d.ctx, own, false, CudnnRoute.DEFAULT_WORKSPACE_LIMIT)) {
                int n = 2, c = 3, hw = 4, size = n * c * hw;
                DeviceStorage x = d.upload(d.random(size)), gy = d.upload(d.random(size));
                DeviceStorage gamma = d.upload(d.random(c)), beta = d.upload(d.random(c));
                DeviceStorage mean = d.upload(d.random(c)), var = d.upload(d.positive(c));
                DeviceStorage y = d.upload(new float[size]), gx = d.upload(new float[size]);
                DeviceStorage saveMean = d.upload(new float[c]), saveInv = d.upload(new float[c]);
                DeviceStorage gGamma = d.upload(new float[c]), gBeta = d.upload(new float[c]);

                route.train(x, gamma, beta, mean, var, 0.1, 1e-5, y, saveMean, saveInv, n, c, hw);
                route.backward(true, x, gamma, saveMean, saveInv, gy, gx, gGamma, gBeta, n, c, hw);
                route.backward(true, x, gamma, saveMean, saveInv, gy, gx, null, gBeta, n, c, hw);
                d.ctx.synchronize();
                assertEquals(List.of(), own.calls, "cuDNN covers these");

                route.train(x, gamma, beta, mean, var, 0.1, 1e-6, y, saveMean, saveInv, n, c, hw);
                route.eval(x, gamma, beta, mean, var, 1e-6, y, saveMean, saveInv, n, c, hw);
                route.backward(false, x, gamma, saveMean, saveInv, gy, gx, gGamma, gBeta, n, c, hw);
                route.backward(true, x, gamma, saveMean, saveInv, gy, null, gGamma, gBeta, n, c, hw);
                route.backward(true, x, gamma, saveMean, saveInv, gy, null, null, null, n, c, hw);
                assertEquals(List.of("train", "eval", "backward(eval)", "backward(train)"), own.calls);
            }
        }
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    private static final class RecordingBatchNorm implements BatchNormEngine {
        final List<String> calls = new ArrayList<>();

        @Override
        public void train(DeviceStorage x, DeviceStorage gamma, DeviceStorage beta, DeviceStorage runMean,
                          DeviceStorage runVar, double momentum, double eps, DeviceStorage y, DeviceStorage saveMean,
                          DeviceStorage saveInvStd, int n, int c, int hw) {
            calls.add("train");
        }

        @Override
        public void eval(DeviceStorage x, DeviceStorage gamma, DeviceStorage beta, DeviceStorage runMean,
                         DeviceStorage runVar, double eps, DeviceStorage y, DeviceStorage saveMean,
                         DeviceStorage saveInvStd, int n, int c, int hw) {
            calls.add("eval");
        }

        @Override
        public void backward(boolean training, DeviceStorage x, DeviceStorage gamma, DeviceStorage saveMean,
                             DeviceStorage saveInvStd, DeviceStorage gy, DeviceStorage gx, DeviceStorage gGamma,
                             DeviceStorage gBeta, int n, int c, int hw) {
            calls.add(training ? "backward(train)" : "backward(eval)");
        }
    }

    /**
     * One context and one set of libraries for every device test, made on first use and closed after the
     * class. The real own-kernel batch-norm engine is not needed here: the parity tests stay on cuDNN's
     * paths, and delegation is checked with a recorder.
     */
    private static final class Device {
        private static Device instance;
        private static String unavailable;

        final CudaContext ctx;
        final DeviceAllocator allocator;
        final CudaLibraries libs;
        final ReferenceBackend reference = new ReferenceBackend();
        final List<DeviceStorage> storages = new ArrayList<>();
        final Random random = new Random(20240611);

        private Device(CudaContext ctx) {
            this.ctx = ctx;
            this.allocator = new DeviceAllocator(ctx);
            this.libs = CudaLibraries.detect(ctx, new RecordingBatchNorm());
        }

        static synchronized Device get() {
            if (instance == null && unavailable == null) {
                try {
                    instance = new Device(new CudaContext(0));
                } catch (Throwable t) { // no driver, no device: the device tests do not apply here
                    unavailable = t.getClass().getSimpleName() + ": " + String.valueOf(t.getMessage()).lines()
                            .findFirst().orElse("");
                }
            }
            assumeTrue(instance != null, "no CUDA device: " + unavailable);
            return instance;
        }

        float[] random(int n) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) a[i] = random.nextFloat() * 2 - 1;
            return a;
        }

        float[] positive(int n) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) a[i] = 0.25f + random.nextFloat();
            return a;
        }

        DeviceStorage upload(float[] data) {
            DeviceStorage s = allocator.allocate(null, data.length);
            storages.add(s);
            if (data.length > 0) cuMemcpyHtoD(s.pointer(), Pointer.to(data), (long) data.length * Float.BYTES);
            return s;
        }

        double[] download(DeviceStorage s) {
            ctx.synchronize();
            float[] f = new float[(int) s.size()];
            if (f.length > 0) cuMemcpyDtoH(Pointer.to(f), s.pointer(), (long) f.length * Float.BYTES);
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            return d;
        }

        static synchronized void shutdown() {
            if (instance == null) return;
            instance.storages.forEach(DeviceStorage::close);
            instance.libs.close();
            instance.allocator.emptyCache();
            instance.ctx.close();
            instance = null;
        }
    }

    @AfterAll
    static void closeDevice() {
        Device.shutdown();
    }
}
