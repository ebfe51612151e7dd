package srgan.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HostTensorTest {

    @Test
    void acceptsMatchingShapes() {
        assertEquals(6, new HostTensor(new int[] {2, 3}, new float[6]).size());
        assertEquals(0, new HostTensor(new int[] {}, new float[1]).rank());
        assertEquals(0, new HostTensor(new int[] {4, 0, 2}, new float[0]).size());
    }

    @Test
    void rejectsMismatchedLengthNegativeDimsAndNulls() {
        assertThrows(IllegalArgumentException.class, () -> new HostTensor(new int[] {2, 3}, new float[5]));
        assertThrows(IllegalArgumentException.class, () -> new HostTensor(new int[] {}, new float[0]));
        assertThrows(IllegalArgumentException.class, () -> new HostTensor(new int[] {-1, 0}, new float[0]));
        assertThrows(IllegalArgumentException.class, () -> new HostTensor(new int[] {0, -2}, new float[0]));
        // The product wraps to a small positive number in int arithmetic; it must not pass.
        assertThrows(IllegalArgumentException.class,
                () -> new HostTensor(new int[] {65536, 65536, 65536, 65536, 2}, new float[0]));
        assertThrows(NullPointerException.class, () -> new HostTensor(null, new float[1]));
        assertThrows(NullPointerException.class, () -> new HostTensor(new int[] {1}, null));
    }

    @Test
    void shapeIsCopiedDataIsShared() {
        int[] shape = {2, 2};
        float[] data = {1, 2, 3, 4};
        HostTensor t = new HostTensor(shape, data);
        shape[0] = 7;
        t.shape()[1] = 9;
        assertArrayEquals(new int[] {2, 2}, t.shape());
        assertSame(data, t.data());
    }

    @Test
    void equalityAndHashFollowContents() {
        HostTensor a = new HostTensor(new int[] {2}, new float[] {1, Float.NaN});
        HostTensor b = new HostTensor(new int[] {2}, new float[] {1, Float.NaN});
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, new HostTensor(new int[] {1, 2}, new float[] {1, Float.NaN}));
        assertNotEquals(a, new HostTensor(new int[] {2}, new float[] {1, 2}));
        assertNotEquals(new HostTensor(new int[] {}, new float[] {0.0f}),
                new HostTensor(new int[] {}, new float[] {-0.0f}));
    }

    @Test
    void toStringShowsShapeAndDataAndElidesLongData() {
        assertEquals("HostTensor[2][1.5, -2.0]", new HostTensor(new int[] {2}, new float[] {1.5f, -2f}).toString());
        String s = new HostTensor(new int[] {100}, new float[100]).toString();
        assertTrue(s.startsWith("HostTensor[100][0.0, 0.0"), s);
        assertTrue(s.endsWith(", ... (100 elements)]"), s);
    }
}
