package srgan.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ScratchTest {
    @Test
    void firstOnLineCountsElementsToTheNextLine() {
        assertEquals(0, Scratch.firstOnLine(0, Float.BYTES));
        assertEquals(0, Scratch.firstOnLine(640, Float.BYTES));
        assertEquals(12, Scratch.firstOnLine(16, Float.BYTES));
        assertEquals(1, Scratch.firstOnLine(64 * 7 + 60, Float.BYTES));
        assertEquals(7, Scratch.firstOnLine(8, Double.BYTES));
        assertEquals(4, Scratch.firstOnLine(64 + 32, Double.BYTES));
    }

    @Test
    void everySlotHoldsItsSizeFromItsStartAndIsReusedUntilItMustGrow() {
        Scratch scratch = new Scratch(2, 1, 1);
        for (int slot = 0; slot < 2; slot++) {
            float[] first = scratch.floats(slot, 1000);
            int start = scratch.start(slot);
            assertTrue(start >= 0 && start < Scratch.LINE_BYTES / Float.BYTES, "start " + start);
            assertTrue(first.length >= start + 1000);
            assertSame(first, scratch.floats(slot, 999), "a smaller request reuses the array");
            float[] grown = scratch.floats(slot, 5000);
            assertNotSame(first, grown);
            assertTrue(grown.length >= scratch.start(slot) + 5000);
        }
        double[] doubles = scratch.doubles(0, 300);
        int start = scratch.doubleStart(0);
        assertTrue(start >= 0 && start < Scratch.LINE_BYTES / Double.BYTES, "start " + start);
        assertTrue(doubles.length >= start + 300);
        assertTrue(scratch.ints(0, 17).length >= 17);
    }

    @Test
    void startsFollowTheArraysAddresses() {
        assumeTrue(Scratch.addressesKnown(), "this JVM's array addresses cannot be read (no sun.misc.Unsafe)");
        // Arrays of different lengths, allocated one after the other, start at different offsets within a line,
        // so a reader that returned a constant address would give one start for all.
        Set<Integer> starts = new HashSet<>();
        for (int i = 0; i < 16; i++) {
            Scratch scratch = new Scratch(1, 0, 0);
            scratch.floats(0, 1001 + i);
            starts.add(scratch.start(0));
        }
        assertTrue(starts.size() > 1, "starts " + starts);
    }
}
