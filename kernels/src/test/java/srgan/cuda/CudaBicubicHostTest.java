package srgan.cuda;

import org.junit.jupiter.api.Test;
import srgan.engine.resample.BicubicTable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The host side of {@link CudaBicubic}: the tables' device layout, the argument checks and the device table cache.
 * The tables themselves are tested in the engine (BicubicTableTest). CPU only.
 */
class CudaBicubicHostTest {

    @Test
    void deviceWordsAreDoublesThenPairsOfInts() {
        BicubicTable t = new BicubicTable(5, 1, 3, new int[]{4, 0, 2}, new double[]{0.25, 0.5, 0.25});
        long[] words = CudaBicubic.deviceWords(t);
        assertEquals(3 + 2, words.length);
        assertEquals(0.25, Double.longBitsToDouble(words[0]));
        assertEquals(0.5, Double.longBitsToDouble(words[1]));
        assertEquals(0.25, Double.longBitsToDouble(words[2]));
        assertEquals(4L | 0L << 32, words[3]); // index 0 low, index 1 high
        assertEquals(2L, words[4]);
    }

    @Test
    void shortStoragesAndBadScalesAreRefused() {
        EmulatedBicubicTest.Recorder rec = new EmulatedBicubicTest.Recorder();
        try (CudaBicubic bicubic = new CudaBicubic(rec)) {
            DeviceStorage x = rec.storage(2 * 3 * 8 * 8), y = rec.storage(2 * 3 * 2 * 2 - 1);
            assertThrows(IllegalArgumentException.class, () -> bicubic.resize(x, 2, 3, 8, 8, 0.25, y));
            DeviceStorage big = rec.storage(2 * 3 * 8 * 8);
            assertThrows(IllegalArgumentException.class, () -> bicubic.resize(x, 2, 3, 8, 8, 0, big));
        }
    }

    @Test
    void tablesAreUploadedOnceAndStayOpenUntilTheirLaunchWhenTheCacheEmpties() {
        EmulatedBicubicTest.Recorder rec = new EmulatedBicubicTest.Recorder();
        try (CudaBicubic bicubic = new CudaBicubic(rec)) {
            DeviceStorage x = rec.storage(100 * 100), y = rec.storage(100 * 100);
            bicubic.resize(x, 1, 1, 8, 8, 0.25, y); // one table serves both axes
            bicubic.resize(x, 1, 1, 8, 8, 0.25, y);
            assertEquals(1, rec.uploads);
            // 2 x 40 new tables overflow the cache, and the odd count puts the overflow between a call's two
            // look-ups; the recorder refuses a launch with a closed storage.
            for (int h = 20; h < 60; h++) bicubic.resize(x, 1, 1, h, h + 40, 0.5, y);
            assertEquals(1 + 80, rec.uploads);
        }
    }
}
