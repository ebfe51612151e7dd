package srgan.cuda;

/**
 * Our own batch normalisation (batchnorm.cu): per-channel statistics reduced by (channel, split) blocks in
 * double, finished per channel in a fixed order (deterministic), then one element-wise pass. The fallback when
 * cuDNN is absent.
 */
public final class OwnBatchNorm implements BatchNormEngine {

    private static final int FINISH_THREADS = 128;
    private final DeviceRuntime rt;

    OwnBatchNorm(DeviceRuntime rt) {
        this.rt = rt;
    }

    /** Splits per channel so that channels * splits blocks fill the device; each split keeps >= 2048 values. */
    private int splits(int c, long m) {
        return Grid.splits(c, m, 4L * rt.multiprocessorCount(), 2048);
    }

    @Override
    public void train(DeviceStorage x, DeviceStorage gamma, DeviceStorage beta, DeviceStorage runMean,
                      DeviceStorage runVar, double momentum, double eps, DeviceStorage y, DeviceStorage saveMean,
                      DeviceStorage saveInvStd, int n, int c, int hw) {
        long m = (long) n * hw;
        int splits = splits(c, m);
        // doubles: two per (channel, split)
        try (DeviceStorage partial = rt.scratch(4L * c * splits)) {
            rt.launch("batchnorm", "bn_stats_partial_f32", c, splits, 1, Grid.THREADS, 1, 1, 0,
                    x, n, c, hw, splits, partial);
            rt.launch("batchnorm", "bn_stats_finish_f32", Grid.ceilDiv(c, FINISH_THREADS), 1, 1, FINISH_THREADS, 1, 1,
                    0, partial, splits, c, m, (float) momentum, (float) eps, saveMean, saveInvStd, runMean, runVar);
        }
        apply(x, gamma, beta, saveMean, saveInvStd, y, n, c, hw);
    }

    @Override
    public void eval(DeviceStorage x, DeviceStorage gamma, DeviceStorage beta, DeviceStorage runMean,
                     DeviceStorage runVar, double eps, DeviceStorage y, DeviceStorage saveMean,
                     DeviceStorage saveInvStd, int n, int c, int hw) {
        rt.launch("batchnorm", "bn_eval_stats_f32", Grid.ceilDiv(c, FINISH_THREADS), 1, 1, FINISH_THREADS, 1, 1, 0,
                runMean, runVar, (float) eps, c, saveMean, saveInvStd);
        apply(x, gamma, beta, saveMean, saveInvStd, y, n, c, hw);
    }

    private void apply(DeviceStorage x, DeviceStorage gamma, DeviceStorage beta, DeviceStorage mean,
                       DeviceStorage invStd, DeviceStorage y, int n, int c, int hw) {
        long total = (long) n * c * hw;
        rt.launch("batchnorm", "bn_apply_f32", Grid.elementwise(total, rt.multiprocessorCount()), 1, 1,
                Grid.THREADS, 1, 1, 0, x, gamma, beta, mean, invStd, y, n, c, hw);
    }

    @Override
    public void backward(boolean training, DeviceStorage x, DeviceStorage gamma, DeviceStorage saveMean,
                         DeviceStorage saveInvStd, DeviceStorage gy, DeviceStorage gx, DeviceStorage gGamma,
                         DeviceStorage gBeta, int n, int c, int hw) {
        boolean needSums = gGamma != null || gBeta != null || (training && gx != null);
        long total = (long) n * c * hw;
        DeviceStorage sums = null;
        try {
            if (needSums) {
                long m = (long) n * hw;
                int splits = splits(c, m);
                sums = rt.scratch(4L * c); // two doubles per channel
                try (DeviceStorage partial = rt.scratch(4L * c * splits)) {
                    rt.launch("batchnorm", "bn_backward_partial_f32", c, splits, 1, Grid.THREADS, 1, 1, 0,
                            x, gy, saveMean, n, c, hw, splits, partial);
                    rt.launch("batchnorm", "bn_backward_finish_f32", Grid.ceilDiv(c, FINISH_THREADS), 1, 1,
                            FINISH_THREADS, 1, 1, 0, partial, splits, c, saveInvStd, gGamma, gBeta, sums);
                }
            }
            if (gx != null) {
                rt.launch("batchnorm", "bn_backward_dx_f32", Grid.elementwise(total, rt.multiprocessorCount()), 1, 1,
                        Grid.THREADS, 1, 1, 0, training ? 1 : 0, x, gamma, saveMean, saveInvStd, gy, sums, gx, n, c,
                        hw);
            }
        } finally {
            if (sums != null) sums.close();
        }
    }
}
