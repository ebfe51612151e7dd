package srgan.engine;

/**
 * A seeded, reproducible random generator (xoshiro256**, seeded through SplitMix64) whose whole state can be
 * saved and restored, so a resumed training run draws exactly the numbers the uninterrupted run would.
 * Not thread-safe: give each thread its own.
 */
public final class Rng {
    private long s0, s1, s2, s3;

    public Rng(long seed) {
        long x = seed;
        s0 = x = splitMix(x);
        s1 = x = splitMix(x);
        s2 = x = splitMix(x);
        s3 = splitMix(x);
    }

    private static long splitMix(long x) {
        // Returns the next SplitMix64 output for state x + golden gamma (state advanced by the caller's chain).
        long z = x + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform integer in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
        return (int) ((nextLong() >>> 33) * bound >>> 31);
    }

    /** Standard normal by the Box-Muller transform; no cached second value, so the state says it all. */
    public double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // in (0, 1], so log is finite
        double u2 = nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    public long[] state() {
        return new long[]{s0, s1, s2, s3};
    }

    public void setState(long[] state) {
        if (state.length != 4) throw new IllegalArgumentException("Rng state has 4 words, got " + state.length);
        s0 = state[0];
        s1 = state[1];
        s2 = state[2];
        s3 = state[3];
    }
}
