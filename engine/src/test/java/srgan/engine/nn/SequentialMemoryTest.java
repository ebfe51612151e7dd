package srgan.engine.nn;

import org.junit.jupiter.api.Test;
import srgan.engine.GradMode;
import srgan.engine.Init;
import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.cpu.CpuBackend;
import srgan.engine.ops.Arithmetic;
import srgan.engine.ops.Reductions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Without a graph, a Sequential frees each child's temporaries and each intermediate as it goes; with one, it
 * frees the data of an intermediate that no backward reads (a convolution's output taken by a pixel shuffle).
 */
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

    /** The gradients of conv -> shuffle -> PReLU -> conv, run through a Sequential or op by op. */
    private static float[][] gradients(CpuBackend cpu, boolean sequential, long[] heldAfterForward) {
        Rng rng = new Rng(9);
        Conv2d up = new Conv2d(cpu, rng, 4, 16, 3, 1, 1, true);
        PixelShuffle shuffle = new PixelShuffle(2);
        PReLU act = new PReLU(cpu, 1, 0.25);
        Conv2d out = new Conv2d(cpu, rng, 4, 2, 3, 1, 1, true);
        Sequential net = new Sequential(up, shuffle, act, out);
        try (Scope step = Scope.open()) {
            Tensor x = Init.uniform(cpu, new Rng(5), -1, 1, 2, 4, 6, 6).requiresGrad(true);
            long before = cpu.bytesInUse();
            Tensor y;
            Tensor conv = null;
            if (sequential) {
                y = net.forward(x);
            } else {
                conv = up.forward(x);
                y = out.forward(act.forward(shuffle.forward(conv)));
            }
            heldAfterForward[0] = cpu.bytesInUse() - before;
            if (conv != null) assertFalse(conv.isClosed());
            Reductions.sum(Arithmetic.mul(y, y)).backward();
            float[][] grads = {x.grad().toFloatArray(), up.weight().grad().toFloatArray(),
                    out.weight().grad().toFloatArray(), act.weight().grad().toFloatArray()};
            net.close();
            return grads;
        }
    }

    @Test
    void trainingFreesTheConvolutionOutputAShuffleTookWithTheSameGradients() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            long[] heldBySequential = new long[1];
            long[] heldOpByOp = new long[1];
            float[][] bySequential = gradients(cpu, true, heldBySequential);
            float[][] opByOp = gradients(cpu, false, heldOpByOp);
            for (int i = 0; i < bySequential.length; i++) {
                assertArrayEquals(opByOp[i], bySequential[i], "gradient " + i);
            }
            // The convolution's output: 2 x 16 x 6 x 6 floats.
            assertEquals(2 * 16 * 6 * 6 * Float.BYTES, heldOpByOp[0] - heldBySequential[0]);
            assertEquals(0, cpu.bytesInUse(), "everything is given back");
        }
    }

    @Test
    void aDiscardedTensorSaysSoWhenRead() {
        try (CpuBackend cpu = new CpuBackend(1); Scope scope = Scope.open()) {
            Tensor t = Init.uniform(cpu, new Rng(1), -1, 1, 3);
            t.discardData();
            IllegalStateException e = assertThrows(IllegalStateException.class, t::toFloatArray);
            assertTrue(e.getMessage().contains("discarded"), e.getMessage());
            t.close();
            e = assertThrows(IllegalStateException.class, t::toFloatArray);
            assertTrue(e.getMessage().contains("was closed"), e.getMessage());
        }
    }
}
