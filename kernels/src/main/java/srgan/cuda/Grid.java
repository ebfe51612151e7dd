package srgan.cuda;

/** Launch-size arithmetic shared by the kernel wrappers. */
final class Grid {
    /** Threads per block of the element-wise and reduction kernels (a multiple of 32, as block_sum needs). */
    static final int THREADS = 256;

    private Grid() {
    }

    static int ceilDiv(long a, long b) {
        long q = (a + b - 1) / b;
        if (q > Integer.MAX_VALUE) throw new UnsupportedOperationException("grid of " + q + " blocks is too large");
        return (int) q;
    }

    /**
     * Blocks for a grid-stride loop over {@code n} elements: enough to fill the device several times over,
     * no more (each thread then handles a few elements, which amortises its index set-up).
     */
    static int elementwise(long n, int multiprocessors) {
        return (int) Math.max(1, Math.min(ceilDiv(n, THREADS), 32L * multiprocessors));
    }

    /**
     * Splits of a reduction: how many parts to cut each output's {@code perOutput} terms into so that
     * {@code outputs * splits} units of work fill the device, while every part keeps at least
     * {@code minPerSplit} terms. 1 when the outputs alone fill it.
     */
    static int splits(long outputs, long perOutput, long targetUnits, long minPerSplit) {
        if (outputs >= targetUnits) return 1;
        long want = (targetUnits + outputs - 1) / Math.max(outputs, 1);
        long cap = Math.max(1, perOutput / Math.max(minPerSplit, 1));
        return (int) Math.max(1, Math.min(Math.min(want, cap), 65535));
    }

    static int checkedInt(long v, String what) {
        if (v > Integer.MAX_VALUE) {
            throw new UnsupportedOperationException(what + " = " + v + " exceeds 2^31 - 1, which the kernels index "
                    + "with 32-bit integers");
        }
        return (int) v;
    }
}
