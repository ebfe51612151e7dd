package srgan.cuda;

import srgan.engine.backend.ConvGeometry;

/**
 * Our own convolutions as implicit GEMMs (gemm.cu), never materialising im2col:
 * <ul>
 *   <li>forward: M = out channels, N = N*OH*OW output pixels, K = in channels * KH * KW;</li>
 *   <li>backward data: M = in channels, N = N*H*W input pixels, K = out channels * KH * KW;</li>
 *   <li>backward weight: M = out channels, N = in channels * KH * KW, K = N*OH*OW (split-K).</li>
 * </ul>
 * Any kernel size, stride and padding. The fallback when cuDNN is absent.
 */
public final class OwnConv implements ConvEngine {

    private final DeviceRuntime rt;

    OwnConv(DeviceRuntime rt) {
        this.rt = rt;
    }

    @Override
    public void forward(ConvGeometry g, DeviceStorage x, DeviceStorage w, DeviceStorage bias, DeviceStorage y) {
        long pixels = (long) g.n() * g.outHeight() * g.outWidth();
        run("conv_fwd", g.outChannels(), pixels, (long) g.inChannels() * g.kernelHeight() * g.kernelWidth(), g,
                new Object[]{x, w, bias, y}, new Object[]{bias, y});
    }

    @Override
    public void backwardData(ConvGeometry g, DeviceStorage w, DeviceStorage gy, DeviceStorage gx) {
        long pixels = (long) g.n() * g.inHeight() * g.inWidth();
        run("conv_bwd_data", g.inChannels(), pixels, (long) g.outChannels() * g.kernelHeight() * g.kernelWidth(),
                g, new Object[]{w, gy, gx}, new Object[]{gx});
    }

    @Override
    public void backwardWeight(ConvGeometry g, DeviceStorage x, DeviceStorage gy, DeviceStorage gw) {
        long pixels = (long) g.n() * g.outHeight() * g.outWidth();
        run("conv_bwd_weight", g.outChannels(), (long) g.inChannels() * g.kernelHeight() * g.kernelWidth(), pixels,
                g, new Object[]{x, gy, gw}, new Object[]{gw});
    }

    /** Queues {@code name}_BM and, with split-K, {@code name}_split_reduce. */
    private void run(String name, long m, long n, long k, ConvGeometry g, Object[] tensors, Object[] reduceTensors) {
        TilePlan p = TilePlan.of(m, n, k, rt.multiprocessorCount());
        Object[] geometry = {g.n(), g.inChannels(), g.inHeight(), g.inWidth(), g.outChannels(), g.kernelHeight(),
                g.kernelWidth(), g.stride(), g.padding(), g.outHeight(), g.outWidth()};
        if (p.splits() == 1) {
            rt.launch("gemm", name + "_" + p.bm(), p.gridX(), p.gridY(), 1, p.threads(), 1, 1, 0,
                    concat(tensors, geometry, p.kChunk(), null));
            return;
        }
        try (DeviceStorage partial = rt.scratch((long) p.splits() * m * n)) {
            rt.launch("gemm", name + "_" + p.bm(), p.gridX(), p.gridY(), p.splits(), p.threads(), 1, 1, 0,
                    concat(tensors, geometry, p.kChunk(), partial));
            rt.launch("gemm", name + "_split_reduce", Grid.elementwise(m * n, rt.multiprocessorCount()), 1, 1,
                    Grid.THREADS, 1, 1, 0, concat(reduceTensors, geometry, p.splits(), partial));
        }
    }

    private static Object[] concat(Object[] tensors, Object[] geometry, int last1, Object last2) {
        Object[] all = new Object[tensors.length + geometry.length + 2];
        System.arraycopy(tensors, 0, all, 0, tensors.length);
        System.arraycopy(geometry, 0, all, tensors.length, geometry.length);
        all[all.length - 2] = last1;
        all[all.length - 1] = last2;
        return all;
    }
}
