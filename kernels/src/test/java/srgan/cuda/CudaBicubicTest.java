package srgan.cuda;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import srgan.engine.resample.BicubicTable;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The bicubic kernels on the GPU through {@link CudaBicubic}'s public entry points, held to the same
 * {@link BicubicReference} as on the emulator (EmulatedBicubicTest): Bicubic.java's bits and the MATLAB oracle.
 * Skipped, with the reason, where there is no usable GPU.
 */
@Tag("gpu")
class CudaBicubicTest {

    private static CudaBackend cuda;

    @BeforeAll
    static void open() {
        CudaBackendProvider provider = new CudaBackendProvider();
        assumeTrue(provider.isAvailable(), "no CUDA: " + provider.unavailableReason());
        cuda = new CudaBackend();
    }

    @AfterAll
    static void close() {
        if (cuda != null) cuda.close();
    }

    @Test
    void everyCaseMatchesBicubicJavaAndTheMatlabOracle() {
        List<String> problems = new ArrayList<>();
        try (CudaBicubic bicubic = new CudaBicubic(cuda)) {
            for (int c = 0; c < BicubicReference.CASES.size(); c++) {
                BicubicReference.Case k = BicubicReference.CASES.get(c);
                float[] x = k.input(11 + c);
                try (DeviceStorage xs = (DeviceStorage) cuda.upload(x);
                     DeviceStorage ys = (DeviceStorage) cuda.upload(nans((long) k.n() * k.c() * k.oh() * k.ow()))) {
                    // Both public forms: by scale (tables built inside) and with explicit tables.
                    if (c % 2 == 0 && k.output().quantize()) {
                        bicubic.resizeToUint8(xs, k.n(), k.c(), k.h(), k.w(), k.scale(), k.output().lo(),
                                k.output().hi(), ys);
                    } else if (c % 2 == 0) {
                        bicubic.resize(xs, k.n(), k.c(), k.h(), k.w(), k.scale(), ys);
                    } else {
                        bicubic.resize(xs, k.n(), k.c(), BicubicTable.matlab(k.h(), k.scale()),
                                BicubicTable.matlab(k.w(), k.scale()), ys, k.output());
                    }
                    problems.addAll(BicubicReference.check(k, x, cuda.download(ys)));
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void aTrainingBatchOfSixteenCrops() {
        // The training pipeline's shape: 16 HR crops of 96x96 on the 0..255 scale -> LR [16, 3, 24, 24] on [0, 1].
        BicubicReference.Case k = new BicubicReference.Case("a training batch, 16 x 3 x 96 x 96 -> 24 x 24", 16, 3,
                96, 96, 0.25, CudaBicubic.Output.uint8(0, 1), BicubicReference.Input.UINT8);
        float[] x = k.input(7);
        try (CudaBicubic bicubic = new CudaBicubic(cuda);
             DeviceStorage xs = (DeviceStorage) cuda.upload(x);
             DeviceStorage ys = (DeviceStorage) cuda.upload(nans(16L * 3 * 24 * 24))) {
            bicubic.resizeToUint8(xs, 16, 3, 96, 96, 0.25, 0, 1, ys);
            bicubic.resizeToUint8(xs, 16, 3, 96, 96, 0.25, 0, 1, ys); // the second call reuses the cached tables
            assertEquals(List.of(), BicubicReference.check(k, x, cuda.download(ys)));
        }
    }

    @Test
    void storagesTooSmallAreRefused() {
        try (CudaBicubic bicubic = new CudaBicubic(cuda);
             DeviceStorage xs = (DeviceStorage) cuda.allocate(2 * 3 * 8 * 8);
             DeviceStorage ys = (DeviceStorage) cuda.allocate(2 * 3 * 2 * 2 - 1)) {
            assertThrows(IllegalArgumentException.class, () -> bicubic.resize(xs, 2, 3, 8, 8, 0.25, ys));
        }
    }

    private static float[] nans(long n) {
        float[] f = new float[Math.toIntExact(n)];
        java.util.Arrays.fill(f, Float.NaN);
        return f;
    }
}
