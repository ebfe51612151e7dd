package srgan.cuda;

/**
 * Launch plan of one GEMM-shaped kernel in gemm.cu: C [M x N] in tiles of BM x 128 (BM = 64 or 128), and the
 * K range cut into {@code splits} chunks of {@code kChunk} (a multiple of the kernel's k-step, 8) when the
 * tiles alone would leave most of the device idle: typical of a weight gradient, whose K (every output
 * pixel of the batch) is huge and whose M x N (the weight) is small.
 */
record TilePlan(int bm, int threads, int gridX, int gridY, int splits, int kChunk) {

    static final int BN = 128;
    static final int BK = 8;
    /** Split-K partials never take more than this many bytes. */
    private static final long MAX_PARTIAL_BYTES = 256L << 20;

    /** Rows of C per tile for a GEMM of M = {@code m}: 64 up to 64 rows, else 128. */
    static int tileRows(long m) {
        return m <= 64 ? 64 : 128;
    }

    static TilePlan of(long m, long n, long k, int multiprocessors) {
        Grid.checkedInt(m, "GEMM M");
        Grid.checkedInt(n, "GEMM N");
        Grid.checkedInt(k, "GEMM K");
        int bm = tileRows(m);
        int gridX = Grid.ceilDiv(n, BN);
        int gridY = Grid.ceilDiv(m, bm);
        if (gridY > 65535) throw new UnsupportedOperationException("GEMM M = " + m + " needs more than 65535 row tiles");
        long tiles = (long) gridX * gridY;
        // Two blocks per SM in flight; each split keeps at least 64 values of k (8 k-steps).
        int splits = Grid.splits(tiles, k, 2L * multiprocessors, 64);
        long maxByMemory = Math.max(1, MAX_PARTIAL_BYTES / (4 * m * n));
        splits = (int) Math.min(splits, maxByMemory);
        int kChunk = (int) Math.max(BK, ((k + splits - 1) / splits + BK - 1) / BK * BK);
        splits = (int) Math.max(1, (k + kChunk - 1) / kChunk);
        return new TilePlan(bm, bm * BN / 64, gridX, gridY, splits, kChunk);
    }
}
