package srgan.engine.ops;

import org.junit.jupiter.api.Test;
import srgan.engine.GradMode;
import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.cpu.CpuBackend;
import srgan.engine.backend.reference.ReferenceBackend;
import srgan.engine.testing.InputSpec;
import srgan.engine.testing.OpCase;
import srgan.engine.testing.OpCases;
import srgan.engine.testing.Parity;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static srgan.engine.testing.InputSpec.Values.POSITIVE;

/**
 * Spectral normalisation against plain double-precision Java: the power iteration and its in-place update,
 * convergence of sigma to the largest singular value, eval mode leaving u and v alone, PyTorch's gradient
 * (u and v constants), and CPU parity in training mode. Eval mode's gradient check and parity are in OpCases.
 */
class SpectralNormalizeTest {
    private static final double EPS = 1e-12;

    private static double[] random(Rng rng, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rng.nextDouble() * 2 - 1);
        return v;
    }

    /** W^T x for W [rows, cols] row-major. */
    private static double[] transposedTimes(double[] w, int rows, int cols, double[] x) {
        double[] y = new double[cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) y[j] += w[i * cols + j] * x[i];
        return y;
    }

    private static double[] times(double[] w, int rows, int cols, double[] x) {
        double[] y = new double[rows];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) y[i] += w[i * cols + j] * x[j];
        return y;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double[] normalize(double[] x) {
        double norm = Math.max(Math.sqrt(dot(x, x)), EPS);
        double[] y = x.clone();
        for (int i = 0; i < y.length; i++) y[i] /= norm;
        return y;
    }

    /** The largest singular value by 500 power iterations on W^T W, independently of the engine. */
    private static double largestSingularValue(double[] w, int rows, int cols) {
        double[] v = new double[cols];
        java.util.Arrays.fill(v, 1);
        for (int it = 0; it < 500; it++) v = normalize(transposedTimes(w, rows, cols, times(w, rows, cols, v)));
        return Math.sqrt(dot(times(w, rows, cols, v), times(w, rows, cols, v)));
    }

    @Test
    void oneTrainingStepIsOnePowerIterationWrittenInPlace() {
        int out = 4, rest = 6;
        Rng rng = new Rng(5);
        double[] w = random(rng, out * rest);
        double[] u0 = random(rng, out);
        double[] v0 = random(rng, rest);
        try (ReferenceBackend backend = new ReferenceBackend(); Scope scope = Scope.open()) {
            Tensor weight = Tensor.ofDoubles(backend, w, out, 2, 3);
            Tensor u = Tensor.ofDoubles(backend, u0, out);
            Tensor v = Tensor.ofDoubles(backend, v0, rest);
            Tensor y = Normalization.spectralNormalize(weight, u, v, true, EPS);

            double[] v1 = normalize(transposedTimes(w, out, rest, u0));
            double[] u1 = normalize(times(w, out, rest, v1));
            double sigma = dot(u1, times(w, out, rest, v1));
            double[] expected = w.clone();
            for (int i = 0; i < expected.length; i++) expected[i] /= sigma;
            assertArrayEquals(v1, v.toDoubleArray(), 1e-14, "v = normalize(W^T u)");
            assertArrayEquals(u1, u.toDoubleArray(), 1e-14, "u = normalize(W v)");
            assertArrayEquals(new int[]{out, 2, 3}, y.shape());
            assertArrayEquals(expected, y.toDoubleArray(), 1e-13, "W / (u . W v)");
        }
    }

    @Test
    void sigmaConvergesToTheLargestSingularValue() {
        try (ReferenceBackend backend = new ReferenceBackend()) {
            // 2x2 with the closed form: sigma_max^2 = (S + sqrt(S^2 - 4 det^2)) / 2, S the sum of squares.
            double a = 0.8, b = -0.3, c = 0.5, d = 0.9;
            double s = a * a + b * b + c * c + d * d;
            double det = a * d - b * c;
            double closedForm = Math.sqrt((s + Math.sqrt(s * s - 4 * det * det)) / 2);
            assertConverges(backend, new double[]{a, b, c, d}, new int[]{2, 2}, closedForm);

            // A conv-shaped weight [3, 2, 2, 2], a 3x8 matrix, against independent power iteration.
            double[] w = random(new Rng(9), 24);
            assertConverges(backend, w, new int[]{3, 2, 2, 2}, largestSingularValue(w, 3, 8));
        }
    }

    private static void assertConverges(ReferenceBackend backend, double[] w, int[] shape, double expectedSigma) {
        int out = shape[0], rest = w.length / out;
        Rng rng = new Rng(17);
        try (Scope scope = Scope.open()) {
            Tensor weight = Tensor.ofDoubles(backend, w, shape);
            Tensor u = Tensor.ofDoubles(backend, normalize(random(rng, out)), out);
            Tensor v = Tensor.ofDoubles(backend, normalize(random(rng, rest)), rest);
            Tensor y = null;
            for (int step = 0; step < 200; step++) {
                try (Scope stepScope = Scope.open()) {
                    y = stepScope.keep(Normalization.spectralNormalize(weight, u, v, true, EPS));
                }
            }
            double[] ys = y.toDoubleArray();
            for (int i = 0; i < w.length; i++) {
                if (Math.abs(w[i]) > 1e-3) assertEquals(expectedSigma, w[i] / ys[i], 1e-10 * expectedSigma);
            }
        }
    }

    @Test
    void evalModeUsesTheStoredVectorsAndChangesNothing() {
        int out = 3, rest = 5;
        Rng rng = new Rng(11);
        double[] w = random(rng, out * rest);
        double[] u0 = random(rng, out);
        double[] v0 = random(rng, rest);
        try (ReferenceBackend backend = new ReferenceBackend(); Scope scope = Scope.open()) {
            Tensor weight = Tensor.ofDoubles(backend, w, out, rest);
            Tensor u = Tensor.ofDoubles(backend, u0, out);
            Tensor v = Tensor.ofDoubles(backend, v0, rest);
            double sigma = dot(u0, times(w, out, rest, v0));
            for (int call = 0; call < 3; call++) {
                Tensor y = Normalization.spectralNormalize(weight, u, v, false, EPS);
                double[] ys = y.toDoubleArray();
                for (int i = 0; i < w.length; i++) assertEquals(w[i] / sigma, ys[i], 1e-13);
                assertArrayEquals(u0, u.toDoubleArray(), 0, "eval mode must not change u");
                assertArrayEquals(v0, v.toDoubleArray(), 0, "eval mode must not change v");
            }
        }
    }

    /**
     * PyTorch differentiates W / (u . W v) with u and v constants: dL/dW = G / sigma - (sum G*W) / sigma^2 u v^T.
     * The first forward's u and v must survive a second forward before the backward (D(real), D(fake)).
     */
    @Test
    void trainingGradientTreatsTheIteratedVectorsAsConstants() {
        int out = 4, rest = 3;
        Rng rng = new Rng(23);
        double[] w = random(rng, out * rest);
        double[] g = random(rng, out * rest);
        try (ReferenceBackend backend = new ReferenceBackend(); Scope scope = Scope.open()) {
            Tensor weight = Tensor.ofDoubles(backend, w, out, rest).requiresGrad(true);
            Tensor u = Tensor.ofDoubles(backend, random(rng, out), out);
            Tensor v = Tensor.ofDoubles(backend, random(rng, rest), rest);
            Tensor first = Normalization.spectralNormalize(weight, u, v, true, EPS);
            double[] u1 = u.toDoubleArray();
            double[] v1 = v.toDoubleArray();
            Normalization.spectralNormalize(weight, u, v, true, EPS); // moves u and v on
            first.backward(Tensor.ofDoubles(backend, g, out, rest));

            double sigma = dot(u1, times(w, out, rest, v1));
            double gw = dot(g, w);
            double[] expected = new double[w.length];
            for (int i = 0; i < out; i++) {
                for (int j = 0; j < rest; j++) {
                    expected[i * rest + j] = g[i * rest + j] / sigma - gw / (sigma * sigma) * u1[i] * v1[j];
                }
            }
            assertArrayEquals(expected, weight.grad().toDoubleArray(), 1e-12);
        }
    }

    @Test
    void trainingModeMatchesTheReferenceOnTheCpuBackend() {
        // u and v are compared after the op as well: the in-place power iteration must agree too.
        for (int[] w : new int[][]{{4, 3, 3, 3}, {5, 7}}) {
            int out = w[0];
            int rest = (int) (srgan.engine.Shapes.numel(w) / out);
            OpCase training = new OpCase("spectralNormalize[train]" + java.util.Arrays.toString(w),
                    List.of(InputSpec.of(w, POSITIVE), InputSpec.constant(new int[]{out}, POSITIVE),
                            InputSpec.constant(new int[]{rest}, POSITIVE)),
                    t -> Normalization.spectralNormalize(t.get(0), t.get(1), t.get(2), true, EPS),
                    OpCases.REDUCTION, OpCases.REDUCTION);
            try (ReferenceBackend reference = new ReferenceBackend(); CpuBackend cpu = new CpuBackend(2)) {
                long before = cpu.bytesInUse();
                Parity.check(training, reference, cpu, 42, 1);
                assertEquals(before, cpu.bytesInUse(), training.name() + ": bytes left after the scope closed");
            }
        }
    }

    @Test
    void withoutAGraphNothingIsLeftBehind() {
        try (CpuBackend cpu = new CpuBackend(2)) {
            Rng rng = new Rng(2);
            try (Tensor weight = Tensor.ofDoubles(cpu, random(rng, 24), 4, 6).requiresGrad(true);
                 Tensor u = Tensor.ofDoubles(cpu, random(rng, 4), 4);
                 Tensor v = Tensor.ofDoubles(cpu, random(rng, 6), 6)) {
                long before = cpu.bytesInUse();
                try (GradMode ignored = GradMode.noGrad()) {
                    Normalization.spectralNormalize(weight, u, v, true, EPS).close();
                    Normalization.spectralNormalize(weight, u, v, false, EPS).close();
                }
                assertEquals(before, cpu.bytesInUse(), "intermediates of a graph-less call must be freed");
            }
        }
    }

    @Test
    void rejectsVectorsThatDoNotFitTheWeight() {
        try (ReferenceBackend backend = new ReferenceBackend(); Scope scope = Scope.open()) {
            Tensor weight = Tensor.zeros(backend, 3, 2, 2);
            Tensor u = Tensor.zeros(backend, 3);
            Tensor v = Tensor.zeros(backend, 4);
            Tensor wrongV = Tensor.zeros(backend, 2);
            assertThrows(IllegalArgumentException.class,
                    () -> Normalization.spectralNormalize(weight, u, wrongV, true, EPS));
            Tensor trainableU = Tensor.zeros(backend, 3).requiresGrad(true);
            assertThrows(IllegalArgumentException.class,
                    () -> Normalization.spectralNormalize(weight, trainableU, v, true, EPS));
        }
    }
}
