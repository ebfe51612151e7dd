package srgan.engine.backend.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

import srgan.engine.backend.BinaryOp;
import srgan.engine.backend.Storage;
import srgan.engine.backend.UnaryOp;

/** Unary and broadcasting binary ops, sumTo and PReLU, against values worked out by hand. */
class ReferenceElementwiseTest {
    private static final double EXACT = 0;
    private final ReferenceBackend backend = new ReferenceBackend();

    private Storage of(double... values) {
        return backend.uploadDoubles(values);
    }

    private double[] unary(UnaryOp op, double param, double... x) {
        Storage y = backend.allocate(x.length);
        backend.unary(op, param, of(x), y, x.length);
        return backend.downloadDoubles(y);
    }

    @Test
    void unaryForward() {
        assertArrayEquals(new double[] {0, 0, 3}, unary(UnaryOp.RELU, 0, -2, 0, 3), EXACT);
        assertArrayEquals(new double[] {-0.2, 0, 3}, unary(UnaryOp.LEAKY_RELU, 0.1, -2, 0, 3), 1e-15);
        assertArrayEquals(new double[] {-6, 0, 9}, unary(UnaryOp.SCALE, 3, -2, 0, 3), EXACT);
        assertArrayEquals(new double[] {-0.5, 1.5, 4.5}, unary(UnaryOp.ADD_SCALAR, 1.5, -2, 0, 3), EXACT);
        // Saturation: no NaN from exp overflow at either end.
        assertArrayEquals(new double[] {0, 0.5, 1}, unary(UnaryOp.SIGMOID, 0, -1000, 0, 1000), EXACT);
        assertArrayEquals(new double[] {1 / (1 + Math.E)}, unary(UnaryOp.SIGMOID, 0, -1), 1e-15);
        assertArrayEquals(new double[] {-1, 0, (Math.E * Math.E - 1) / (Math.E * Math.E + 1)},
                unary(UnaryOp.TANH, 0, -1000, 0, 1), 1e-15);
        // rsqrt adds its eps before the square root: 1/sqrt(0 + 0.25) = 2; without one, 0 gives infinity.
        assertArrayEquals(new double[] {0.5, 2, 1}, unary(UnaryOp.RSQRT, 0.25, 3.75, 0, 0.75), EXACT);
        assertArrayEquals(new double[] {Double.POSITIVE_INFINITY, Double.NaN}, unary(UnaryOp.RSQRT, 0, 0, -1),
                EXACT);
        // relu propagates NaN as torch.relu does.
        assertArrayEquals(new double[] {Double.NaN}, unary(UnaryOp.RELU, 0, Double.NaN), EXACT);
    }

    @Test
    void unaryInPlace() {
        Storage x = of(-1, 2);
        backend.unary(UnaryOp.SCALE, -2, x, x, 2);
        assertArrayEquals(new double[] {2, -4}, backend.downloadDoubles(x), EXACT);
    }

    @Test
    void unaryBackwardAccumulatesWithPyTorchConventionsAtZero() {
        Storage x = of(-2, 0, 3);
        Storage gy = of(1, 2, 3);

        Storage gx = of(10, 10, 10);
        backend.unaryBackward(UnaryOp.RELU, 0, x, null, gy, gx, 3);
        assertArrayEquals(new double[] {10, 10, 13}, backend.downloadDoubles(gx), EXACT); // relu'(0) = 0

        gx = of(10, 10, 10);
        backend.unaryBackward(UnaryOp.LEAKY_RELU, 0.1, x, null, gy, gx, 3);
        assertArrayEquals(new double[] {10.1, 10.2, 13}, backend.downloadDoubles(gx), 1e-14); // alpha at 0

        // tanh, sigmoid and rsqrt read y only: x is null here.
        gx = of(10, 10, 10);
        backend.unaryBackward(UnaryOp.TANH, 0, null, of(0, 0.5, -1), gy, gx, 3);
        assertArrayEquals(new double[] {11, 11.5, 10}, backend.downloadDoubles(gx), EXACT);

        gx = of(10, 10, 10);
        backend.unaryBackward(UnaryOp.SIGMOID, 0, null, of(0.5, 0.25, 1), gy, gx, 3);
        assertArrayEquals(new double[] {10.25, 10.375, 10}, backend.downloadDoubles(gx), EXACT);

        // rsqrt's derivative is -y^3 / 2, from y alone whatever its eps.
        gx = of(10, 10, 10);
        backend.unaryBackward(UnaryOp.RSQRT, 0.25, null, of(0.5, 2, 1), gy, gx, 3);
        assertArrayEquals(new double[] {9.9375, 2, 8.5}, backend.downloadDoubles(gx), EXACT);

        gx = of(10, 10, 10);
        backend.unaryBackward(UnaryOp.SCALE, 3, x, null, gy, gx, 3);
        assertArrayEquals(new double[] {13, 16, 19}, backend.downloadDoubles(gx), EXACT);

        gx = of(10, 10, 10);
        backend.unaryBackward(UnaryOp.ADD_SCALAR, 7, x, null, gy, gx, 3);
        assertArrayEquals(new double[] {11, 12, 13}, backend.downloadDoubles(gx), EXACT);

        backend.unaryBackward(UnaryOp.RELU, 0, x, null, gy, null, 3); // not wanted: skipped
    }

    @Test
    void binaryBroadcastsAPerChannelOperandOverNchw() {
        // a [2, 3, 1, 2] holds 0..11; b [1, 3, 1, 1] adds 10, 20, 30 to channels 0, 1, 2 of both images.
        double[] a = new double[12];
        for (int i = 0; i < 12; i++) a[i] = i;
        Storage out = backend.allocate(12);
        backend.binary(BinaryOp.ADD, of(a), new int[] {2, 3, 1, 2}, of(10, 20, 30), new int[] {1, 3, 1, 1}, out,
                new int[] {2, 3, 1, 2});
        assertArrayEquals(new double[] {10, 11, 22, 23, 34, 35, 16, 17, 28, 29, 40, 41},
                backend.downloadDoubles(out), EXACT);
    }

    @Test
    void binaryBroadcastsBothOperands() {
        // [2, 1] * [1, 3] is the outer product.
        Storage out = backend.allocate(6);
        backend.binary(BinaryOp.MUL, of(2, 3), new int[] {2, 1}, of(1, 10, 100), new int[] {1, 3}, out,
                new int[] {2, 3});
        assertArrayEquals(new double[] {2, 20, 200, 3, 30, 300}, backend.downloadDoubles(out), EXACT);
        // [1, 3] - [2, 1]: the left operand repeats along rows.
        backend.binary(BinaryOp.SUB, of(1, 10, 100), new int[] {1, 3}, of(2, 3), new int[] {2, 1}, out,
                new int[] {2, 3});
        assertArrayEquals(new double[] {-1, 8, 98, -2, 7, 97}, backend.downloadDoubles(out), EXACT);
    }

    @Test
    void binaryMayWriteIntoAFullShapeOperand() {
        Storage a = of(1, 2, 3, 4);
        backend.binary(BinaryOp.SUB, a, new int[] {2, 2}, of(1, 2), new int[] {1, 2}, a, new int[] {2, 2});
        assertArrayEquals(new double[] {0, 0, 2, 2}, backend.downloadDoubles(a), EXACT);
        Storage b = of(1, 2, 3, 4);
        backend.binary(BinaryOp.MUL, of(10, 100), new int[] {2, 1}, b, new int[] {2, 2}, b, new int[] {2, 2});
        assertArrayEquals(new double[] {10, 20, 300, 400}, backend.downloadDoubles(b), EXACT);
    }

    @Test
    void binaryOnRankZeroAndRankOne() {
        Storage out = backend.allocate(1);
        backend.binary(BinaryOp.ADD, of(2), new int[0], of(3), new int[0], out, new int[0]);
        assertArrayEquals(new double[] {5}, backend.downloadDoubles(out), EXACT);
        Storage out3 = backend.allocate(3);
        backend.binary(BinaryOp.MUL, of(1, 2, 3), new int[] {3}, of(-1), new int[] {1}, out3, new int[] {3});
        assertArrayEquals(new double[] {-1, -2, -3}, backend.downloadDoubles(out3), EXACT);
    }

    @Test
    void sumToReducesOverBroadcastDimensionsAndAccumulates() {
        double[] src = new double[12];
        for (int i = 0; i < 12; i++) src[i] = i;
        // Channel c of [2, 3, 1, 2] holds {2c, 2c+1, 6+2c, 7+2c}: sums 14, 22, 30, halved onto 1.
        Storage perChannel = of(1, 1, 1);
        backend.sumTo(of(src), new int[] {2, 3, 1, 2}, perChannel, new int[] {1, 3, 1, 1}, 0.5);
        assertArrayEquals(new double[] {8, 12, 16}, backend.downloadDoubles(perChannel), EXACT);

        Storage all = of(-66);
        backend.sumTo(of(src), new int[] {2, 3, 1, 2}, all, new int[] {1, 1, 1, 1}, 2);
        assertArrayEquals(new double[] {66}, backend.downloadDoubles(all), EXACT);

        // Keep dims 0 and 3: sum over channels.
        Storage perImageAndColumn = backend.allocate(4);
        backend.sumTo(of(src), new int[] {2, 3, 1, 2}, perImageAndColumn, new int[] {2, 1, 1, 2}, 1);
        assertArrayEquals(new double[] {6, 9, 24, 27}, backend.downloadDoubles(perImageAndColumn), EXACT);

        // Identity shape: plain scaled accumulation.
        Storage same = of(1, 1);
        backend.sumTo(of(3, 4), new int[] {2}, same, new int[] {2}, -1);
        assertArrayEquals(new double[] {-2, -3}, backend.downloadDoubles(same), EXACT);
    }

    @Test
    void preluSharedAndPerChannel() {
        // x [2, 2, hw=2]; x = 0 takes the alpha branch (PyTorch: x > 0 ? x : alpha * x).
        Storage x = of(-1, 2, -3, 0, 4, -2, 1, -1);
        Storage y = backend.allocate(8);
        backend.prelu(x, of(0.25), 1, y, 2, 2, 2);
        assertArrayEquals(new double[] {-0.25, 2, -0.75, 0, 4, -0.5, 1, -0.25}, backend.downloadDoubles(y), EXACT);
        backend.prelu(x, of(0.5, 2), 2, y, 2, 2, 2);
        assertArrayEquals(new double[] {-0.5, 2, -6, 0, 4, -1, 1, -2}, backend.downloadDoubles(y), EXACT);
    }

    @Test
    void preluBackwardAccumulatesIntoInputAndAlpha() {
        Storage x = of(-1, 2, -3, 0, 4, -2, 1, -1);
        Storage gy = of(1, 2, 3, 4, 5, 6, 7, 8);

        Storage gx = of(1, 1, 1, 1, 1, 1, 1, 1);
        Storage gAlpha = of(100, 200);
        backend.preluBackward(x, of(0.5, 2), 2, gy, gx, gAlpha, 2, 2, 2);
        assertArrayEquals(new double[] {1.5, 3, 7, 9, 6, 4, 8, 17}, backend.downloadDoubles(gx), EXACT);
        // Channel 0: (-1)(1) + (-2)(6); channel 1: (-3)(3) + 0(4) + (-1)(8).
        assertArrayEquals(new double[] {87, 183}, backend.downloadDoubles(gAlpha), EXACT);

        Storage shared = backend.allocate(1);
        backend.preluBackward(x, of(0.25), 1, gy, null, shared, 2, 2, 2);
        assertArrayEquals(new double[] {-30}, backend.downloadDoubles(shared), EXACT);
    }
}
