package srgan.engine.nn;

import org.junit.jupiter.api.Test;
import srgan.engine.GradMode;
import srgan.engine.Init;
import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.cpu.CpuBackend;
import srgan.engine.ops.Arithmetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Without a graph, a Sequential frees each child's temporaries and each intermediate as it goes. */
class SequentialMemoryTest {
    /** A block that makes temporaries of its own: x + 0.5 * conv(relu(conv(x))). */
    private static final class Block extends Module {
        private final Conv2d a;
        private final Conv2d b;

        Block(CpuBackend backend, Rng rng) {
            a = registerModule("a", new Conv2d(backend, rng, 8, 8, 3, 1, 1, true));
            b = registerModule("b", new Conv2d(backend, rng, 8, 8, 3, 1, 1, true));
        }

        @Override
        public Tensor forward(Tensor x) {
            return Arithmetic.add(x, Arithmetic.scale(b.forward(new ReLU().forward(a.forward(x))), 0.5));
        }
    }

    @Test
    void inferenceKeepsOnlyTheOutputAndGivesTheSameNumbers() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            Rng rng = new Rng(3);
            Sequential net = new Sequential();
            for (int i = 0; i < 6; i++) net.add(new Block(cpu, rng));
            net.add(new Flatten());
            try (Scope outer = Scope.open()) {
                Tensor x = Init.uniform(cpu, new Rng(4), -1, 1, 2, 8, 16, 16);
                float[] withGraph;
                try (Scope graph = Scope.open()) {
                    withGraph = net.forward(x).toFloatArray();
                }
                long before = cpu.bytesInUse();
                int owned = outer.size();
                Tensor y;
                try (GradMode off = GradMode.noGrad()) {
                    y = net.forward(x);
                }
                assertArrayEquals(withGraph, y.toFloatArray());
                assertEquals(owned + 1, outer.size(), "only the output is left to the caller's scope");
                // The output is a view of the last block's result: exactly one activation stays allocated.
                assertEquals(x.numel() * Float.BYTES, cpu.bytesInUse() - before);
                assertTrue(!x.isClosed(), "the input belongs to the caller");
            }
            net.close();
            assertEquals(0, cpu.bytesInUse(), "everything is given back");
        }
    }
}
