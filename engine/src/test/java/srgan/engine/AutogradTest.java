package srgan.engine;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import srgan.engine.backend.reference.ReferenceBackend;
import srgan.engine.ops.Arithmetic;
import srgan.engine.ops.Convolution;
import srgan.engine.ops.Reductions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tape's edge cases: reuse, accumulation, no-grad, freed graphs, seeds, scopes and shape errors. */
class AutogradTest {
    private static final ReferenceBackend B = new ReferenceBackend();

    @AfterAll
    static void close() {
        B.close();
    }

    private static Tensor leaf(double... v) {
        return Tensor.ofDoubles(B, v, v.length).requiresGrad(true);
    }

    @Test
    void tensorUsedInTwoBranchesReceivesBothGradients() {
        try (Scope s = Scope.open()) {
            Tensor x = leaf(1.5, -2, 3);
            // y = sum(x * x + 3x): dy/dx = 2x + 3, from three uses of x in two branches.
            Tensor y = Reductions.sum(Arithmetic.add(Arithmetic.mul(x, x), Arithmetic.scale(x, 3)));
            y.backward();
            assertArrayEquals(new double[]{6, -1, 9}, x.grad().toDoubleArray(), 1e-12);
        }
    }

    @Test
    void gradientsAccumulateAcrossBackwardsUntilZeroGrad() {
        try (Scope s = Scope.open()) {
            Tensor x = leaf(1, 2);
            Reductions.sum(Arithmetic.scale(x, 2)).backward();
            Reductions.sum(Arithmetic.scale(x, 2)).backward();
            assertArrayEquals(new double[]{4, 4}, x.grad().toDoubleArray(), 0);
            x.zeroGrad();
            assertArrayEquals(new double[]{0, 0}, x.grad().toDoubleArray(), 0);
            Reductions.sum(Arithmetic.scale(x, 5)).backward();
            assertArrayEquals(new double[]{5, 5}, x.grad().toDoubleArray(), 0);
        }
    }

    @Test
    void noGradModeRecordsNothing() {
        try (Scope s = Scope.open()) {
            Tensor x = leaf(1, 2);
            Tensor y;
            try (GradMode g = GradMode.noGrad()) {
                assertFalse(GradMode.isEnabled());
                y = Reductions.sum(Arithmetic.mul(x, x));
            }
            assertTrue(GradMode.isEnabled());
            assertNull(y.gradFn());
            assertFalse(y.requiresGrad());
            IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
            assertTrue(e.getMessage().contains("does not require a gradient"), e.getMessage());
            assertNull(x.grad());
        }
    }

    @Test
    void secondBackwardThroughFreedGraphFailsClearly() {
        try (Scope s = Scope.open()) {
            Tensor x = leaf(1, 2);
            Tensor y = Reductions.sum(Arithmetic.mul(x, x));
            y.backward();
            IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
            assertTrue(e.getMessage().contains("second time"), e.getMessage());
        }
    }

    @Test
    void backwardFromNonScalarNeedsSeed() {
        try (Scope s = Scope.open()) {
            Tensor x = leaf(1, 2);
            Tensor y = Arithmetic.scale(x, 3);
            IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
            assertTrue(e.getMessage().contains("seed"), e.getMessage());
            y.backward(Tensor.ofDoubles(B, new double[]{1, 10}, 2));
            assertArrayEquals(new double[]{3, 30}, x.grad().toDoubleArray(), 0);
            assertThrows(IllegalArgumentException.class, () -> y.backward(Tensor.ofDoubles(B, new double[]{1}, 1)));
        }
    }

    @Test
    void scopeClosesWhatItOwnsAndKeepsWhatIsKept() {
        Tensor kept;
        Tensor dropped;
        try (Scope s = Scope.open()) {
            dropped = Tensor.zeros(B, 2, 2);
            kept = s.keep(Tensor.zeros(B, 3));
        }
        assertTrue(dropped.isClosed());
        assertFalse(kept.isClosed());
        assertThrows(IllegalStateException.class, dropped::toDoubleArray);
        kept.close();
        assertTrue(kept.isClosed());
    }

    @Test
    void sharedStorageLivesUntilItsLastTensorIsClosed() {
        Tensor x = Tensor.ofDoubles(B, new double[]{1, 2, 3, 4}, 2, 2);
        Tensor view = x.view(4);
        x.close();
        assertArrayEquals(new double[]{1, 2, 3, 4}, view.toDoubleArray(), 0);
        view.close();
        assertTrue(view.isClosed());
    }

    @Test
    void shapeMismatchesNameTheShapes() {
        try (Scope s = Scope.open()) {
            Tensor a = Tensor.zeros(B, 2, 3);
            Tensor b = Tensor.zeros(B, 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Arithmetic.add(a, b));
            assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4]"), e.getMessage());
            Tensor x = Tensor.zeros(B, 1, 3, 8, 8);
            Tensor w = Tensor.zeros(B, 5, 4, 3, 3);
            e = assertThrows(IllegalArgumentException.class, () -> Convolution.conv2d(x, w, null, 1, 1));
            assertTrue(e.getMessage().contains("[1, 3, 8, 8]") && e.getMessage().contains("[5, 4, 3, 3]"), e.getMessage());
        }
    }

    @Test
    void leafGradientHasTheLeafShape() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.ofDoubles(B, new double[]{1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
            Reductions.mean(x).backward();
            assertArrayEquals(new int[]{2, 3}, x.grad().shape());
            assertEquals(1.0 / 6, x.grad().toDoubleArray()[4], 1e-15);
        }
    }
}
