package srgan.engine.backend.cpu;

import static srgan.engine.backend.cpu.MicroKernels.F;
import static srgan.engine.backend.cpu.MicroKernels.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** The vector loop of {@link CpuPeak}: twelve independent FMA chains of full vectors, as the micro-kernels. */
final class VectorPeak {
    static final int STEPS = 1000;
    static final long FLOPS_PER_CALL = 2L * 12 * L * STEPS;

    private VectorPeak() {
    }

    static float call(long seed) {
        FloatVector a = FloatVector.broadcast(F, 1e-4f * (seed & 7));
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector c0 = one, c1 = one, c2 = one, c3 = one, c4 = one, c5 = one;
        FloatVector c6 = one, c7 = one, c8 = one, c9 = one, c10 = one, c11 = one;
        for (int k = 0; k < STEPS; k++) {
            c0 = a.fma(c0, one); c1 = a.fma(c1, one); c2 = a.fma(c2, one); c3 = a.fma(c3, one);
            c4 = a.fma(c4, one); c5 = a.fma(c5, one); c6 = a.fma(c6, one); c7 = a.fma(c7, one);
            c8 = a.fma(c8, one); c9 = a.fma(c9, one); c10 = a.fma(c10, one); c11 = a.fma(c11, one);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }
}
