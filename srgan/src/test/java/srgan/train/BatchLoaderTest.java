package srgan.train;

import org.junit.jupiter.api.Test;
import srgan.image.Bicubic;
import srgan.image.RgbImage;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchLoaderTest {
    private static final ProceduralImages SOURCE = ProceduralImages.generate(5, 40, 3);

    @Test
    void batchesDependOnSeedAndStepOnlyNotOnThreadsOrWhereLoadingStarted() {
        try (BatchLoader one = new BatchLoader(SOURCE, 3, 16, 4, 42, 1, 0, 8);
             BatchLoader three = new BatchLoader(SOURCE, 3, 16, 4, 42, 3, 0, 8);
             BatchLoader late = new BatchLoader(SOURCE, 3, 16, 4, 42, 2, 5, 8)) {
            for (int step = 0; step < 8; step++) {
                Batch a = one.next();
                Batch b = three.next();
                assertEquals(step, a.step());
                assertArrayEquals(a.hr(), b.hr());
                assertArrayEquals(a.lr(), b.lr());
                if (step >= 5) {
                    Batch c = late.next();
                    assertEquals(step, c.step());
                    assertArrayEquals(a.hr(), c.hr());
                }
            }
        }
        try (BatchLoader other = new BatchLoader(SOURCE, 3, 16, 4, 43, 1, 0, 1);
             BatchLoader same = new BatchLoader(SOURCE, 3, 16, 4, 42, 1, 0, 1)) {
            assertTrue(!Arrays.equals(other.next().hr(), same.next().hr()), "another seed should draw other crops");
        }
    }

    @Test
    void lrIsTheMatlabBicubicOfHrOnTheRightScales() {
        try (BatchLoader loader = new BatchLoader(SOURCE, 2, 16, 4, 7, 1, 0, 3)) {
            for (int step = 0; step < 3; step++) {
                Batch b = loader.next();
                assertEquals(16, b.hrSide());
                assertEquals(4, b.lrSide());
                for (int i = 0; i < b.size(); i++) {
                    float[] hr = Arrays.copyOfRange(b.hr(), i * 3 * 256, (i + 1) * 3 * 256);
                    float[] lr = Arrays.copyOfRange(b.lr(), i * 3 * 16, (i + 1) * 3 * 16);
                    for (float v : hr) assertTrue(v >= -1 && v <= 1);
                    for (float v : lr) assertTrue(v >= 0 && v <= 1);
                    RgbImage hrImage = RgbImage.fromTensorData(hr, 16, 16, -1, 1).quantized();
                    float[] expected = Bicubic.resizeToUint8(hrImage, 0.25).toTensorData(0, 1);
                    assertArrayEquals(expected, lr, 1e-6f);
                }
            }
        }
    }

    @Test
    void everyImageIsUsedOncePerEpoch() {
        // Five images, one crop per step: steps 0-4 are epoch 0, 5-9 epoch 1. Crops are told apart by their
        // source image's pixels, so crop each image whole (40x40 crop of a 40x40 image, flips and turns aside).
        try (BatchLoader loader = new BatchLoader(SOURCE, 1, 40, 4, 9, 2, 0, 10)) {
            for (int epoch = 0; epoch < 2; epoch++) {
                Set<Integer> seen = new HashSet<>();
                for (int k = 0; k < 5; k++) {
                    float[] hr = loader.next().hr();
                    seen.add(imageOf(hr));
                }
                assertEquals(Set.of(0, 1, 2, 3, 4), seen);
            }
        }
    }

    /** Which source image a whole-image crop came from: its sorted pixel values identify it. */
    private static int imageOf(float[] hrData) {
        float[] key = RgbImage.fromTensorData(hrData, 40, 40, -1, 1).quantized().pixels().clone();
        Arrays.sort(key);
        for (int i = 0; i < SOURCE.size(); i++) {
            float[] candidate = SOURCE.image(i).unpack().pixels().clone();
            Arrays.sort(candidate);
            if (Arrays.equals(candidate, key)) return i;
        }
        throw new AssertionError("crop matches no source image");
    }
}
