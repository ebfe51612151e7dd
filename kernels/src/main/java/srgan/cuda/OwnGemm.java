package srgan.cuda;

/**
 * Our own row-major SGEMM (gemm.cu): 64 or 128 x 128 tiles, 8 x 8 outputs per thread, split-K when the output
 * is too small to fill the device. The fallback when cuBLAS is absent.
 */
public final class OwnGemm implements GemmEngine {

    private final DeviceRuntime rt;

    OwnGemm(DeviceRuntime rt) {
        this.rt = rt;
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, DeviceStorage a,
                     DeviceStorage b, double beta, DeviceStorage c) {
        if (m == 0 || n == 0) return;
        TilePlan p = TilePlan.of(m, n, k, rt.multiprocessorCount());
        String kernel = "sgemm_" + (transA ? "t" : "n") + (transB ? "t" : "n") + "_" + p.bm();
        if (p.splits() == 1) {
            rt.launch("gemm", kernel, p.gridX(), p.gridY(), 1, p.threads(), 1, 1, 0,
                    a, b, c, m, n, k, (float) alpha, (float) beta, p.kChunk(), null);
            return;
        }
        try (DeviceStorage partial = rt.scratch((long) p.splits() * m * n)) {
            rt.launch("gemm", kernel, p.gridX(), p.gridY(), p.splits(), p.threads(), 1, 1, 0,
                    a, b, c, m, n, k, (float) alpha, (float) beta, p.kChunk(), partial);
            rt.launch("gemm", "sgemm_split_reduce", Grid.elementwise((long) m * n, rt.multiprocessorCount()), 1, 1,
                    Grid.THREADS, 1, 1, 0, c, m, n, (float) alpha, (float) beta, p.splits(), partial);
        }
    }
}
