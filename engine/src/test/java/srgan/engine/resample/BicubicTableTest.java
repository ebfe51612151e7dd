package srgan.engine.resample;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * MATLAB's bicubic contribution tables. The harness's full tables are pinned through srgan's BicubicTest; these
 * check the convention from first principles.
 */
class BicubicTableTest {

    @Test
    void upscalingByFourUsesMatlabsKnownWeightsAwayFromTheBorders() {
        // Output pixel 4x + p samples LR coordinate x + (p + 0.5) / 4 - 0.5; for p = 0 that is x - 0.375, whose
        // Keys weights (a = -0.5) at distances 1.625, 0.625, 0.375, 1.375 are these dyadic fractions (sum 1).
        BicubicTable t = BicubicTable.matlab(10, 4);
        assertEquals(10, t.inLength());
        assertEquals(40, t.outLength());
        assertEquals(4, t.taps());
        int o = 4 * 5; // LR pixel 5, phase 0
        assertArrayEquals(new int[]{3, 4, 5, 6}, Arrays.copyOfRange(t.index(), o * 4, o * 4 + 4));
        assertArrayEquals(new double[]{-0.0439453125, 0.3896484375, 0.7275390625, -0.0732421875},
                Arrays.copyOfRange(t.weight(), o * 4, o * 4 + 4), 0);
    }

    @Test
    void downscalingWidensTheKernelMirrorsAtTheEdgesAndNormalises() {
        BicubicTable t = BicubicTable.matlab(37, 0.25);
        assertEquals(10, t.outLength());
        // Width 4 / 0.25 = 16 taps; the two partial ones at the table's edges are zero for every pixel and dropped.
        assertEquals(16, t.taps());
        for (int o = 0; o < t.outLength(); o++) {
            double sum = 0;
            for (int k = 0; k < t.taps(); k++) sum += t.weight()[o * t.taps() + k];
            assertEquals(1, sum, 1e-12);
        }
        // Output 0 samples 0-based input coordinate 1.5 and reaches 8 pixels either side: positions -6..9, the
        // six before the image mirrored with the edge repeated.
        assertArrayEquals(new int[]{5, 4, 3, 2, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, Arrays.copyOf(t.index(), 16));
    }

    @Test
    void cubicIsKeysKernelWithAMinusAHalf() {
        assertEquals(1, BicubicTable.cubic(0));
        assertEquals(0, BicubicTable.cubic(1));
        assertEquals(0, BicubicTable.cubic(-2));
        assertEquals(0, BicubicTable.cubic(2.5));
        // 1.5 * 0.125 - 2.5 * 0.25 + 1 and -0.5 * 3.375 + 2.5 * 2.25 - 4 * 1.5 + 2
        assertEquals(0.5625, BicubicTable.cubic(-0.5));
        assertEquals(-0.0625, BicubicTable.cubic(1.5));
    }

    @Test
    void outLengthIsTheCeilingAndRefusesEmptyResults() {
        assertEquals(3, BicubicTable.outLength(10, 0.25));
        assertEquals(52, BicubicTable.outLength(13, 4));
        assertEquals(6, BicubicTable.outLength(17, 1.0 / 3));
        assertThrows(IllegalArgumentException.class, () -> BicubicTable.outLength(0, 4));
        assertThrows(IllegalArgumentException.class, () -> BicubicTable.outLength(Integer.MAX_VALUE, 4));
    }

    @Test
    void mirrorRepeatsTheEdgePixelLikeMatlab() {
        // MATLAB's aux = [0..n-1, n-1..0], indexed modulo 2n.
        int n = 5;
        int[] aux = {0, 1, 2, 3, 4, 4, 3, 2, 1, 0};
        for (int i = -23; i < 23; i++) {
            assertEquals(aux[Math.floorMod(i, 2 * n)], BicubicTable.mirror(i, n), "index " + i);
        }
    }

    @Test
    void badTablesAndScalesAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new BicubicTable(5, 1, 2, new int[]{0, 5}, new double[]{0.5, 0.5}));
        assertThrows(IllegalArgumentException.class,
                () -> new BicubicTable(5, 1, 2, new int[]{0, -1}, new double[]{0.5, 0.5}));
        assertThrows(IllegalArgumentException.class,
                () -> new BicubicTable(5, 1, 2, new int[]{0}, new double[]{0.5, 0.5}));
        assertThrows(IllegalArgumentException.class,
                () -> new BicubicTable(5, 0, 2, new int[]{}, new double[]{}));
        assertThrows(IllegalArgumentException.class, () -> BicubicTable.matlab(5, 0));
        assertThrows(IllegalArgumentException.class, () -> BicubicTable.matlab(5, -2));
        assertThrows(IllegalArgumentException.class, () -> BicubicTable.matlab(5, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> BicubicTable.matlab(5, Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> BicubicTable.matlab(0, 2));
    }
}
