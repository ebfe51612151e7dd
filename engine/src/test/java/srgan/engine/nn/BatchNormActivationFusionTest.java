package srgan.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import srgan.engine.Init;
import srgan.engine.Rng;
import srgan.engine.Scope;
import srgan.engine.Tensor;
import srgan.engine.backend.cpu.CpuBackend;
import srgan.engine.ops.Activations;
import srgan.engine.ops.Arithmetic;
import srgan.engine.ops.Normalization;
import srgan.engine.ops.Reductions;

/**
 * A batch norm followed by a PReLU or leaky ReLU in a Sequential runs as one fused op on the CPU vector path, and
 * trains exactly as the two ops in turn: the same output, running statistics and gradients of the input, gamma,
 * beta and the slopes; and it keeps less memory, the normalised values not being stored.
 */
class BatchNormActivationFusionTest {
    private static final int N = 4;
    private static final int C = 6;
    private static final int H = 20;
    private static final int W = 18;

    @Test
    void fusedLayersTrainAsTheTwoOpsInTurn() {
        try (CpuBackend cpu = new CpuBackend(2)) {
            Assumptions.assumeTrue(cpu.fusesBatchNormPrelu(), "only the vector path fuses");
            for (boolean perChannel : new boolean[]{false, true}) {
                check(cpu, new PReLU(cpu, perChannel ? C : 1, 0.2), "prelu " + (perChannel ? "per channel" : "shared"));
            }
            check(cpu, new LeakyReLU(0.2), "leaky relu");
        }
    }

    private static void check(CpuBackend cpu, Module activation, String what) {
        BatchNorm2d fusedNorm = new BatchNorm2d(cpu, C);
        BatchNorm2d plainNorm = new BatchNorm2d(cpu, C);
        Rng rng = new Rng(5);
        for (BatchNorm2d norm : List.of(fusedNorm, plainNorm)) {
            // The same non-trivial gamma and beta in both.
            cpu.copy(Init.uniform(cpu, new Rng(6), 0.5, 1.5, C).storage(), 0, norm.weight().storage(), 0, C);
            cpu.copy(Init.uniform(cpu, new Rng(7), -0.3, 0.3, C).storage(), 0, norm.bias().storage(), 0, C);
        }
        Sequential fused = new Sequential(fusedNorm, activation);
        try (Scope s = Scope.open()) {
            Tensor x = Init.uniform(cpu, rng, -2, 3, N, C, H, W).requiresGrad(true);
            Tensor weights = Init.uniform(cpu, new Rng(8), -1, 1, N, C, H, W);
            Tensor z = fused.forward(x);
            assertEquals("batchNormPrelu", z.gradFn().name(), what + ": the Sequential fused the pair");
            Reductions.sum(Arithmetic.mul(z, weights)).backward();

            Tensor x2 = Tensor.of(cpu, x.toFloatArray(), N, C, H, W).requiresGrad(true);
            Tensor y2 = Normalization.batchNorm2d(x2, plainNorm.weight(), plainNorm.bias(), plainNorm.runningMean(),
                    plainNorm.runningVar(), true, plainNorm.momentum(), plainNorm.eps());
            Tensor z2 = activation instanceof PReLU p ? Activations.prelu(y2, p.weight())
                    : Activations.leakyRelu(y2, ((LeakyReLU) activation).negativeSlope());
            Tensor slopeGrad = activation instanceof PReLU p ? p.weight().grad() : null;
            float[] fusedSlopeGrad = slopeGrad == null ? null : slopeGrad.toFloatArray();
            if (activation instanceof PReLU p) p.weight().zeroGrad();
            Reductions.sum(Arithmetic.mul(z2, weights)).backward();

            // PReLU's output is bit for bit the same. The fused op takes a leaky ReLU's slope as a float, as PReLU's
            // kernel (and PyTorch's) do, where the leaky ReLU op multiplies by the double slope: the product can
            // round to the neighbouring float.
            float outputTolerance = activation instanceof PReLU ? 0f : 1e-6f;
            assertArrayEquals(z2.toFloatArray(), z.toFloatArray(), outputTolerance, what + ": output");
            assertArrayEquals(x2.grad().toFloatArray(), x.grad().toFloatArray(), 1e-6f, what + ": input gradient");
            assertArrayEquals(plainNorm.weight().grad().toFloatArray(), fusedNorm.weight().grad().toFloatArray(),
                    1e-4f, what + ": gamma gradient");
            assertArrayEquals(plainNorm.bias().grad().toFloatArray(), fusedNorm.bias().grad().toFloatArray(), 1e-4f,
                    what + ": beta gradient");
            if (activation instanceof PReLU p) {
                assertArrayEquals(p.weight().grad().toFloatArray(), fusedSlopeGrad, 1e-4f, what + ": slope gradient");
            }
            assertArrayEquals(plainNorm.runningMean().toFloatArray(), fusedNorm.runningMean().toFloatArray(),
                    what + ": running mean");
            assertArrayEquals(plainNorm.runningVar().toFloatArray(), fusedNorm.runningVar().toFloatArray(),
                    what + ": running variance");
            assertEquals(1f, fusedNorm.numBatchesTracked().toFloatArray()[0], what + ": batches counted");
        }
    }

    @Test
    void theFusedPairKeepsNoNormalisedValues() {
        try (CpuBackend cpu = new CpuBackend(2)) {
            Assumptions.assumeTrue(cpu.fusesBatchNormPrelu(), "only the vector path fuses");
            Sequential pair = new Sequential(new BatchNorm2d(cpu, C), new LeakyReLU(0.2));
            long[] held = new long[2];
            for (int fusedRun = 0; fusedRun < 2; fusedRun++) {
                try (Scope s = Scope.open()) {
                    Tensor x = Init.uniform(cpu, new Rng(9), -1, 1, N, C, H, W).requiresGrad(true);
                    long before = cpu.bytesInUse();
                    Tensor z = fusedRun == 1 ? pair.forward(x) : Activations.leakyRelu(
                            ((BatchNorm2d) pair.get(0)).forward(x), 0.2);
                    held[fusedRun] = cpu.bytesInUse() - before;
                    assertTrue(z.numel() > 0);
                }
            }
            long activation = 4L * N * C * H * W;
            assertTrue(held[0] >= 2 * activation, "composed: y and z held, " + held[0]);
            assertTrue(held[1] < 2 * activation, "fused: z only (and the statistics), " + held[1]);
        }
    }
}
