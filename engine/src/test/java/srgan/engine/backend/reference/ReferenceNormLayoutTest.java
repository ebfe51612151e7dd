package srgan.engine.backend.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

import srgan.engine.backend.Storage;

/** Batch normalisation, pixel shuffle and channel copies against values worked out by hand. */
class ReferenceNormLayoutTest {
    private static final double EXACT = 0;
    private static final double TIGHT = 1e-15;
    private final ReferenceBackend backend = new ReferenceBackend();

    private Storage of(double... values) {
        return backend.uploadDoubles(values);
    }

    // x [N=2, C=2, hw=2]. Channel 0 holds {5, 1, 1, 1}: mean 2, biased variance 3. Channel 1 holds {0, 0, 0, 4}:
    // mean 1, variance 3. With eps = 1 both inverse standard deviations are 1/2, so
    // xhat0 = {1.5, -0.5, -0.5, -0.5} and xhat1 = {-0.5, -0.5, -0.5, 1.5}.
    private static final double[] X = {5, 1, 0, 0, 1, 1, 0, 4};
    private static final double[] GAMMA = {2, -1};
    private static final double[] BETA = {0.5, 3};

    @Test
    void batchNormTrainNormalisesWithBatchStatisticsAndUpdatesRunningOnes() {
        Storage runMean = of(0, 10);
        Storage runVar = of(1, 2);
        Storage y = backend.allocate(8);
        Storage saveMean = backend.allocate(2);
        Storage saveInvStd = backend.allocate(2);
        backend.batchNormTrain(of(X), of(GAMMA), of(BETA), runMean, runVar, 0.1, 1, y, saveMean, saveInvStd, 2, 2, 2);
        // y = gamma * xhat + beta: channel 0 is 2 * xhat + 0.5, channel 1 is 3 - xhat.
        assertArrayEquals(new double[] {3.5, -0.5, 3.5, 3.5, -0.5, -0.5, 3.5, 1.5}, backend.downloadDoubles(y), EXACT);
        assertArrayEquals(new double[] {2, 1}, backend.downloadDoubles(saveMean), EXACT);
        assertArrayEquals(new double[] {0.5, 0.5}, backend.downloadDoubles(saveInvStd), EXACT);
        // running = 0.9 * running + 0.1 * batch, with the unbiased variance 3 * 4/3 = 4.
        assertArrayEquals(new double[] {0.2, 9.1}, backend.downloadDoubles(runMean), TIGHT);
        assertArrayEquals(new double[] {1.3, 2.2}, backend.downloadDoubles(runVar), TIGHT);
    }

    @Test
    void batchNormEvalUsesRunningStatistics() {
        Storage y = backend.allocate(8);
        Storage saveMean = backend.allocate(2);
        Storage saveInvStd = backend.allocate(2);
        Storage runMean = of(1, 0);
        Storage runVar = of(3, 0);
        backend.batchNormEval(of(X), of(GAMMA), of(BETA), runMean, runVar, 1, y, saveMean, saveInvStd, 2, 2, 2);
        // Channel 0: 2 * (x - 1) / 2 + 0.5 = x - 0.5. Channel 1: -(x - 0) / 1 + 3 = 3 - x.
        assertArrayEquals(new double[] {4.5, 0.5, 3, 3, 0.5, 0.5, 3, -1}, backend.downloadDoubles(y), EXACT);
        assertArrayEquals(new double[] {1, 0}, backend.downloadDoubles(saveMean), EXACT);
        assertArrayEquals(new double[] {0.5, 1}, backend.downloadDoubles(saveInvStd), EXACT);
        assertArrayEquals(new double[] {1, 0}, backend.downloadDoubles(runMean), EXACT);
        assertArrayEquals(new double[] {3, 0}, backend.downloadDoubles(runVar), EXACT);
    }

    @Test
    void batchNormBackwardInTrainingProjectsOutTheStatistics() {
        // gy is 1 at channel 0's first element and 2 at channel 1's last.
        // gx = gamma * invStd * (gy - mean(gy) - xhat * mean(gy * xhat)):
        //   channel 0: 1 * ({1,0,0,0} - 0.25 - xhat0 * 0.375) = {0.1875, -0.0625, -0.0625, -0.0625}
        //   channel 1: -0.5 * ({0,0,0,2} - 0.5 - xhat1 * 0.75) = {0.0625, 0.0625, 0.0625, -0.1875}
        Storage gy = of(1, 0, 0, 0, 0, 0, 0, 2);
        Storage gx = of(1, 1, 1, 1, 1, 1, 1, 1);
        Storage gGamma = of(10, 10);
        Storage gBeta = of(10, 10);
        backend.batchNormBackward(true, of(X), of(GAMMA), of(2, 1), of(0.5, 0.5), gy, gx, gGamma, gBeta, 2, 2, 2);
        assertArrayEquals(new double[] {1.1875, 0.9375, 1.0625, 1.0625, 0.9375, 0.9375, 1.0625, 0.8125},
                backend.downloadDoubles(gx), EXACT);
        assertArrayEquals(new double[] {11.5, 13}, backend.downloadDoubles(gGamma), EXACT); // sum gy * xhat
        assertArrayEquals(new double[] {11, 12}, backend.downloadDoubles(gBeta), EXACT); // sum gy

        // Parameter gradients do not depend on the mode, and a null buffer is skipped.
        Storage onlyBeta = backend.allocate(2);
        backend.batchNormBackward(true, of(X), of(GAMMA), of(2, 1), of(0.5, 0.5), gy, null, null, onlyBeta, 2, 2, 2);
        assertArrayEquals(new double[] {1, 2}, backend.downloadDoubles(onlyBeta), EXACT);
    }

    @Test
    void batchNormBackwardInEvalTreatsStatisticsAsConstants() {
        // Saved statistics of the eval test: mean {1, 0}, invStd {0.5, 1}; xhat0 = {2, 0, 0, 0},
        // xhat1 = {0, 0, 0, 4}. gx = gamma * invStd * gy.
        Storage gy = of(1, 0, 0, 0, 0, 0, 0, 2);
        Storage gx = backend.allocate(8);
        Storage gGamma = backend.allocate(2);
        Storage gBeta = backend.allocate(2);
        backend.batchNormBackward(false, of(X), of(GAMMA), of(1, 0), of(0.5, 1), gy, gx, gGamma, gBeta, 2, 2, 2);
        assertArrayEquals(new double[] {1, 0, 0, 0, 0, 0, 0, -2}, backend.downloadDoubles(gx), EXACT);
        assertArrayEquals(new double[] {2, 8}, backend.downloadDoubles(gGamma), EXACT);
        assertArrayEquals(new double[] {1, 2}, backend.downloadDoubles(gBeta), EXACT);
    }

    @Test
    void pixelShuffleMapsChannelGroupsToSubPixels() {
        // x [2, 8, 1, 2] with x[img][ch][0][w] = 100 img + 10 ch + w; r = 2 gives y [2, 2, 2, 4] with
        // y[img][k][i][2w + j] = x[img][4k + 2i + j][0][w].
        double[] x = new double[32];
        for (int img = 0; img < 2; img++) {
            for (int ch = 0; ch < 8; ch++) {
                for (int w = 0; w < 2; w++) x[(img * 8 + ch) * 2 + w] = 100 * img + 10 * ch + w;
            }
        }
        Storage y = backend.allocate(32);
        backend.pixelShuffle(of(x), y, 2, 8, 1, 2, 2);
        assertArrayEquals(new double[] {
                0, 10, 1, 11, 20, 30, 21, 31, 40, 50, 41, 51, 60, 70, 61, 71,
                100, 110, 101, 111, 120, 130, 121, 131, 140, 150, 141, 151, 160, 170, 161, 171},
                backend.downloadDoubles(y), EXACT);

        // The backward is the inverse permutation, accumulated.
        Storage gx = backend.allocate(32);
        backend.fill(gx, 1);
        backend.pixelShuffleBackward(y, gx, 2, 8, 1, 2, 2);
        double[] expected = new double[32];
        for (int i = 0; i < 32; i++) expected[i] = x[i] + 1;
        assertArrayEquals(expected, backend.downloadDoubles(gx), EXACT);
    }

    @Test
    void pixelShuffleInterleavesRowsToo() {
        // x [1, 4, 2, 1] with x[ch][h][0] = 10 ch + h: y [1, 1, 4, 2], y[0][0][2h + i][j] = x[2i + j][h][0].
        Storage y = backend.allocate(8);
        backend.pixelShuffle(of(0, 1, 10, 11, 20, 21, 30, 31), y, 1, 4, 2, 1, 2);
        assertArrayEquals(new double[] {0, 10, 20, 30, 1, 11, 21, 31}, backend.downloadDoubles(y), EXACT);
    }

    @Test
    void copyChannelsCopiesOrAddsAChannelRangePerImage() {
        // src [2, 2, hw=2], dst [2, 3, hw=2].
        Storage src = of(1, 2, 3, 4, 5, 6, 7, 8);
        Storage dst = backend.allocate(12);
        backend.copyChannels(src, 2, 0, dst, 3, 1, 2, 2, 2, false);
        assertArrayEquals(new double[] {0, 0, 1, 2, 3, 4, 0, 0, 5, 6, 7, 8}, backend.downloadDoubles(dst), EXACT);
        backend.copyChannels(src, 2, 1, dst, 3, 0, 1, 2, 2, true);
        assertArrayEquals(new double[] {3, 4, 1, 2, 3, 4, 7, 8, 5, 6, 7, 8}, backend.downloadDoubles(dst), EXACT);
        backend.copyChannels(src, 2, 0, dst, 3, 2, 1, 2, 2, false);
        assertArrayEquals(new double[] {3, 4, 1, 2, 1, 2, 7, 8, 5, 6, 5, 6}, backend.downloadDoubles(dst), EXACT);
    }
}
