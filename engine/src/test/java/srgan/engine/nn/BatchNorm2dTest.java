package srgan.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;

/** Training mode uses and updates batch statistics; eval mode uses the running ones and changes nothing. */
class BatchNorm2dTest {
    private static final double EPS = 1e-5;
    private static final double MOMENTUM = 0.1;

    // x is [N=2, C=2, H=1, W=3]; channel 0 holds {1, 2, 4, 0, -1, 3}, channel 1 {10, 12, 11, 9, 13, 8}.
    private static final double[] X = {1, 2, 4, 10, 12, 11, 0, -1, 3, 9, 13, 8};
    private static final int[] SHAPE = {2, 2, 1, 3};

    /**
     * Reference on the double backend is exact up to a few roundings in double; the CPU backend stores float32
     * (2^-24 relative per rounding) and values here are O(10), so a few roundings stay well under 1e-5.
     */
    private static double tolerance(String backend) {
        return backend.equals(TestBackends.REFERENCE) ? 1e-12 : 1e-5;
    }

    private static double[] channel(double[] x, int c) {
        double[] v = new double[6];
        for (int img = 0; img < 2; img++) System.arraycopy(x, (img * 2 + c) * 3, v, img * 3, 3);
        return v;
    }

    @ParameterizedTest
    @ValueSource(strings = {TestBackends.REFERENCE, TestBackends.CPU})
    void trainingUsesBatchStatisticsAndEvalUsesRunningOnes(String backendName) {
        double tol = tolerance(backendName);
        try (Backend backend = TestBackends.create(backendName); BatchNorm2d bn = new BatchNorm2d(backend, 2)) {
            double[] mean = new double[2];
            double[] biasedVar = new double[2];
            double[] unbiasedVar = new double[2];
            for (int c = 0; c < 2; c++) {
                double[] v = channel(X, c);
                double sum = 0;
                for (double d : v) sum += d;
                mean[c] = sum / v.length;
                double sq = 0;
                for (double d : v) sq += (d - mean[c]) * (d - mean[c]);
                biasedVar[c] = sq / v.length;
                unbiasedVar[c] = sq / (v.length - 1);
            }
            double[] expectedRunMean = {MOMENTUM * mean[0], MOMENTUM * mean[1]};
            double[] expectedRunVar = {(1 - MOMENTUM) + MOMENTUM * unbiasedVar[0],
                    (1 - MOMENTUM) + MOMENTUM * unbiasedVar[1]};

            try (Scope s = Scope.open()) {
                Tensor x = Tensor.ofDoubles(backend, X, SHAPE);
                assertTrue(bn.isTraining());
                double[] y = bn.forward(x).toDoubleArray();
                double[] expected = new double[X.length];
                for (int i = 0; i < X.length; i++) {
                    int c = (i / 3) % 2;
                    expected[i] = (X[i] - mean[c]) / Math.sqrt(biasedVar[c] + EPS);
                }
                assertArrayEquals(expected, y, tol);
                assertArrayEquals(expectedRunMean, bn.runningMean().toDoubleArray(), tol);
                assertArrayEquals(expectedRunVar, bn.runningVar().toDoubleArray(), tol);
                assertEquals(1.0, bn.numBatchesTracked().item());

                bn.eval();
                assertFalse(bn.isTraining());
                // An input with other statistics: eval must ignore them.
                double[] x2 = new double[X.length];
                for (int i = 0; i < X.length; i++) x2[i] = 3 * X[i] - 5;
                double[] yEval = bn.forward(Tensor.ofDoubles(backend, x2, SHAPE)).toDoubleArray();
                for (int i = 0; i < X.length; i++) {
                    int c = (i / 3) % 2;
                    expected[i] = (x2[i] - expectedRunMean[c]) / Math.sqrt(expectedRunVar[c] + EPS);
                }
                assertArrayEquals(expected, yEval, tol * 10);
                assertArrayEquals(expectedRunMean, bn.runningMean().toDoubleArray(), tol);
                assertArrayEquals(expectedRunVar, bn.runningVar().toDoubleArray(), tol);
                assertEquals(1.0, bn.numBatchesTracked().item());

                bn.train();
                bn.forward(x);
                assertEquals(2.0, bn.numBatchesTracked().item());
            }
        }
    }

    @Test
    void modeSwitchesReachEveryDescendant() {
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE)) {
            BatchNorm2d inner = new BatchNorm2d(backend, 3);
            try (Sequential model = new Sequential(new Sequential(inner), new ReLU())) {
                model.eval();
                assertFalse(model.isTraining());
                assertFalse(inner.isTraining());
                assertFalse(model.get(1).isTraining());
                model.train();
                assertTrue(inner.isTraining());
            }
        }
    }

    @Test
    void pytorchDefaults() {
        try (Backend backend = TestBackends.create(TestBackends.REFERENCE); BatchNorm2d bn = new BatchNorm2d(backend, 3)) {
            assertEquals(1e-5, bn.eps());
            assertEquals(0.1, bn.momentum());
            assertArrayEquals(new double[]{1, 1, 1}, bn.weight().toDoubleArray());
            assertArrayEquals(new double[]{0, 0, 0}, bn.bias().toDoubleArray());
            assertArrayEquals(new double[]{0, 0, 0}, bn.runningMean().toDoubleArray());
            assertArrayEquals(new double[]{1, 1, 1}, bn.runningVar().toDoubleArray());
            assertEquals(0.0, bn.numBatchesTracked().item());
        }
    }
}
