package srgan.engine.backend.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

import srgan.engine.backend.ConvGeometry;
import srgan.engine.backend.PoolGeometry;
import srgan.engine.backend.Storage;

/** Convolution and max pooling against values worked out by hand on small grids. */
class ReferenceConvPoolTest {
    private static final double EXACT = 0;
    private final ReferenceBackend backend = new ReferenceBackend();

    private Storage of(double... values) {
        return backend.uploadDoubles(values);
    }

    // x = [[1,2,3],[4,5,6],[7,8,9]] with zero padding 1, an asymmetric 3x3 kernel, stride 2: four windows, at
    // padded rows/columns {-1..1, 1..3}. Asymmetric so that a flipped kernel (true convolution) or swapped
    // kh/kw would change every number.
    private static final ConvGeometry STRIDED = new ConvGeometry(1, 1, 3, 3, 1, 3, 3, 2, 1);
    private static final double[] X = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    private static final double[] W = {1, 0, -1, 2, 1, 0, 0, 1, 1};

    @Test
    void conv2dStrideTwoPaddingOne() {
        Storage y = backend.allocate(4);
        backend.conv2d(STRIDED, of(X), of(W), of(0.5), y);
        // Windows [0 0 0; 0 1 2; 0 4 5] . W = 10, [0 0 0; 2 3 0; 5 6 0] . W = 13,
        //         [0 4 5; 0 7 8; 0 0 0] . W = 2,  [5 6 0; 8 9 0; 0 0 0] . W = 30; plus the bias.
        assertArrayEquals(new double[] {10.5, 13.5, 2.5, 30.5}, backend.downloadDoubles(y), EXACT);
        backend.conv2d(STRIDED, of(X), of(W), null, y);
        assertArrayEquals(new double[] {10, 13, 2, 30}, backend.downloadDoubles(y), EXACT);
    }

    @Test
    void conv2dBackwardDataScattersKernelTimesGradientAndAccumulates() {
        Storage gx = of(0, 0, 0, 0, 0, 0, 0, 0, 100);
        backend.conv2dBackwardData(STRIDED, of(W), of(1, 2, 3, 4), gx);
        // Each gy[oh][ow] * W lands on its window, clipped to the image.
        // Check by adjointness: <x, gx - 100e_8> = 162 = <conv(x), gy> = 10 + 26 + 6 + 120.
        assertArrayEquals(new double[] {1, 4, 2, 1, 2, 2, 3, 8, 104}, backend.downloadDoubles(gx), EXACT);
    }

    @Test
    void conv2dBackwardWeightCorrelatesInputWithGradientAndAccumulates() {
        Storage gw = of(0, 0, 0, 0, 0, 0, 0, 0, -5);
        backend.conv2dBackwardWeight(STRIDED, of(X), of(1, 2, 3, 4), gw);
        // 1 * window00 + 2 * window01 + 3 * window10 + 4 * window11; <W, gw> = 162 as well.
        assertArrayEquals(new double[] {20, 36, 15, 36, 64, 26, 10, 16, 0}, backend.downloadDoubles(gw), EXACT);
    }

    @Test
    void conv2dLayoutOverBatchAndChannels() {
        // 1x1 kernel, x [2, 2, 1, 2], w [3, 2, 1, 1]: y[n][o][p] = sum_i w[o][i] x[n][i][p] + bias[o].
        ConvGeometry g = new ConvGeometry(2, 2, 1, 2, 3, 1, 1, 1, 0);
        Storage y = backend.allocate(12);
        backend.conv2d(g, of(1, 2, 3, 4, 5, 6, 7, 8), of(1, 0, 0, 1, 2, -1), of(0, 10, 100), y);
        assertArrayEquals(new double[] {1, 2, 13, 14, 99, 100, 5, 6, 17, 18, 103, 104},
                backend.downloadDoubles(y), EXACT);
    }

    @Test
    void conv2dNonSquareKernelOnNonSquareImage() {
        // x [[1,2,3],[4,5,6]] with kernel [[2, 1]] (kh = 1, kw = 2): y is 2x2.
        ConvGeometry g = new ConvGeometry(1, 1, 2, 3, 1, 1, 2, 1, 0);
        Storage y = backend.allocate(4);
        backend.conv2d(g, of(1, 2, 3, 4, 5, 6), of(2, 1), null, y);
        assertArrayEquals(new double[] {4, 7, 13, 16}, backend.downloadDoubles(y), EXACT);
    }

    @Test
    void maxPoolTiesGoToTheFirstElementInWindowOrder() {
        // x [[1,7,7],[7,2,7]], kernel 2, stride 1: both windows' maxima tie; the first in row-major order is
        // (0,1) in each, so that input receives both gradients.
        PoolGeometry g = new PoolGeometry(1, 1, 2, 3, 2, 1, 0);
        Storage x = of(1, 7, 7, 7, 2, 7);
        Storage y = backend.allocate(2);
        backend.maxPool2d(g, x, y);
        assertArrayEquals(new double[] {7, 7}, backend.downloadDoubles(y), EXACT);
        Storage gx = of(0, 0, 0, 0, 0, 0.5);
        backend.maxPool2dBackward(g, x, of(1, 10), gx);
        assertArrayEquals(new double[] {0, 11, 0, 0, 0, 0.5}, backend.downloadDoubles(gx), EXACT);
    }

    @Test
    void maxPoolPaddingIsMinusInfinity() {
        // All inputs negative: zero padding would make border outputs 0; minus-infinity padding cannot win.
        PoolGeometry g = new PoolGeometry(1, 1, 2, 2, 2, 1, 1);
        Storage x = of(-3, -1, -2, -4);
        Storage y = backend.allocate(9);
        backend.maxPool2d(g, x, y);
        assertArrayEquals(new double[] {-3, -1, -1, -2, -1, -1, -2, -2, -4}, backend.downloadDoubles(y), EXACT);
        Storage gx = backend.allocate(4);
        backend.maxPool2dBackward(g, x, of(1, 1, 1, 1, 1, 1, 1, 1, 1), gx);
        assertArrayEquals(new double[] {1, 4, 3, 1}, backend.downloadDoubles(gx), EXACT);
    }

    @Test
    void maxPoolOverBatchAndChannelsWithStride() {
        // x [1, 2, 2, 4], kernel 2, stride 2: two windows per channel.
        PoolGeometry g = new PoolGeometry(1, 2, 2, 4, 2, 2, 0);
        Storage x = of(1, 2, 3, 4, 5, 6, 7, 8,
                -1, -2, -3, -4, -5, -6, -7, -8);
        Storage y = backend.allocate(4);
        backend.maxPool2d(g, x, y);
        assertArrayEquals(new double[] {6, 8, -1, -3}, backend.downloadDoubles(y), EXACT);
        Storage gx = backend.allocate(16);
        backend.maxPool2dBackward(g, x, of(1, 2, 3, 4), gx);
        assertArrayEquals(new double[] {0, 0, 0, 0, 0, 1, 0, 2, 3, 0, 4, 0, 0, 0, 0, 0},
                backend.downloadDoubles(gx), EXACT);
    }

    @Test
    void maxPoolPropagatesNaNAsPyTorch() {
        PoolGeometry g = new PoolGeometry(1, 1, 1, 2, 2, 2, 1);
        // Padding 1 on a 1x2 image, kernel 2, stride 2: windows cover columns {-1, 0} and {1, 2}.
        Storage x = of(Double.NaN, 5);
        Storage y = backend.allocate(2);
        backend.maxPool2d(g, x, y);
        assertArrayEquals(new double[] {Double.NaN, 5}, backend.downloadDoubles(y), EXACT);
    }
}
