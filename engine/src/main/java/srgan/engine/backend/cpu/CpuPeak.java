package srgan.engine.backend.cpu;

/**
 * The fastest this JVM can do float arithmetic on this machine, measured: an FMA loop whose operands never
 * leave registers, on a given number of threads at once. It is the ceiling any kernel of the CPU backend can
 * approach (benchmarks report their GFLOP/s as a fraction of it), and it reflects what the machine really
 * delivers under the JVM, frequency scaling and sharing included, where the nominal peak (cores x FMA units x
 * lanes x 2 x clock) does not.
 */
public final class CpuPeak {
    private CpuPeak() {
    }

    /**
     * GFLOP/s of {@code threads} threads each running the register-resident FMA loop for about
     * {@code seconds}, best of three rounds; on the vector kernels when this JVM has them ({@link CpuBackend}'s
     * test), else a scalar {@code Math.fma} loop.
     */
    public static double measure(int threads, double seconds) {
        if (threads < 1) throw new IllegalArgumentException("threads must be positive, got " + threads);
        boolean vectors = VectorPath.supported();
        long flopsPerCall = vectors ? VectorPeak.FLOPS_PER_CALL : ScalarPeak.FLOPS_PER_CALL;
        // Calibrate the calls per thread on one thread, then run all threads at once.
        run(vectors, 2000);
        long calls = 2000;
        long t0 = System.nanoTime();
        run(vectors, calls);
        double perCall = Math.max(1e-9, (System.nanoTime() - t0) / 1e9 / calls);
        long perThread = Math.max(1, (long) (seconds / 3 / perCall));
        double best = 0;
        for (int round = 0; round < 3; round++) {
            Thread[] workers = new Thread[threads];
            long start = System.nanoTime();
            for (int i = 0; i < threads; i++) {
                workers[i] = new Thread(() -> run(vectors, perThread), "srgan-peak-" + i);
                workers[i].start();
            }
            for (Thread w : workers) {
                try {
                    w.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return best;
                }
            }
            double s = (System.nanoTime() - start) / 1e9;
            best = Math.max(best, (double) threads * perThread * flopsPerCall / s / 1e9);
        }
        return best;
    }

    private static void run(boolean vectors, long calls) {
        float sink = 0;
        for (long i = 0; i < calls; i++) sink += vectors ? VectorPeak.call(i) : ScalarPeak.call(i);
        if (sink == 42.4242f) System.out.print("");   // keeps the loop alive
    }

    /** Twelve independent scalar FMA chains. */
    private static final class ScalarPeak {
        static final int STEPS = 1000;
        static final long FLOPS_PER_CALL = 2L * 12 * STEPS;

        static float call(long seed) {
            float a = 1e-4f * (seed & 7);
            float c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0, c8 = 0, c9 = 0, c10 = 0, c11 = 0;
            for (int k = 0; k < STEPS; k++) {
                c0 = Math.fma(a, c0, 1f); c1 = Math.fma(a, c1, 1f); c2 = Math.fma(a, c2, 1f);
                c3 = Math.fma(a, c3, 1f); c4 = Math.fma(a, c4, 1f); c5 = Math.fma(a, c5, 1f);
                c6 = Math.fma(a, c6, 1f); c7 = Math.fma(a, c7, 1f); c8 = Math.fma(a, c8, 1f);
                c9 = Math.fma(a, c9, 1f); c10 = Math.fma(a, c10, 1f); c11 = Math.fma(a, c11, 1f);
            }
            return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
        }
    }
}
