package srgan.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import srgan.engine.backend.ConvGeometry;
import srgan.engine.backend.Storage;
import srgan.engine.backend.reference.ReferenceBackend;

/**
 * The CPU backend's kernel paths against the double-precision reference, on the shapes that pick each path:
 * {@link CpuBackendPrimitiveParityTest} runs whichever path its small shapes select (the vector kernels when the
 * JVM has the Vector API), so this class covers what those shapes do not reach: Winograd (3x3, stride 1, channel
 * counts that are multiples of 64), the packed and in-place direct kernels at SRGAN-like channel counts, the
 * dense GEMM on a dense layer's shapes, and the scalar fallback on all of them. Tolerances are the primitive
 * parity test's: float dot products of length K err by about {@code sqrt(K) U} relative to the output's scale,
 * so {@code |got - ref| <= rtol * (rms(ref) + |ref|)} with {@code rtol = 4 sqrt(K) U}.
 */
class CpuKernelPathsTest {
    private static final double U = 0x1p-24;

    private final ReferenceBackend ref = new ReferenceBackend();
    private final CpuBackend vector = new CpuBackend(3, true);
    private final CpuBackend scalar = new CpuBackend(2, false);
    private final Random rng = new Random(20240612);

    @AfterEach
    void close() {
        vector.close();
        scalar.close();
        ref.close();
    }

    /** n, cin, h, w, cout, kernel, stride, pad: which path each takes on the vector kernels is noted. */
    private static final ConvGeometry[] CONVS = {
            new ConvGeometry(2, 64, 9, 7, 64, 3, 3, 1, 1),      // Winograd, odd sizes: partial tiles
            new ConvGeometry(1, 64, 6, 6, 128, 3, 3, 1, 1),     // Winograd, more outputs than inputs
            new ConvGeometry(3, 128, 5, 4, 64, 3, 3, 1, 1),     // Winograd, 5-row blocks with a remainder
            new ConvGeometry(1, 64, 5, 18, 64, 3, 3, 1, 1),     // Winograd, rows of a whole vector and a rest
            new ConvGeometry(2, 64, 12, 10, 64, 3, 3, 2, 1),    // direct packed, stride 2 (discriminator)
            new ConvGeometry(6, 16, 8, 6, 24, 3, 3, 2, 1),      // stride 2, 4x3 grid: 4 images per panel
            new ConvGeometry(5, 16, 7, 7, 24, 3, 3, 1, 1),      // 7x7 grid: panels across images, some whole
            new ConvGeometry(1, 16, 20, 19, 24, 3, 3, 1, 1),    // direct packed, 3 row blocks
            new ConvGeometry(2, 16, 14, 13, 3, 9, 9, 1, 4),     // in place (3 outputs, SRResNet's tail)
            new ConvGeometry(2, 3, 12, 12, 16, 9, 9, 1, 4),     // SRResNet's head
            new ConvGeometry(3, 3, 24, 22, 16, 3, 3, 1, 1),     // discriminator's first: one weight tile, 4 parts
            new ConvGeometry(14, 256, 4, 4, 256, 3, 3, 1, 1),   // Winograd; weight gradient direct, across images
    };

    @Test
    void convolutionsOnEveryPathMatchTheReference() {
        Assumptions.assumeTrue(vector.usesVectors(), "the JVM has no Vector API: only the scalar path exists");
        for (ConvGeometry g : CONVS) {
            float[] x = uniform(g.inputSize());
            float[] w = uniform(g.weightSize());
            float[] b = uniform(g.outChannels());
            float[] gy = uniform(g.outputSize());
            float[] gx0 = uniform(g.inputSize());
            float[] gw0 = uniform(g.weightSize());
            long kernel = (long) g.kernelHeight() * g.kernelWidth();
            long pixels = (long) g.outHeight() * g.outWidth();
            double[] yRef = forward(ref, g, x, w, b);
            double[] gxRef = backwardData(ref, g, w, gy, gx0);
            double[] gwRef = backwardWeight(ref, g, x, gy, gw0);
            for (CpuBackend cpu : new CpuBackend[]{vector, scalar}) {
                String what = (cpu.usesVectors() ? "vector " : "scalar ") + g;
                check(what + " forward", yRef, forward(cpu, g, x, w, b), 1 + g.inChannels() * kernel);
                check(what + " backward data", gxRef, backwardData(cpu, g, w, gy, gx0), 1 + g.outChannels() * kernel);
                // The vector kernel's float sums run over the pixels of a group of images, one image after the
                // other, up to PIXEL_TILE of them (the discriminator's 6x6 grids); the scalar one's within an image.
                long chain = cpu.usesVectors() ? (long) g.n() * pixels : pixels;
                check(what + " backward weight", gwRef, backwardWeight(cpu, g, x, gy, gw0),
                        1 + Math.min(chain, Conv.PIXEL_TILE));
            }
        }
    }

    @Test
    void winogradTakesTheLayersItIsMeantFor() {
        Assumptions.assumeTrue(vector.usesVectors(), "the JVM has no Vector API");
        assertTrue(Winograd.applies(new ConvGeometry(16, 64, 24, 24, 64, 3, 3, 1, 1)));
        assertTrue(Winograd.applies(new ConvGeometry(16, 64, 48, 48, 256, 3, 3, 1, 1)));
        assertFalse(Winograd.applies(new ConvGeometry(16, 64, 96, 96, 64, 3, 3, 2, 1)));   // stride 2
        assertFalse(Winograd.applies(new ConvGeometry(16, 3, 96, 96, 64, 3, 3, 1, 1)));    // 3 channels
        assertFalse(Winograd.applies(new ConvGeometry(16, 64, 96, 96, 3, 9, 9, 1, 4)));    // 9x9
    }

    @Test
    void vectorKernelsDoNotDependOnThreadCount() {
        Assumptions.assumeTrue(vector.usesVectors(), "the JVM has no Vector API");
        for (ConvGeometry g : new ConvGeometry[]{CONVS[0], CONVS[4], CONVS[5], CONVS[6], CONVS[8], CONVS[10]}) {
            float[] x = uniform(g.inputSize());
            float[] w = uniform(g.weightSize());
            float[] gy = uniform(g.outputSize());
            float[][] results = new float[2][];
            int[] threads = {1, 3};
            for (int r = 0; r < 2; r++) {
                try (CpuBackend b = new CpuBackend(threads[r], true)) {
                    double[] y = forward(b, g, x, w, null);
                    double[] gx = backwardData(b, g, w, gy, new float[(int) g.inputSize()]);
                    double[] gw = backwardWeight(b, g, x, gy, new float[(int) g.weightSize()]);
                    results[r] = toFloats(y, gx, gw);
                }
            }
            assertArrayEquals(results[0], results[1], g.toString());
        }
    }

    @Test
    void denseLayerGemmsMatchTheReference() {
        // A discriminator head in miniature: [n, in] x [out, in]^T, and its two backward products.
        int n = 5;
        int in = 2000;   // 42 blocks of 48 columns, the last partial: runs of 3 blocks per work item on 3 threads
        int out = 70;
        float[] x = uniform((long) n * in);
        float[] w = uniform((long) out * in);
        float[] gy = uniform((long) n * out);
        for (CpuBackend cpu : new CpuBackend[]{vector, scalar}) {
            String what = cpu.usesVectors() ? "vector" : "scalar";
            check(what + " y = x w^T", gemm(ref, false, true, n, out, in, x, w, 0), gemm(cpu, false, true, n, out, in, x, w, 0), in + 1);
            check(what + " gx = gy w", gemm(ref, false, false, n, in, out, gy, w, 1), gemm(cpu, false, false, n, in, out, gy, w, 1), out + 1);
            check(what + " gw = gy^T x", gemm(ref, true, false, out, in, n, gy, x, 1), gemm(cpu, true, false, out, in, n, gy, x, 1), n + 1);
        }
    }

    // ---- helpers ----

    private double[] gemm(srgan.engine.backend.Backend b, boolean ta, boolean tb, int m, int n, int k, float[] a,
                          float[] bm, double beta) {
        Storage sa = b.upload(a);
        Storage sb = b.upload(bm);
        Storage c = b.upload(new float[m * n]);
        b.fill(c, 0.25);
        b.gemm(ta, tb, m, n, k, 1, sa, sb, beta, c);
        return b.downloadDoubles(c);
    }

    private double[] forward(srgan.engine.backend.Backend b, ConvGeometry g, float[] x, float[] w, float[] bias) {
        Storage y = b.allocate(g.outputSize());
        b.conv2d(g, b.upload(x), b.upload(w), bias == null ? null : b.upload(bias), y);
        return b.downloadDoubles(y);
    }

    private double[] backwardData(srgan.engine.backend.Backend b, ConvGeometry g, float[] w, float[] gy, float[] gx0) {
        Storage gx = b.upload(gx0);
        b.conv2dBackwardData(g, b.upload(w), b.upload(gy), gx);
        return b.downloadDoubles(gx);
    }

    private double[] backwardWeight(srgan.engine.backend.Backend b, ConvGeometry g, float[] x, float[] gy, float[] gw0) {
        Storage gw = b.upload(gw0);
        b.conv2dBackwardWeight(g, b.upload(x), b.upload(gy), gw);
        return b.downloadDoubles(gw);
    }

    private static void check(String what, double[] want, double[] got, long k) {
        double sq = 0;
        for (double v : want) sq += v * v;
        double rms = Math.sqrt(sq / Math.max(1, want.length));
        double rtol = 4 * Math.sqrt(k) * U;
        int bad = 0;
        StringBuilder report = new StringBuilder();
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]);
            double bound = rtol * (rms + Math.abs(want[i]));
            if (!(err <= bound)) {
                if (bad++ < 5) report.append(String.format("%n  [%d] got %.9g, ref %.9g, |err| %.3g > %.3g", i, got[i], want[i], err, bound));
            }
        }
        if (bad > 0) fail(what + ": " + bad + " of " + want.length + " elements outside rtol " + rtol + report);
    }

    private float[] uniform(long n) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextDouble() * 2 - 1);
        return v;
    }

    private static float[] toFloats(double[]... parts) {
        int n = 0;
        for (double[] p : parts) n += p.length;
        float[] out = new float[n];
        int at = 0;
        for (double[] p : parts) for (double v : p) out[at++] = (float) v;
        return out;
    }
}
