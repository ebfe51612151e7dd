package srgan.engine.backend.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import srgan.engine.backend.AdamHyper;
import srgan.engine.backend.LossKind;
import srgan.engine.backend.Storage;

/** GEMM, the three losses and Adam against values worked out by hand. */
class ReferenceDenseLossAdamTest {
    private static final double EXACT = 0;
    private static final double TIGHT = 1e-15;
    private final ReferenceBackend backend = new ReferenceBackend();

    private Storage of(double... values) {
        return backend.uploadDoubles(values);
    }

    // A = [[1,2,3],[4,5,6]] (2x3), B = [[7,8],[9,10],[11,12]] (3x2), AB = [[58,64],[139,154]].
    private static final double[] A = {1, 2, 3, 4, 5, 6};
    private static final double[] A_T = {1, 4, 2, 5, 3, 6};
    private static final double[] B = {7, 8, 9, 10, 11, 12};
    private static final double[] B_T = {7, 9, 11, 8, 10, 12};
    private static final double[] TWO_AB_PLUS_HALF_C = {116.5, 129, 279.5, 310};

    @Test
    void gemmInEveryTransposeCombination() {
        double[][] as = {A, A_T};
        double[][] bs = {B, B_T};
        for (int ta = 0; ta < 2; ta++) {
            for (int tb = 0; tb < 2; tb++) {
                Storage c = of(1, 2, 3, 4);
                backend.gemm(ta == 1, tb == 1, 2, 2, 3, 2, of(as[ta]), of(bs[tb]), 0.5, c);
                assertArrayEquals(TWO_AB_PLUS_HALF_C, backend.downloadDoubles(c), EXACT,
                        "transA " + ta + " transB " + tb);
            }
        }
    }

    @Test
    void gemmWithUnequalDimensions() {
        // [1 x 2] * [2 x 3]: m = 1, n = 3, k = 2. A stored transposed is the same array ([2 x 1]).
        Storage c = backend.allocate(3);
        backend.gemm(false, false, 1, 3, 2, 1, of(1, 2), of(1, 2, 3, 4, 5, 6), 0, c);
        assertArrayEquals(new double[] {9, 12, 15}, backend.downloadDoubles(c), EXACT);
        backend.gemm(true, true, 1, 3, 2, 1, of(1, 2), of(1, 4, 2, 5, 3, 6), 0, c);
        assertArrayEquals(new double[] {9, 12, 15}, backend.downloadDoubles(c), EXACT);
    }

    @Test
    void gemmWithBetaZeroDoesNotReadC() {
        Storage c = of(Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        backend.gemm(false, false, 2, 2, 3, 1, of(A), of(B), 0, c);
        assertArrayEquals(new double[] {58, 64, 139, 154}, backend.downloadDoubles(c), EXACT);
    }

    private double loss(LossKind kind, double[] input, double[] target) {
        Storage out = backend.allocate(1);
        backend.loss(kind, of(input), of(target), input.length, out);
        return backend.downloadDoubles(out)[0];
    }

    @Test
    void mseMeanAndGradients() {
        assertEquals(5.0 / 3, loss(LossKind.MSE, new double[] {1, 2, 3}, new double[] {0, 2, 5}), TIGHT);
        // d/dx = 2 (x - t) / n, times gOut = 3; the target gets the negative; both accumulate.
        Storage gInput = of(1, 1, 1);
        Storage gTarget = backend.allocate(3);
        backend.lossBackward(LossKind.MSE, of(1, 2, 3), of(0, 2, 5), 3, of(3), gInput, gTarget);
        assertArrayEquals(new double[] {3, 1, -3}, backend.downloadDoubles(gInput), EXACT);
        assertArrayEquals(new double[] {-2, 0, 4}, backend.downloadDoubles(gTarget), EXACT);
    }

    @Test
    void l1MeanAndSignGradientWithZeroAtZero() {
        assertEquals(1, loss(LossKind.L1, new double[] {1, 2, 3}, new double[] {0, 2, 5}), EXACT);
        Storage gInput = backend.allocate(3);
        Storage gTarget = backend.allocate(3);
        backend.lossBackward(LossKind.L1, of(1, 2, 3), of(0, 2, 5), 3, of(3), gInput, gTarget);
        assertArrayEquals(new double[] {1, 0, -1}, backend.downloadDoubles(gInput), EXACT);
        assertArrayEquals(new double[] {-1, 0, 1}, backend.downloadDoubles(gTarget), EXACT);
    }

    @Test
    void bceWithLogitsIsStableAtLargeLogits() {
        // Per element max(x, 0) - x t + log(1 + exp(-|x|)): ln 2 at x = 0 whatever t; 0 for a confident right
        // answer at |x| = 1000; 1000 for a confident wrong one. exp(1000) would overflow in the naive form.
        double[] x = {0, 1000, -1000, -1000};
        double[] t = {0.3, 1, 0, 1};
        assertEquals((Math.log(2) + 1000) / 4, loss(LossKind.BCE_WITH_LOGITS, x, t), 1e-13);
        // d/dx = sigmoid(x) - t, d/dt = -x, over n = 4, times gOut = 2.
        Storage gInput = backend.allocate(4);
        Storage gTarget = backend.allocate(4);
        backend.lossBackward(LossKind.BCE_WITH_LOGITS, of(x), of(t), 4, of(2), gInput, gTarget);
        assertArrayEquals(new double[] {0.1, 0, 0, -0.5}, backend.downloadDoubles(gInput), TIGHT);
        assertArrayEquals(new double[] {0, -500, 500, 500}, backend.downloadDoubles(gTarget), EXACT);
    }

    @Test
    void bceWithLogitsMatchesTheTextbookFormAtModerateLogits() {
        double x = 2;
        double t = 0.25;
        double p = 1 / (1 + Math.exp(-x));
        double textbook = -(t * Math.log(p) + (1 - t) * Math.log(1 - p));
        assertEquals(textbook, loss(LossKind.BCE_WITH_LOGITS, new double[] {x}, new double[] {t}), 1e-15);
    }

    @Test
    void lossBackwardSkipsUnwantedGradients() {
        Storage gTarget = backend.allocate(1);
        backend.lossBackward(LossKind.MSE, of(1), of(4), 1, of(1), null, gTarget);
        assertArrayEquals(new double[] {6}, backend.downloadDoubles(gTarget), EXACT);
    }

    @Test
    void adamTwoStepsOverTwoParameters() {
        // p = {1, -2} with gradients {0.5, 0.1} then {-0.25, 0.1}; q = {3} with gradient -1 twice.
        // lr 0.1, betas (0.9, 0.999), eps 1e-8, no weight decay, bias correction on.
        Storage p = of(1, -2);
        Storage q = of(3);
        Storage pm = backend.allocate(2);
        Storage pv = backend.allocate(2);
        Storage qm = backend.allocate(1);
        Storage qv = backend.allocate(1);
        Storage pg = of(0.5, 0.1);
        Storage qg = of(-1);
        backend.adamStep(List.of(p, q), List.of(pg, qg), List.of(pm, qm), List.of(pv, qv),
                new AdamHyper(0.1, 0.9, 0.999, 1e-8, 0, true, 1));
        // Step 1: m = 0.1 g, v = 0.001 g^2; bias-corrected they are g and g^2, so each moves lr * sign(g)
        // shrunk by eps: lr * |g| / (|g| + eps).
        assertArrayEquals(new double[] {0.05, 0.01}, backend.downloadDoubles(pm), TIGHT);
        assertArrayEquals(new double[] {0.00025, 0.00001}, backend.downloadDoubles(pv), TIGHT);
        double p0 = 1 - 0.1 * 0.5 / (0.5 + 1e-8);
        double p1 = -2 - 0.1 * 0.1 / (0.1 + 1e-8);
        assertArrayEquals(new double[] {p0, p1}, backend.downloadDoubles(p), TIGHT);
        assertArrayEquals(new double[] {3 + 0.1 / (1 + 1e-8)}, backend.downloadDoubles(q), TIGHT);

        backend.fill(pg, 0);
        backend.copy(of(-0.25, 0.1), 0, pg, 0, 2);
        backend.adamStep(List.of(p, q), List.of(pg, qg), List.of(pm, qm), List.of(pv, qv),
                new AdamHyper(0.1, 0.9, 0.999, 1e-8, 0, true, 2));
        // Step 2: m = 0.9 m + 0.1 g = {0.02, 0.019}, v = 0.999 v + 0.001 g^2 = {0.00031225, 0.00001999};
        // bias corrections 1 - 0.9^2 = 0.19 and 1 - 0.999^2 = 0.001999.
        assertArrayEquals(new double[] {0.02, 0.019}, backend.downloadDoubles(pm), TIGHT);
        assertArrayEquals(new double[] {0.00031225, 0.00001999}, backend.downloadDoubles(pv), TIGHT);
        double mh0 = 0.02 / 0.19;
        double vh0 = 0.00031225 / 0.001999;
        p0 -= 0.1 * mh0 / (Math.sqrt(vh0) + 1e-8);
        // The second element's gradient was constant, so its corrected moments are again g and g^2.
        p1 -= 0.1 * 0.1 / (0.1 + 1e-8);
        assertArrayEquals(new double[] {p0, p1}, backend.downloadDoubles(p), TIGHT);
        assertArrayEquals(new double[] {3 + 0.2 / (1 + 1e-8)}, backend.downloadDoubles(q), TIGHT);
        assertArrayEquals(new double[] {-0.19}, backend.downloadDoubles(qm), TIGHT);
        assertArrayEquals(new double[] {0.001999}, backend.downloadDoubles(qv), TIGHT);
    }

    @Test
    void adamWeightDecayIsAddedToTheGradientAndBiasCorrectionCanBeOff() {
        Storage p = of(2);
        Storage grad = of(1);
        Storage m = backend.allocate(1);
        Storage v = backend.allocate(1);
        backend.adamStep(List.of(p), List.of(grad), List.of(m), List.of(v),
                new AdamHyper(0.01, 0.9, 0.999, 1e-8, 0.1, false, 1));
        // g = 1 + 0.1 * 2 = 1.2; m = 0.12, v = 0.00144, used as they are.
        assertArrayEquals(new double[] {0.12}, backend.downloadDoubles(m), TIGHT);
        assertArrayEquals(new double[] {0.00144}, backend.downloadDoubles(v), TIGHT);
        assertArrayEquals(new double[] {2 - 0.01 * 0.12 / (Math.sqrt(0.00144) + 1e-8)}, backend.downloadDoubles(p),
                TIGHT);
        assertArrayEquals(new double[] {1}, backend.downloadDoubles(grad), EXACT); // the gradient is not modified
    }
}
