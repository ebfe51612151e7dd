package srgan.engine.backend.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import srgan.engine.backend.Backend;
import srgan.engine.backend.BackendProvider;
import srgan.engine.backend.Storage;
import srgan.engine.backend.UnaryOp;

class ReferenceStorageTest {

    @Test
    void doublesRoundTripExactlyAndFloatsWiden() {
        try (ReferenceBackend backend = new ReferenceBackend()) {
            double[] values = {0.1, -1e300, Double.MIN_VALUE, Double.NaN, Double.NEGATIVE_INFINITY};
            Storage s = backend.uploadDoubles(values);
            values[0] = 42; // the upload is a copy
            assertArrayEquals(new double[] {0.1, -1e300, Double.MIN_VALUE, Double.NaN, Double.NEGATIVE_INFINITY},
                    backend.downloadDoubles(s));
            assertEquals(5, s.size());
            assertSame(backend, s.backend());

            Storage f = backend.upload(new float[] {0.1f, 3f});
            assertArrayEquals(new double[] {0.1f, 3.0}, backend.downloadDoubles(f));
            assertArrayEquals(new float[] {0.1f, 3f}, backend.download(f));
        }
    }

    @Test
    void allocateZeroesFillSetsAndCopyMovesARange() {
        try (ReferenceBackend backend = new ReferenceBackend()) {
            Storage a = backend.allocate(4);
            assertArrayEquals(new double[4], backend.downloadDoubles(a));
            backend.fill(a, 2.5);
            assertArrayEquals(new double[] {2.5, 2.5, 2.5, 2.5}, backend.downloadDoubles(a));

            Storage src = backend.uploadDoubles(new double[] {1, 2, 3, 4, 5});
            backend.copy(src, 1, a, 2, 2);
            assertArrayEquals(new double[] {2.5, 2.5, 2, 3}, backend.downloadDoubles(a));

            // Overlapping ranges of one storage behave as a copy through a temporary (memmove).
            backend.copy(src, 0, src, 1, 4);
            assertArrayEquals(new double[] {1, 1, 2, 3, 4}, backend.downloadDoubles(src));
        }
    }

    @Test
    void closedStorageIsAnIllegalStateNamingTheBackend() {
        try (ReferenceBackend backend = new ReferenceBackend()) {
            ReferenceStorage s = (ReferenceStorage) backend.allocate(3);
            assertFalse(s.isClosed());
            s.close();
            s.close(); // idempotent
            assertTrue(s.isClosed());
            assertEquals(3, s.size());
            IllegalStateException e = assertThrows(IllegalStateException.class, s::data);
            assertTrue(e.getMessage().contains("reference"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> backend.fill(s, 1));
            assertThrows(IllegalStateException.class, () -> backend.downloadDoubles(s));
        }
    }

    @Test
    void closedBackendRefusesWork() {
        ReferenceBackend backend = new ReferenceBackend();
        Storage s = backend.allocate(2);
        backend.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> backend.fill(s, 1));
        assertTrue(e.getMessage().contains("reference"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> backend.allocate(1));
    }

    @Test
    void storageOfAnotherBackendIsAnIllegalArgument() {
        try (ReferenceBackend backend = new ReferenceBackend(); ReferenceBackend other = new ReferenceBackend()) {
            Storage mine = backend.allocate(2);
            Storage theirs = other.allocate(2);
            assertThrows(IllegalArgumentException.class, () -> backend.copy(theirs, 0, mine, 0, 2));
            Storage foreign = new Storage() {
                @Override
                public long size() {
                    return 2;
                }

                @Override
                public Backend backend() {
                    return other;
                }

                @Override
                public boolean isClosed() {
                    return false;
                }

                @Override
                public void close() {
                }
            };
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.unary(UnaryOp.RELU, 0, foreign, mine, 2));
            assertTrue(e.getMessage().contains("reference backend"), e.getMessage());
        }
    }

    @Test
    void providerIsAlwaysAvailableAndDescribesItself() {
        BackendProvider provider = new ReferenceBackendProvider();
        assertEquals("reference", provider.name());
        assertTrue(provider.isAvailable());
        assertEquals("", provider.unavailableReason());
        try (Backend backend = provider.create()) {
            assertInstanceOf(ReferenceBackend.class, backend);
            assertEquals("reference", backend.name());
            assertEquals("reference backend (float64, 1 thread)", backend.describe());
            backend.synchronize();
        }
    }
}
