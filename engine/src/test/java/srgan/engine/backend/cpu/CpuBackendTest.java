package srgan.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import srgan.engine.backend.AdamHyper;
import srgan.engine.backend.Backend;
import srgan.engine.backend.Backends;
import srgan.engine.backend.BinaryOp;
import srgan.engine.backend.ConvGeometry;
import srgan.engine.backend.LossKind;
import srgan.engine.backend.PoolGeometry;
import srgan.engine.backend.Storage;
import srgan.engine.backend.UnaryOp;

/**
 * The CPU backend on small cases worked out by hand: storage life cycle, the PyTorch conventions at the
 * edges (gradients at 0, pooling ties, stable BCE), accumulation into gradients, and thread-count
 * independence. Numerical parity over random shapes is {@link CpuBackendPrimitiveParityTest}.
 */
class CpuBackendTest {
    private final CpuBackend backend = new CpuBackend(3);

    @AfterEach
    void close() {
        backend.close();
    }

    private Storage of(float... values) {
        return backend.upload(values);
    }

    private float[] get(Storage s) {
        return backend.download(s);
    }

    // ---- backend, provider, storage ----

    @Test
    void describesItselfWithThreadCountAndKernels() {
        assertEquals("cpu", backend.name());
        // The vector kernels run when this JVM has the Vector API (surefire adds the module); the scalar
        // fallback says how to get them.
        String kernels = backend.usesVectors() ? VectorPath.describeVectors()
                : "scalar fallback: run with --add-modules jdk.incubator.vector";
        assertEquals("cpu backend (float32, 3 threads, " + kernels + ")", backend.describe());
        try (CpuBackend one = new CpuBackend(1, false)) {
            assertEquals("cpu backend (float32, 1 thread, scalar fallback: run with --add-modules "
                    + "jdk.incubator.vector)", one.describe());
            assertFalse(one.usesVectors());
        }
        assertThrows(IllegalArgumentException.class, () -> new CpuBackend(0));
    }

    @Test
    void vectorKernelsRunWhereverTheModuleIsPresent() {
        boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        assertEquals(present && VectorPath.lanes() >= 8, backend.usesVectors());
        if (backend.usesVectors()) assertTrue(backend.describe().endsWith(" vectors)"), backend.describe());
        String old = System.getProperty(VectorPath.PROPERTY);
        System.setProperty(VectorPath.PROPERTY, "false");
        try (CpuBackend off = new CpuBackend(2)) {
            assertFalse(off.usesVectors());
        } finally {
            if (old == null) System.clearProperty(VectorPath.PROPERTY);
            else System.setProperty(VectorPath.PROPERTY, old);
        }
    }

    @Test
    void providerReadsThreadsProperty() {
        CpuBackendProvider provider = new CpuBackendProvider();
        assertEquals("cpu", provider.name());
        assertTrue(provider.isAvailable());
        assertEquals("", provider.unavailableReason());
        assertEquals(Runtime.getRuntime().availableProcessors(), CpuBackendProvider.threads(null));
        assertEquals(5, CpuBackendProvider.threads(" 5 "));
        assertThrows(IllegalArgumentException.class, () -> CpuBackendProvider.threads("0"));
        assertThrows(IllegalArgumentException.class, () -> CpuBackendProvider.threads("many"));
        String old = System.getProperty(CpuBackendProvider.THREADS_PROPERTY);
        System.setProperty(CpuBackendProvider.THREADS_PROPERTY, "2");
        try (Backend b = provider.create()) {
            assertTrue(b.describe().startsWith("cpu backend (float32, 2 threads, "), b.describe());
        } finally {
            if (old == null) System.clearProperty(CpuBackendProvider.THREADS_PROPERTY);
            else System.setProperty(CpuBackendProvider.THREADS_PROPERTY, old);
        }
    }

    @Test
    void foundByNameThroughServiceLoader() {
        try (Backend b = Backends.create("cpu")) {
            assertTrue(b instanceof CpuBackend, b.describe());
        }
    }

    @Test
    void storageLifeCycle() {
        Storage s = backend.allocate(4);
        assertEquals(4, s.size());
        assertSame(backend, s.backend());
        assertArrayEquals(new float[4], get(s));
        backend.fill(s, 2.5);
        assertArrayEquals(new double[]{2.5, 2.5, 2.5, 2.5}, backend.downloadDoubles(s));
        float[] source = {1, 2, 3};
        Storage u = backend.upload(source);
        source[0] = 99;   // upload copies
        assertArrayEquals(new float[]{1, 2, 3}, get(u));
        assertArrayEquals(new float[]{0.1f, 3}, get(backend.uploadDoubles(new double[]{0.1, 3})));
        backend.copy(u, 1, s, 2, 2);
        assertArrayEquals(new float[]{2.5f, 2.5f, 2, 3}, get(s));
        backend.copy(s, 0, s, 1, 3);   // overlapping, as memmove
        assertArrayEquals(new float[]{2.5f, 2.5f, 2.5f, 2}, get(s));

        assertFalse(s.isClosed());
        s.close();
        s.close();   // idempotent
        assertTrue(s.isClosed());
        assertEquals(4, s.size());
        assertThrows(IllegalStateException.class, () -> backend.download(s));
        assertThrows(IllegalStateException.class, () -> backend.fill(s, 0));
    }

    @Test
    void preluBackwardIntoAFreshBufferEqualsAccumulatingIntoZeros() {
        int n = 2;
        int c = 4;
        int hw = ArrayPool.MIN_FLOATS / 2;   // n * c * hw floats: large enough to be pooled
        int size = n * c * hw;
        java.util.Random random = new java.util.Random(7);
        float[] x = new float[size];
        float[] gy = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = random.nextFloat() * 2 - 1;
            gy[i] = random.nextFloat() * 2 - 1;
        }
        for (boolean vectors : new boolean[]{true, false}) {
            try (CpuBackend b = new CpuBackend(2, vectors)) {
                Storage xs = b.upload(x);
                Storage gys = b.upload(gy);
                Storage alpha = b.upload(new float[]{0.25f, -0.5f, 0.125f, 3f});
                // Accumulating into explicit zeros...
                Storage zeros = b.upload(new float[size]);
                Storage alphaGradA = b.upload(new float[c]);
                b.preluBackward(xs, alpha, c, gys, zeros, alphaGradA, n, c, hw);
                // ...and into a buffer fresh from the pool, whose zeros are not written yet (it holds sevens).
                b.upload(filled(size, 7)).close();   // the pool now holds an array of sevens
                Storage fresh = b.allocate(size);
                assertEquals(0, b.bytesPooled(), "the pooled array was taken");
                Storage alphaGradB = b.upload(new float[c]);
                b.preluBackward(xs, alpha, c, gys, fresh, alphaGradB, n, c, hw);
                assertArrayEquals(b.download(zeros), b.download(fresh), "gx, vectors " + vectors);
                assertArrayEquals(b.download(alphaGradA), b.download(alphaGradB), "alpha gradient, vectors " + vectors);
            }
        }
    }

    @Test
    void convolutionInputGradientIntoAFreshBufferEqualsAccumulatingIntoZeros() {
        // The two kinds of layer whose input gradient is written over a fresh buffer: Winograd's (3x3, stride 1,
        // 64 channels) and a stride-2 layer with even sizes (all four phases); gx has 64 x 16 x 16 floats, enough
        // to be pooled.
        for (int stride : new int[]{1, 2}) {
            srgan.engine.backend.ConvGeometry g = new srgan.engine.backend.ConvGeometry(1, 64, 16, 16, 64, 3, 3, stride, 1);
            java.util.Random random = new java.util.Random(11);
            float[] w = new float[(int) g.weightSize()];
            float[] gy = new float[(int) g.outputSize()];
            for (int i = 0; i < w.length; i++) w[i] = random.nextFloat() - 0.5f;
            for (int i = 0; i < gy.length; i++) gy[i] = random.nextFloat() - 0.5f;
            int size = (int) g.inputSize();
            assertTrue(size >= ArrayPool.MIN_FLOATS);
            for (boolean vectors : new boolean[]{true, false}) {
                try (CpuBackend b = new CpuBackend(2, vectors)) {
                    Storage ws = b.upload(w);
                    Storage gys = b.upload(gy);
                    Storage zeros = b.upload(new float[size]);
                    b.conv2dBackwardData(g, ws, gys, zeros);
                    b.upload(filled(size, 7)).close();   // the pool now holds an array of sevens
                    Storage fresh = b.allocate(size);
                    assertEquals(0, b.bytesPooled(), "the pooled array was taken");
                    b.conv2dBackwardData(g, ws, gys, fresh);
                    assertArrayEquals(b.download(zeros), b.download(fresh), "stride " + stride + ", vectors " + vectors);
                }
            }
        }
    }

    @Test
    void fusedBatchNormPreluMatchesTheComposedPrimitives() {
        // Planes of 50x50: two chunks of y each.
        int n = 16;
        int c = 3;
        int hw = 50 * 50;
        int size = n * c * hw;
        try (CpuBackend b = new CpuBackend(2)) {
            org.junit.jupiter.api.Assumptions.assumeTrue(b.fusesBatchNormPrelu(), "only the vector path fuses");
            java.util.Random random = new java.util.Random(12);
            float[] x = new float[size];
            float[] gz = new float[size];
            for (int i = 0; i < size; i++) {
                x[i] = (float) (random.nextGaussian() * 2 + 0.5);
                gz[i] = (float) random.nextGaussian();
            }
            for (int slopes : new int[]{1, c}) {
                float[] alpha = new float[slopes];
                for (int i = 0; i < slopes; i++) alpha[i] = 0.1f + 0.1f * i;
                float[][] fused = batchNormPrelu(b, true, x, gz, alpha, n, c, hw);
                float[][] composed = batchNormPrelu(b, false, x, gz, alpha, n, c, hw);
                String what = slopes == 1 ? "shared slope" : "slope per channel";
                assertArrayEquals(composed[0], fused[0], what + ": z");
                assertArrayEquals(composed[1], fused[1], what + ": running mean and variance");
                assertArrayEquals(composed[2], fused[2], 1e-6f, what + ": gx");
                assertArrayEquals(composed[3], fused[3], 1e-3f, what + ": gamma, beta and slope gradients");
            }
        }
    }

    /** z, the running statistics, gx, and the gamma, beta and alpha gradients, fused or from the two ops' primitives. */
    private static float[][] batchNormPrelu(CpuBackend b, boolean fused, float[] x, float[] gz, float[] alpha, int n,
                                            int c, int hw) {
        int size = n * c * hw;
        float[] gamma = new float[c];
        float[] beta = new float[c];
        for (int ch = 0; ch < c; ch++) {
            gamma[ch] = 0.8f + 0.2f * ch;
            beta[ch] = 0.1f * ch - 0.1f;
        }
        try (Storage xs = b.upload(x); Storage gzs = b.upload(gz); Storage as = b.upload(alpha);
             Storage gs = b.upload(gamma); Storage bs = b.upload(beta); Storage rm = b.upload(new float[c]);
             Storage rv = b.upload(filled(c, 1)); Storage sm = b.allocate(c); Storage si = b.allocate(c);
             Storage z = b.allocate(size); Storage gx = b.upload(new float[size]); Storage gg = b.upload(new float[c]);
             Storage gb = b.upload(new float[c]); Storage ga = b.upload(new float[alpha.length])) {
            if (fused) {
                b.batchNormPreluTrain(xs, gs, bs, rm, rv, 0.1, 1e-5, as, alpha.length, z, sm, si, n, c, hw);
                b.batchNormPreluBackward(xs, gs, bs, sm, si, as, alpha.length, gzs, gx, gg, gb, ga, n, c, hw);
            } else {
                try (Storage y = b.allocate(size); Storage gy = b.upload(new float[size])) {
                    b.batchNormTrain(xs, gs, bs, rm, rv, 0.1, 1e-5, y, sm, si, n, c, hw);
                    b.prelu(y, as, alpha.length, z, n, c, hw);
                    b.preluBackward(y, as, alpha.length, gzs, gy, ga, n, c, hw);
                    b.batchNormBackward(true, xs, gs, sm, si, gy, gx, gg, gb, n, c, hw);
                }
            }
            float[] stats = concat(b.download(rm), b.download(rv));
            float[] grads = concat(concat(b.download(gg), b.download(gb)), b.download(ga));
            return new float[][]{b.download(z), stats, b.download(gx), grads};
        }
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void peakBytesInUseIsTheMostHeldAtOnce() {
        int n = ArrayPool.MIN_FLOATS;
        long base = backend.bytesInUse();
        backend.resetPeakBytesInUse();
        Storage a = backend.allocate(n);
        Storage b = backend.allocate(2L * n);
        a.close();
        Storage c = backend.allocate(n);
        assertEquals(base + 4L * 3 * n, backend.peakBytesInUse(), "a and b were open together");
        b.close();
        c.close();
        assertEquals(base, backend.bytesInUse());
        backend.resetPeakBytesInUse();
        assertEquals(base, backend.peakBytesInUse(), "a reset starts from what is in use");
    }

    @Test
    void thePoolAndTheOpenStoragesShareOneBudget() {
        int n = ArrayPool.MIN_FLOATS;
        ArrayPool pool = new ArrayPool(4L * n);
        pool.give(new float[n], 2L * n);
        pool.give(new float[n], 2L * n);
        assertEquals(2L * n, pool.retainedFloats(), "room for two beside 2n live floats");
        pool.give(new float[n], 2L * n);
        assertEquals(2L * n, pool.retainedFloats(), "a third would exceed the budget");
        pool.give(new float[2 * n], n);
        assertEquals(2L * n, pool.retainedFloats(), "the older size was dropped to make room for the new one");
        assertTrue(pool.take(n) == null, "no array of n floats is left");
        assertEquals(2 * n, pool.take(2 * n).length);
        assertEquals(0, pool.retainedFloats());
    }

    @Test
    void pooledArraysComeBackAsZerosUnlessOverwritten() {
        int n = ArrayPool.MIN_FLOATS * 2;
        float[] sevens = new float[n];
        java.util.Arrays.fill(sevens, 7);
        Storage first = backend.upload(sevens);
        first.close();
        // The closed array is reused: read, it is zeros.
        Storage zeros = backend.allocate(n);
        assertTrue(backend.bytesPooled() == 0, "the pooled array was taken");
        assertArrayEquals(new float[n], get(zeros));
        zeros.close();
        // Accumulated into, it starts from zeros.
        Storage gx = backend.allocate(n);
        Storage ones = backend.upload(filled(n, 1));
        backend.unaryBackward(UnaryOp.SCALE, 2, null, null, ones, gx, n);
        assertArrayEquals(filled(n, 2), get(gx));
        gx.close();
        // Overwritten by a forward primitive, it needs no zeros first and holds exactly the result.
        Storage y = backend.allocate(n);
        backend.unary(UnaryOp.ADD_SCALAR, 3, ones, y, n);
        assertArrayEquals(filled(n, 4), get(y));
        // Partly overwritten, the rest is zeros.
        Storage part = backend.allocate(n);
        y.close();
        Storage partial = backend.allocate(n);
        backend.unary(UnaryOp.ADD_SCALAR, 3, ones, partial, n / 2);
        float[] want = new float[n];
        java.util.Arrays.fill(want, 0, n / 2, 4);
        assertArrayEquals(want, get(partial));
        part.close();
    }

    private static float[] filled(int n, float v) {
        float[] f = new float[n];
        java.util.Arrays.fill(f, v);
        return f;
    }

    @Test
    void rejectsStorageOfAnotherBackend() {
        try (CpuBackend other = new CpuBackend(1)) {
            Storage foreign = other.allocate(3);
            Storage mine = backend.allocate(3);
            assertThrows(IllegalArgumentException.class, () -> backend.download(foreign));
            assertThrows(IllegalArgumentException.class,
                    () -> backend.unary(UnaryOp.RELU, 0, foreign, mine, 3));
        }
    }

    @Test
    void closedBackendRefusesWork() {
        CpuBackend b = new CpuBackend(2);
        Storage s = b.allocate(2);
        b.close();
        b.close();
        assertThrows(IllegalStateException.class, () -> b.allocate(1));
        assertThrows(IllegalStateException.class, () -> b.download(s));
    }

    @Test
    void parallelRunsEveryItemOnceAndRethrows() {
        try (Parallel p = new Parallel(4)) {
            int[] hits = new int[1000];
            p.forEach(hits.length, i -> hits[i]++);
            for (int h : hits) assertEquals(1, h);
            AtomicInteger sum = new AtomicInteger();
            p.forRange(100_000, 7, (from, to) -> sum.addAndGet(to - from));
            assertEquals(100_000, sum.get());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.forEach(50, i -> {
                if (i == 17) throw new IllegalStateException("item 17");
            }));
            assertEquals("item 17", e.getMessage());
            // A nested loop from inside an item must not wait behind its own pool.
            int[] nested = new int[64];
            p.forEach(8, i -> p.forEach(8, j -> nested[i * 8 + j]++));
            for (int h : nested) assertEquals(1, h);
        }
    }

    // ---- element-wise, at PyTorch's edge conventions ----

    @Test
    void reluAndLeakyReluGradientsAtZero() {
        Storage x = of(-1, 0, 2);
        Storage y = backend.allocate(3);
        backend.unary(UnaryOp.LEAKY_RELU, 0.25, x, y, 3);
        assertArrayEquals(new float[]{-0.25f, 0, 2}, get(y));
        Storage gx = of(10, 10, 10);
        backend.unaryBackward(UnaryOp.RELU, 0, x, null, of(1, 1, 1), gx, 3);
        assertArrayEquals(new float[]{10, 10, 11}, get(gx));   // relu'(0) = 0, accumulated
        backend.unaryBackward(UnaryOp.LEAKY_RELU, 0.25, x, null, of(4, 4, 4), gx, 3);
        assertArrayEquals(new float[]{11, 11, 15}, get(gx));   // leaky'(0) = alpha
        backend.unaryBackward(UnaryOp.SCALE, 3, null, null, of(1, 2, 3), gx, 3);
        assertArrayEquals(new float[]{14, 17, 24}, get(gx));
        backend.unaryBackward(UnaryOp.TANH, 0, null, null, of(1, 1, 1), null, 3);   // null gx: skipped
    }

    @Test
    void binaryBroadcastsPerChannelAndMayWriteInPlace() {
        // a [2, 2, 1, 2] + b [1, 2, 1, 1], written into a.
        Storage a = of(1, 2, 3, 4, 5, 6, 7, 8);
        backend.binary(BinaryOp.ADD, a, new int[]{2, 2, 1, 2}, of(10, 20), new int[]{1, 2, 1, 1}, a,
                new int[]{2, 2, 1, 2});
        assertArrayEquals(new float[]{11, 12, 23, 24, 15, 16, 27, 28}, get(a));
        // [2, 1] - [1, 3] = [2, 3] (both operands broadcast).
        Storage out = backend.allocate(6);
        backend.binary(BinaryOp.SUB, of(1, 2), new int[]{2, 1}, of(10, 20, 30), new int[]{1, 3}, out,
                new int[]{2, 3});
        assertArrayEquals(new float[]{-9, -19, -29, -8, -18, -28}, get(out));
    }

    @Test
    void sumToReducesAndAccumulates() {
        // src [2, 3]: [[1, 2, 3], [4, 5, 6]].
        Storage src = of(1, 2, 3, 4, 5, 6);
        Storage rows = of(100, 100);
        backend.sumTo(src, new int[]{2, 3}, rows, new int[]{2, 1}, 1);
        assertArrayEquals(new float[]{106, 115}, get(rows));
        Storage cols = of(0, 0, 0);
        backend.sumTo(src, new int[]{2, 3}, cols, new int[]{1, 3}, 0.5);
        assertArrayEquals(new float[]{2.5f, 3.5f, 4.5f}, get(cols));
        Storage all = of(1);
        backend.sumTo(src, new int[]{2, 3}, all, new int[]{1, 1}, -1);
        assertArrayEquals(new float[]{-20}, get(all));
    }

    @Test
    void preluGradientSplitsBySign() {
        // n=1, c=2, hw=2; alpha per channel.
        Storage x = of(-2, 3, 4, -1);
        Storage alpha = of(0.5f, 0.25f);
        Storage y = backend.allocate(4);
        backend.prelu(x, alpha, 2, y, 1, 2, 2);
        assertArrayEquals(new float[]{-1, 3, 4, -0.25f}, get(y));
        Storage gx = backend.allocate(4);
        Storage ga = of(1, 1);
        backend.preluBackward(x, alpha, 2, of(1, 2, 3, 4), gx, ga, 1, 2, 2);
        assertArrayEquals(new float[]{0.5f, 2, 3, 1}, get(gx));
        assertArrayEquals(new float[]{1 - 2, 1 - 4}, get(ga));
        Storage shared = of(0);
        backend.preluBackward(x, of(0.5f), 1, of(1, 2, 3, 4), null, shared, 1, 2, 2);
        assertArrayEquals(new float[]{-6}, get(shared));
    }

    // ---- convolution: the reference test's hand-worked case, x 3x3, asymmetric kernel, stride 2, pad 1 ----

    private static final ConvGeometry STRIDED = new ConvGeometry(1, 1, 3, 3, 1, 3, 3, 2, 1);
    private static final float[] X = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    private static final float[] W = {1, 0, -1, 2, 1, 0, 0, 1, 1};

    @Test
    void conv2dStrideTwoPaddingOne() {
        Storage y = backend.allocate(4);
        backend.conv2d(STRIDED, of(X), of(W), of(0.5f), y);
        assertArrayEquals(new float[]{10.5f, 13.5f, 2.5f, 30.5f}, get(y));
        backend.conv2d(STRIDED, of(X), of(W), null, y);
        assertArrayEquals(new float[]{10, 13, 2, 30}, get(y));
    }

    @Test
    void conv2dBackwardPassesAccumulate() {
        Storage gx = of(0, 0, 0, 0, 0, 0, 0, 0, 100);
        backend.conv2dBackwardData(STRIDED, of(W), of(1, 2, 3, 4), gx);
        // Adjointness: <x, gx - 100 e_8> = 162 = <conv(x), gy> = 10 + 26 + 6 + 120.
        assertArrayEquals(new float[]{1, 4, 2, 1, 2, 2, 3, 8, 104}, get(gx));
        Storage gw = of(0, 0, 0, 0, 0, 0, 0, 0, -5);
        backend.conv2dBackwardWeight(STRIDED, of(X), of(1, 2, 3, 4), gw);
        assertArrayEquals(new float[]{20, 36, 15, 36, 64, 26, 10, 16, 0}, get(gw));
    }

    @Test
    void convBackwardDataWhenStrideSkipsInputs() {
        // A 1x1 kernel with stride 2 never reads odd rows or columns: their gradient stays as it was.
        ConvGeometry g = new ConvGeometry(1, 1, 3, 3, 1, 1, 1, 2, 0);
        Storage gx = of(1, 1, 1, 1, 1, 1, 1, 1, 1);
        backend.conv2dBackwardData(g, of(2), of(1, 2, 3, 4), gx);
        assertArrayEquals(new float[]{3, 1, 5, 1, 1, 1, 7, 1, 9}, get(gx));
    }

    // ---- batch norm ----

    @Test
    void batchNormTrainUsesBiasedVarianceAndUpdatesRunningUnbiased() {
        // One channel, values 1..4: mean 2.5, biased var 1.25, unbiased 5/3.
        Storage x = of(1, 2, 3, 4);
        Storage rm = of(0);
        Storage rv = of(1);
        Storage y = backend.allocate(4);
        Storage mean = backend.allocate(1);
        Storage inv = backend.allocate(1);
        backend.batchNormTrain(x, of(2), of(1), rm, rv, 0.1, 0, y, mean, inv, 1, 1, 4);
        double s = 1 / Math.sqrt(1.25);
        assertArrayEquals(new float[]{(float) (1 - 3 * s), (float) (1 - s), (float) (1 + s), (float) (1 + 3 * s)},
                get(y));
        assertArrayEquals(new float[]{2.5f}, get(mean));
        assertArrayEquals(new float[]{(float) s}, get(inv));
        assertArrayEquals(new float[]{0.25f}, get(rm));
        assertArrayEquals(new float[]{(float) (0.9 + 0.1 * 5 / 3.0)}, get(rv));
        assertThrows(IllegalArgumentException.class,
                () -> backend.batchNormTrain(of(1), of(1), of(0), of(0), of(1), 0.1, 1e-5, y, mean, inv, 1, 1, 1));
    }

    @Test
    void batchNormBackwardTrainingRemovesMeanAndProjection() {
        Storage x = of(1, 2, 3, 4);
        double inv = 1 / Math.sqrt(1.25);
        Storage gx = backend.allocate(4);
        Storage gGamma = of(0);
        Storage gBeta = of(0);
        // gy constant: its mean is all of it, so gx = 0; gGamma = sum(xhat) = 0; gBeta = 4.
        backend.batchNormBackward(true, x, of(2), of(2.5f), of((float) inv), of(1, 1, 1, 1), gx, gGamma, gBeta,
                1, 1, 4);
        assertArrayEquals(new float[4], get(gx), 1e-6f);
        assertArrayEquals(new float[]{0}, get(gGamma), 1e-6f);
        assertArrayEquals(new float[]{4}, get(gBeta));
        // gy = xhat: gx = gamma*inv*(xhat - xhat*mean(xhat^2)) = 0 as mean(xhat^2) = 1; gGamma += 4.
        float[] xhat = {(float) (-1.5 * inv), (float) (-0.5 * inv), (float) (0.5 * inv), (float) (1.5 * inv)};
        backend.batchNormBackward(true, x, of(2), of(2.5f), of((float) inv), of(xhat), gx, gGamma, null, 1, 1, 4);
        assertArrayEquals(new float[4], get(gx), 1e-6f);
        assertArrayEquals(new float[]{4}, get(gGamma), 1e-6f);
        // Eval: statistics are constants, gx = gamma * inv * gy.
        Storage gxEval = backend.allocate(4);
        backend.batchNormBackward(false, x, of(2), of(2.5f), of((float) inv), of(1, 0, 0, -1), gxEval, null, null,
                1, 1, 4);
        assertArrayEquals(new float[]{(float) (2 * inv), 0, 0, (float) (-2 * inv)}, get(gxEval), 1e-6f);
    }

    // ---- layout and pooling ----

    @Test
    void pixelShuffleMatchesPyTorchLayout() {
        // x [1, 4, 1, 1] with r = 2 becomes y [1, 1, 2, 2] = [[x0, x1], [x2, x3]].
        Storage y = backend.allocate(4);
        backend.pixelShuffle(of(1, 2, 3, 4), y, 1, 4, 1, 1, 2);
        assertArrayEquals(new float[]{1, 2, 3, 4}, get(y));
        // x [1, 4, 1, 2]: y[0][h*2+i][w*2+j] = x[i*2+j][0][w].
        Storage y2 = backend.allocate(8);
        backend.pixelShuffle(of(1, 2, 3, 4, 5, 6, 7, 8), y2, 1, 4, 1, 2, 2);
        assertArrayEquals(new float[]{1, 3, 2, 4, 5, 7, 6, 8}, get(y2));
        Storage gx = of(1, 1, 1, 1, 1, 1, 1, 1);
        backend.pixelShuffleBackward(of(1, 3, 2, 4, 5, 7, 6, 8), gx, 1, 4, 1, 2, 2);
        assertArrayEquals(new float[]{2, 3, 4, 5, 6, 7, 8, 9}, get(gx));
    }

    @Test
    void copyChannelsCopiesOrAccumulates() {
        // src [2, 2, hw=1] channel 1 into dst [2, 3, 1] channel 2.
        Storage dst = of(0, 0, 9, 0, 0, 9);
        backend.copyChannels(of(1, 2, 3, 4), 2, 1, dst, 3, 2, 1, 2, 1, false);
        assertArrayEquals(new float[]{0, 0, 2, 0, 0, 4}, get(dst));
        backend.copyChannels(of(1, 2, 3, 4), 2, 0, dst, 3, 1, 2, 2, 1, true);
        assertArrayEquals(new float[]{0, 1, 4, 0, 3, 8}, get(dst));
    }

    @Test
    void maxPoolTiesGoToFirstAndPaddingNeverWins() {
        // 2x2 input of equal values, kernel 2, stride 1, padding 1: every window's first in-bounds element.
        PoolGeometry g = new PoolGeometry(1, 1, 2, 2, 2, 1, 1);
        Storage x = of(-5, -5, -5, -5);
        Storage y = backend.allocate(9);
        backend.maxPool2d(g, x, y);
        assertArrayEquals(new float[]{-5, -5, -5, -5, -5, -5, -5, -5, -5}, get(y));
        Storage gx = backend.allocate(4);
        backend.maxPool2dBackward(g, x, of(1, 2, 3, 4, 5, 6, 7, 8, 9), gx);
        // In-bounds windows, row by row: {0} {0,1} {1} | {0,2} {0,1,2,3} {1,3} | {2} {2,3} {3}; the first wins.
        assertArrayEquals(new float[]{1 + 2 + 4 + 5, 3 + 6, 7 + 8, 9}, get(gx));
        // All minus infinity still selects a real element, not padding.
        Storage inf = of(Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.NEGATIVE_INFINITY);
        Storage gInf = backend.allocate(4);
        backend.maxPool2dBackward(g, inf, of(1, 1, 1, 1, 1, 1, 1, 1, 1), gInf);
        assertArrayEquals(new float[]{4, 2, 2, 1}, get(gInf));
    }

    // ---- dense, losses, optimiser ----

    @Test
    void gemmWithBetaZeroDoesNotReadC() {
        // A [2x3] * B [3x2]; C starts as NaN, which beta = 0 must not propagate.
        Storage a = of(1, 2, 3, 4, 5, 6);
        Storage b = of(1, 0, 0, 1, 1, 1);
        Storage c = of(Float.NaN, Float.NaN, Float.NaN, Float.NaN);
        backend.gemm(false, false, 2, 2, 3, 1, a, b, 0, c);
        assertArrayEquals(new float[]{4, 5, 10, 11}, get(c));
        // Both transposed: a read as stored [3x2] gives op(A) = [[1,3,5],[2,4,6]]; [[1,0,1],[0,1,1]] stored
        // [2x3] gives op(B) = [[1,0],[0,1],[1,1]]; op(A) op(B) = [[6,8],[8,10]]; C = 2 * that + 1 * C.
        Storage c2 = of(1, 1, 1, 1);
        backend.gemm(true, true, 2, 2, 3, 2, a, of(1, 0, 1, 0, 1, 1), 1, c2);
        assertArrayEquals(new float[]{1 + 2 * 6, 1 + 2 * 8, 1 + 2 * 8, 1 + 2 * 10}, get(c2));
    }

    @Test
    void lossesAndTheirGradients() {
        Storage x = of(1, 2, 3);
        Storage t = of(1, 0, 5);
        Storage out = backend.allocate(1);
        backend.loss(LossKind.MSE, x, t, 3, out);
        assertArrayEquals(new float[]{8 / 3f}, get(out));
        backend.loss(LossKind.L1, x, t, 3, out);
        assertArrayEquals(new float[]{4 / 3f}, get(out));
        Storage gx = of(0, 0, 0);
        Storage gt = of(0, 0, 0);
        backend.lossBackward(LossKind.L1, x, t, 3, of(3), gx, gt);
        assertArrayEquals(new float[]{0, 1, -1}, get(gx));   // sign(0) = 0
        assertArrayEquals(new float[]{0, -1, 1}, get(gt));
        // BCE with logits at +-100: finite, and the stable form gives exactly 0 and 100 (+ log1p(e^-100)).
        Storage logits = of(100, -100);
        backend.loss(LossKind.BCE_WITH_LOGITS, logits, of(1, 1), 2, out);
        assertEquals(50f, get(out)[0], 1e-5f);
        Storage gl = of(0, 0);
        backend.lossBackward(LossKind.BCE_WITH_LOGITS, logits, of(1, 1), 2, of(1), gl, null);
        assertArrayEquals(new float[]{0, -0.5f}, get(gl), 1e-7f);
    }

    @Test
    void adamFirstStepMovesEachParameterByLr() {
        // Step 1 with bias correction: mh = g, vh = g^2, so p -= lr * g / (|g| + eps) = lr * sign(g).
        Storage p = of(1, 1, 1);
        Storage g = of(0.5f, -2, 0);
        Storage m = backend.allocate(3);
        Storage v = backend.allocate(3);
        backend.adamStep(List.of(p), List.of(g), List.of(m), List.of(v),
                new AdamHyper(0.1, 0.9, 0.999, 1e-12, 0, true, 1));
        assertArrayEquals(new float[]{0.9f, 1.1f, 1}, get(p), 1e-6f);
        assertArrayEquals(new float[]{0.05f, -0.2f, 0}, get(m), 1e-7f);
        assertArrayEquals(new float[]{0.00025f, 0.004f, 0}, get(v), 1e-9f);
    }

    // ---- determinism ----

    @Test
    void resultsDoNotDependOnThreadCount() {
        java.util.Random rng = new java.util.Random(7);
        // Stride 2 on 40x37: 20x19 outputs, two pixel tiles per image; 19 channels, not a multiple of 8.
        ConvGeometry g = new ConvGeometry(2, 19, 40, 37, 21, 3, 3, 2, 1);
        float[] x = random(rng, (int) g.inputSize());
        float[] w = random(rng, (int) g.weightSize());
        float[] gy = random(rng, (int) g.outputSize());
        float[] gamma = random(rng, 19);
        float[][] results = new float[2][];
        int[] counts = {1, 3};
        for (int r = 0; r < 2; r++) {
            try (CpuBackend b = new CpuBackend(counts[r])) {
                Storage y = b.allocate(g.outputSize());
                b.conv2d(g, b.upload(x), b.upload(w), null, y);
                Storage gx = b.allocate(g.inputSize());
                b.conv2dBackwardData(g, b.upload(w), b.upload(gy), gx);
                Storage gw = b.allocate(g.weightSize());
                b.conv2dBackwardWeight(g, b.upload(x), b.upload(gy), gw);
                Storage sum = b.allocate(21);
                b.sumTo(b.upload(gy), new int[]{2, 21, g.outHeight(), g.outWidth()}, sum, new int[]{1, 21, 1, 1}, 1);
                Storage loss = b.allocate(1);
                b.loss(LossKind.MSE, b.upload(gy), y, gy.length, loss);
                Storage bn = b.allocate(g.inputSize());
                b.batchNormTrain(b.upload(x), b.upload(gamma), b.upload(gamma), b.allocate(19), b.allocate(19), 0.1,
                        1e-5, bn, b.allocate(19), b.allocate(19), 2, 19, 40 * 37);
                results[r] = concat(b.download(y), b.download(gx), b.download(gw), b.download(sum), b.download(loss),
                        b.download(bn));
            }
        }
        assertArrayEquals(results[0], results[1]);
    }

    private static float[] random(java.util.Random rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rng.nextFloat() * 2 - 1;
        return v;
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
