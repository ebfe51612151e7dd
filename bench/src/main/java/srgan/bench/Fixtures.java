package srgan.bench;

import java.util.Random;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import srgan.engine.backend.Backend;
import srgan.engine.backend.Storage;
import srgan.engine.backend.cpu.CpuBackend;

/** What every kernel benchmark shares: random inputs, and the counters that turn JMH's rates into GFLOP/s or GB/s. */
public final class Fixtures {
    private Fixtures() {
    }

    /** A storage of {@code n} uniform values in [-1, 1), the same for a given seed. */
    static Storage random(Backend backend, long n, long seed) {
        Random rng = new Random(seed);
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = rng.nextFloat() * 2 - 1;
        return backend.upload(v);
    }

    /** A storage of {@code n} uniform values in [lo, hi). */
    static Storage uniform(Backend backend, long n, double lo, double hi, long seed) {
        Random rng = new Random(seed);
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        return backend.upload(v);
    }

    /** A CPU backend on {@code threads} threads (0: one per core), vector kernels unless {@code vectors} is false. */
    static CpuBackend backend(int threads, boolean vectors) {
        return new CpuBackend(threads > 0 ? threads : Runtime.getRuntime().availableProcessors(), vectors);
    }

    /** GFLOPs done, which JMH reports as a rate next to the op rate: {@code gflop} reads as GFLOP/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflop;

        @Setup(Level.Iteration)
        public void reset() {
            gflop = 0;
        }
    }

    /** GB moved, which JMH reports as a rate next to the op rate: {@code gbytes} reads as GB/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public double gbytes;

        @Setup(Level.Iteration)
        public void reset() {
            gbytes = 0;
        }
    }
}
