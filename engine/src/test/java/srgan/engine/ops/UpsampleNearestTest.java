package srgan.engine.ops;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import srgan.engine.GradMode;
import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;
import srgan.engine.backend.cpu.CpuBackend;
import srgan.engine.backend.reference.ReferenceBackend;
import srgan.engine.nn.TestBackends;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Nearest-neighbour upsampling against hand-written loops over NCHW (N batch, C channels, H height, W width):
 * the forward copies each pixel into an r x r block, the backward sums each block. Gradient checks and
 * backend parity run through OpCases.
 */
class UpsampleNearestTest {

    private static double[] random(Rng rng, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rng.nextDouble() * 2 - 1);
        return v;
    }

    @ParameterizedTest
    @ValueSource(strings = {TestBackends.REFERENCE, TestBackends.CPU})
    void forwardCopiesEachPixelIntoItsBlockAndBackwardSumsTheBlock(String backendName) {
        int n = 2, c = 3, h = 4, w = 5;
        Rng rng = new Rng(3);
        for (int r : new int[]{1, 2, 3}) {
            try (Backend backend = TestBackends.create(backendName); Scope scope = Scope.open()) {
                double[] xs = random(rng, n * c * h * w);
                double[] gys = random(rng, n * c * h * r * w * r);
                Tensor x = Tensor.ofDoubles(backend, xs, n, c, h, w).requiresGrad(true);
                Tensor y = Layout.upsampleNearest(x, r);
                assertArrayEquals(new int[]{n, c, h * r, w * r}, y.shape());
                y.backward(Tensor.ofDoubles(backend, gys, y.shape()));

                double[] expectedY = new double[gys.length];
                double[] expectedGx = new double[xs.length];
                for (int img = 0; img < n; img++) {
                    for (int ch = 0; ch < c; ch++) {
                        for (int i = 0; i < h * r; i++) {
                            for (int j = 0; j < w * r; j++) {
                                int out = ((img * c + ch) * h * r + i) * w * r + j;
                                int in = ((img * c + ch) * h + i / r) * w + j / r;
                                expectedY[out] = xs[in];
                                expectedGx[in] += gys[out];
                            }
                        }
                    }
                }
                assertArrayEquals(expectedY, y.toDoubleArray(), 0, "forward, r=" + r);
                // At most 9 float32 terms of size <= 1, summed in double and rounded once on the CPU.
                assertArrayEquals(expectedGx, x.grad().toDoubleArray(), 1e-6, "backward, r=" + r);
            }
        }
    }

    @Test
    void temporariesAreFreedWithoutAScope() {
        try (CpuBackend cpu = new CpuBackend(2)) {
            long before = cpu.bytesInUse();
            try (Tensor x = Tensor.ofDoubles(cpu, random(new Rng(1), 2 * 3 * 4 * 4), 2, 3, 4, 4)
                    .requiresGrad(true)) {
                Tensor y = Layout.upsampleNearest(x, 2);
                try (Tensor seed = Tensor.full(cpu, 1, y.shape())) {
                    y.backward(seed);
                }
                y.close();
                try (GradMode ignored = GradMode.noGrad(); Tensor z = Layout.upsampleNearest(x, 3)) {
                    assertArrayEquals(new int[]{2, 3, 12, 12}, z.shape());
                }
            }
            assertEquals(before, cpu.bytesInUse(), "bytes left allocated after closing everything");
        }
    }

    @Test
    void rejectsInputsItCannotUpsample() {
        try (ReferenceBackend backend = new ReferenceBackend(); Tensor x = Tensor.zeros(backend, 1, 2, 3);
             Tensor image = Tensor.zeros(backend, 1, 1, 2, 2)) {
            assertThrows(IllegalArgumentException.class, () -> Layout.upsampleNearest(x, 2));
            assertThrows(IllegalArgumentException.class, () -> Layout.upsampleNearest(image, 0));
        }
    }
}
