package srgan.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.Backend;

/** Parameter counts, initialisation and forward passes of the layers. */
class LayersTest {
    private final Backend backend = TestBackends.create(TestBackends.REFERENCE);

    @AfterEach
    void closeBackend() {
        backend.close();
    }

    @Test
    void parameterCountsMatchPyTorch() {
        // Figures from sum(p.numel() for p in m.parameters()) in PyTorch.
        assertEquals(15616, new Conv2d(backend, new Rng(0), 3, 64, 9).parameterCount());
        assertEquals(36864, new Conv2d(backend, new Rng(0), 64, 64, 3, 1, 1, false).parameterCount());
        assertEquals(36928, new Conv2d(backend, new Rng(0), 64, 64, 3, 1, 1, true).parameterCount());
        assertEquals(55, new Linear(backend, new Rng(0), 10, 5).parameterCount());
        assertEquals(50, new Linear(backend, new Rng(0), 10, 5, false).parameterCount());
        assertEquals(128, new BatchNorm2d(backend, 64).parameterCount()); // buffers do not count
        assertEquals(1, new PReLU(backend).parameterCount());
        assertEquals(64, new PReLU(backend, 64, 0.25).parameterCount());
        assertEquals(0, new ReLU().parameterCount());
        assertEquals(15616 + 128 + 1, new Sequential(new Conv2d(backend, new Rng(0), 3, 64, 9),
                new BatchNorm2d(backend, 64), new PReLU(backend)).parameterCount());
    }

    @Test
    void defaultInitialisationIsPyTorchsAndSeeded() {
        Conv2d conv = new Conv2d(backend, new Rng(5), 4, 8, 3);
        double bound = 1 / Math.sqrt(4 * 3 * 3); // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
        double max = 0;
        for (double v : conv.weight().toDoubleArray()) max = Math.max(max, Math.abs(v));
        for (double v : conv.bias().toDoubleArray()) max = Math.max(max, Math.abs(v));
        assertTrue(max <= bound && max > 0.8 * bound, "max |w| " + max + " vs bound " + bound);
        assertEquals(conv.stateDict(), new Conv2d(backend, new Rng(5), 4, 8, 3).stateDict());
        assertNotEquals(conv.stateDict(), new Conv2d(backend, new Rng(6), 4, 8, 3).stateDict());

        assertNull(new Conv2d(backend, new Rng(5), 4, 8, 3, 1, 1, false).bias());
        assertArrayEquals(new double[]{0.25, 0.25}, new PReLU(backend, 2, 0.25).weight().toDoubleArray());
    }

    @Test
    void linearComputesXWTransposePlusB() {
        Linear linear = new Linear(backend, new Rng(1), 2, 3);
        linear.weight().copyFromDoubles(new double[]{1, 2, 3, 4, 5, 6});
        linear.bias().copyFromDoubles(new double[]{0.5, -0.5, 1});
        try (Scope s = Scope.open()) {
            Tensor y = linear.forward(Tensor.ofDoubles(backend, new double[]{1, -1, 2, 0.5}, 2, 2));
            assertArrayEquals(new int[]{2, 3}, y.shape());
            assertArrayEquals(new double[]{-0.5, -1.5, 0, 3.5, 7.5, 14}, y.toDoubleArray(), 0);
        }
    }

    @Test
    void activationsAndLayoutLayers() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.ofDoubles(backend, new double[]{-2, -0.5, 0, 1, 3, -4, 2, 0.25}, 1, 8, 1, 1);
            assertArrayEquals(new double[]{0, 0, 0, 1, 3, 0, 2, 0.25}, new ReLU().forward(x).toDoubleArray(), 0);
            assertArrayEquals(new double[]{-0.4, -0.1, 0, 1, 3, -0.8, 2, 0.25},
                    new LeakyReLU(0.2).forward(x).toDoubleArray(), 1e-15);
            assertArrayEquals(new double[]{-0.02, -0.005, 0, 1, 3, -0.04, 2, 0.25},
                    new LeakyReLU().forward(x).toDoubleArray(), 1e-15);
            assertArrayEquals(new double[]{-0.5, -0.125, 0, 1, 3, -1, 2, 0.25},
                    new PReLU(backend).forward(x).toDoubleArray(), 0);
            assertEquals(Math.tanh(-2), new Tanh().forward(x).toDoubleArray()[0], 1e-15);
            assertEquals(1 / (1 + Math.exp(2)), new Sigmoid().forward(x).toDoubleArray()[0], 1e-15);

            // [1, 8, 1, 1] -> [1, 2, 2, 2]: channel k*4 + i*2 + j lands at (k, i, j).
            Tensor shuffled = new PixelShuffle(2).forward(x);
            assertArrayEquals(new int[]{1, 2, 2, 2}, shuffled.shape());
            assertArrayEquals(x.toDoubleArray(), shuffled.toDoubleArray(), 0);
            assertArrayEquals(new int[]{1, 8}, new Flatten().forward(shuffled).shape());
        }
    }

    @Test
    void sequentialNamesChildrenByIndexAndChains() {
        ReLU first = new ReLU();
        Sequential seq = new Sequential(first).add(new LeakyReLU(0.5));
        assertEquals(2, seq.size());
        assertSame(first, seq.get(0));
        assertEquals(java.util.List.of("0", "1"), new java.util.ArrayList<>(seq.namedChildren().keySet()));
        assertThrows(IndexOutOfBoundsException.class, () -> seq.get(2));
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.ofDoubles(backend, new double[]{-2, 4}, 1, 2);
            assertArrayEquals(new double[]{0, 4}, seq.forward(x).toDoubleArray(), 0);
            assertSame(x, new Sequential().forward(x));
        }
    }

    @Test
    void invalidArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(backend, new Rng(0), 3, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(backend, new Rng(0), 3, 4, 3, 1, -1, true));
        assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(backend, 4, 1e-5, 1.5));
        assertThrows(IllegalArgumentException.class, () -> new PReLU(backend, 0, 0.25));
        assertThrows(IllegalArgumentException.class, () -> new PixelShuffle(0));
    }
}
